import { keyId, type KeyConfig } from '../../pool/index.js';
import { HttpError } from '../errors.js';
import { probeKey } from '../recovery-check.js';
import { findKey, secretOf, viewOf, type AdminDeps, type KeyView } from './keys.js';

const MAX_KEY_CHARS = 1_024;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/** POST /admin/keys { provider, key, label?, group? }: stored (sealed), then served by the provider's pool. */
export async function addKey(d: AdminDeps, body: Record<string, unknown>, canSeal: boolean): Promise<KeyView> {
  if (!d.added.supported) throw new HttpError('KMX_ERR_BAD_REQUEST', 'This store keeps no added keys; use storage: sqlite (or memory)');
  if (!canSeal) {
    throw new HttpError('KMX_ERR_NO_ENCRYPTION_KEY', 'Keys added here are stored, and no KEYMUX_ENCRYPTION_KEY is set to encrypt them: set one (any long random text), or allow plaintext with --allow-plaintext-keys / KEYMUX_ALLOW_PLAINTEXT_KEYS=true');
  }
  const providerName = str(body['provider']);
  const secret = str(body['key']);
  if (!providerName) throw new HttpError('KMX_ERR_BAD_REQUEST', `"provider" is required: one of ${[...d.rt.providers.keys()].join(', ') || '(none configured)'}`);
  const p = d.rt.providers.get(providerName);
  if (!p) throw new HttpError('KMX_ERR_BAD_REQUEST', `"${providerName.slice(0, 64)}" is not a configured provider: one of ${[...d.rt.providers.keys()].join(', ') || '(none)'}`);
  if (!secret || secret.length > MAX_KEY_CHARS || /\s/.test(secret)) throw new HttpError('KMX_ERR_BAD_REQUEST', '"key" must be the API key: text without spaces, at most 1024 characters');
  for (const f of ['label', 'group'] as const) {
    if (body[f] !== undefined && (typeof body[f] !== 'string' || body[f].length > 200)) throw new HttpError('KMX_ERR_BAD_REQUEST', `"${f}" must be text of at most 200 characters`);
  }
  const id = keyId(secret);
  if (p.pool.key(id)) throw new HttpError('KMX_ERR_KEY_CONFLICT', `${p.name} already has this key (${id})`);
  const label = str(body['label']);
  const group = str(body['group']);
  const c: KeyConfig = { key: secret, ...(label !== undefined && { label }), ...(group !== undefined && { group }) };
  await d.added.add(p.name, c, d.rt.clock.now());
  return viewOf(d, p, id);
}

/** DELETE /admin/keys/:id: only keys added here; a configured key is removed from the configuration. */
export async function deleteKey(d: AdminDeps, id: string, provider: string | undefined): Promise<{ deleted: true; provider: string; id: string }> {
  const { p } = findKey(d.rt, id, provider);
  if (!d.added.has(p.name, id)) {
    throw new HttpError('KMX_ERR_KEY_CONFLICT', `Key ${id} of ${p.name} comes from the configuration: remove it there (a reload applies it), or disable it here`);
  }
  await d.added.remove(p.name, id);
  return { deleted: true, provider: p.name, id };
}

/** POST /admin/keys/:id/enable|disable|reset. */
export async function setState(d: AdminDeps, id: string, provider: string | undefined, action: 'enable' | 'disable' | 'reset'): Promise<KeyView> {
  const { p } = findKey(d.rt, id, provider);
  if (action === 'disable') p.pool.disable(id, 'disabled by operator');
  else p.pool.enable(id);
  // A reset also starts the key's latency and success record afresh; its stored usage is history and stays.
  if (action === 'reset') d.stats.forget(p.name, id);
  return viewOf(d, p, id);
}

export interface CheckResult {
  provider: string;
  id: string;
  /** The provider accepted the key. */
  valid: boolean;
  outcome: string;
  status: number | null;
  reason: string | null;
  latencyMs: number;
  key: KeyView;
}

/**
 * POST /admin/keys/:id/check: one real call with this key (the provider's model list, or a one-token chat where
 * there is none), judged by the adapter. Unlike a listing it decides the key's health: accepted, an operator's
 * or an earlier failure's disable is lifted; refused as invalid, the key is disabled.
 */
export async function checkKey(d: AdminDeps, id: string, provider: string | undefined, model: string | undefined): Promise<CheckResult> {
  const { p } = findKey(d.rt, id, provider);
  const secret = secretOf(d, p, id);
  if (secret === undefined) throw new HttpError('KMX_ERR_NOT_FOUND', `Key ${id} of ${p.name} is no longer configured`);
  const r = await probeKey(d.rt, p, id, secret, model !== undefined ? { model } : {});
  d.onChecked?.(r);
  return { provider: r.provider, id, valid: r.valid, outcome: r.outcome, status: r.status, reason: r.reason, latencyMs: r.latencyMs, key: await viewOf(d, p, id) };
}
