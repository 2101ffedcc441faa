import { keyId, type KeyId, type KeySnapshot } from '../../pool/index.js';
import type { UsageRow } from '../../store/index.js';
import { HttpError } from '../errors.js';
import type { ProviderRuntime, Runtime } from '../runtime.js';
import type { AddedKeys } from './added.js';
import type { AttemptStats } from './stats.js';
import type { Probe } from '../recovery-check.js';

/** What the admin handlers share. */
export interface AdminDeps {
  rt: Runtime;
  added: AddedKeys;
  stats: AttemptStats;
  /** Hears each check's verdict (the server logs it as a key event). */
  onChecked?: (r: Probe) => void;
}

/**
 * Where the usage in an answer came from, with replicas on Redis: `redis`, the sum of every replica; or
 * `local`, this replica's alone (`partial`), Redis being unreachable. Nothing without Redis: one replica.
 * Asked after the answer's reads.
 */
export function usageSourceOf(d: AdminDeps): { usageSource?: 'redis' | 'local'; partial?: boolean } {
  const source = d.rt.store.usageSource?.();
  return source === undefined ? {} : { usageSource: source, partial: source === 'local' };
}

/** Usage of one key, summed over the stored history: the same after a restart, and across replicas. */
export interface KeyTotals {
  requests: number;
  successes: number;
  errors: number;
  costUsd: number;
  lastAt?: number;
}

/** One key as GET /admin/keys shows it. Never the secret: its id (a hash) and masked form only. */
export interface KeyView {
  provider: string;
  id: KeyId;
  masked: string;
  label: string | null;
  group: string;
  /** Spill order: lower tiers are used first. */
  tier: number;
  /** Configured (from the config) or added (through this API). */
  source: 'config' | 'added';
  state: KeySnapshot['status'];
  reason: string | null;
  requests: number;
  successes: number;
  errors: number;
  inFlight: number;
  cooldownUntil: string | null;
  limits: { configured: KeySnapshot['configured']; learned: KeySnapshot['limits'] | null };
  remaining: KeySnapshot['budgets'] | null;
  lastUsedAt: string | null;
  costUsd: number;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** Sums stored usage rows per key. Cancelled attempts (a client gone, a listing) are neither successes nor errors. */
export function totalsByKey(rows: readonly UsageRow[]): Map<KeyId, KeyTotals> {
  const out = new Map<KeyId, KeyTotals>();
  for (const r of rows) {
    let t = out.get(r.keyId);
    if (!t) out.set(r.keyId, (t = { requests: 0, successes: 0, errors: 0, costUsd: 0 }));
    t.requests += r.requests;
    t.successes += r.successes;
    t.errors += r.requests - r.successes - (r.outcomes.cancelled ?? 0);
    t.costUsd += r.costUsd;
    t.lastAt = Math.max(t.lastAt ?? 0, r.lastAt);
  }
  return out;
}

export function keyView(p: ProviderRuntime, k: KeySnapshot, totals: KeyTotals | undefined, added: boolean): KeyView {
  const lastUsed = Math.max(k.lastUsedAt ?? 0, totals?.lastAt ?? 0);
  return {
    provider: p.name,
    id: k.id,
    masked: k.masked,
    label: k.label ?? null,
    group: k.group,
    tier: k.tier,
    source: added ? 'added' : 'config',
    state: k.status,
    reason: k.reason ?? null,
    requests: totals?.requests ?? 0,
    successes: totals?.successes ?? 0,
    errors: totals?.errors ?? 0,
    inFlight: k.inFlight,
    cooldownUntil: iso(k.cooldownUntil),
    limits: { configured: k.configured, learned: k.limits ?? null },
    remaining: k.budgets ?? null,
    lastUsedAt: lastUsed > 0 ? iso(lastUsed) : null,
    costUsd: Math.round((totals?.costUsd ?? 0) * 1e6) / 1e6,
  };
}

/** Every key of every provider, with its stored totals. */
export async function listKeys(d: AdminDeps): Promise<KeyView[]> {
  const views: KeyView[] = [];
  for (const p of d.rt.providers.values()) {
    const totals = totalsByKey(await d.rt.store.readUsage(p.name));
    for (const k of p.pool.snapshot().keys) views.push(keyView(p, k, totals.get(k.id), d.added.has(p.name, k.id)));
  }
  return views;
}

/** The one key an id names: `provider` settles an id two providers share (the same secret in both). */
export function findKey(rt: Runtime, id: string, provider: string | undefined): { p: ProviderRuntime; key: KeySnapshot } {
  for (const p of rt.providers.values()) {
    if (provider !== undefined && p.name !== provider) continue;
    const key = p.pool.key(id);
    if (key) return { p, key };
  }
  throw new HttpError('KMX_ERR_NOT_FOUND', `No key ${id.slice(0, 64)}${provider !== undefined ? ` in provider ${provider.slice(0, 64)}` : ''}: GET /admin/keys lists the ids`);
}

/** A key's secret, for a check: from the config, or from the added keys. Never leaves the server. */
export function secretOf(d: AdminDeps, p: ProviderRuntime, id: KeyId): string | undefined {
  for (const k of p.config.keys) if (keyId(k.key) === id) return k.key;
  return d.added.secret(p.name, id);
}

/** One view of one key, now. */
export async function viewOf(d: AdminDeps, p: ProviderRuntime, id: KeyId): Promise<KeyView> {
  const k = p.pool.key(id);
  if (!k) throw new HttpError('KMX_ERR_NOT_FOUND', `No key ${id} in provider ${p.name}`);
  const totals = totalsByKey(await d.rt.store.readUsage(p.name, { keyId: id }));
  return keyView(p, k, totals.get(id), d.added.has(p.name, id));
}
