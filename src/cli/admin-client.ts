import { table } from './table.js';

export interface AdminTarget {
  url: string;
  adminKey: string | undefined;
  json?: boolean;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream;
}

/** Raised for an answer the command cannot use: printed as one line, exit 1. */
export class AdminCallError extends Error {}

/** One admin API call to a running server; the error of its answer (OpenAI's shape) becomes the message. */
export async function adminCall(t: AdminTarget, method: string, path: string): Promise<unknown> {
  if (!t.adminKey) throw new AdminCallError('no admin key: set KEYMUX_ADMIN_KEY or pass --admin-key');
  let res: Response;
  try {
    res = await fetch(`${t.url.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { authorization: `Bearer ${t.adminKey}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(method === 'POST' ? { body: '{}' } : {}),
    });
  } catch (err) {
    throw new AdminCallError(`cannot reach keymux at ${t.url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`);
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  if (!res.ok) {
    const e = (body as { error?: { message?: string; code?: string } }).error;
    throw new AdminCallError(`${res.status} ${e?.code ?? ''}: ${e?.message ?? String(text).slice(0, 200)}`.replace(' :', ':'));
  }
  return body;
}

interface KeyRow {
  provider: string;
  id: string;
  masked: string;
  label: string | null;
  tier: number;
  state: string;
  reason: string | null;
  requests: number;
  errors: number;
  inFlight: number;
  cooldownUntil: string | null;
}

const q = (provider: string | undefined) => (provider ? `?provider=${encodeURIComponent(provider)}` : '');

/** `keymux keys list`. */
export async function keysList(t: AdminTarget, provider: string | undefined): Promise<number> {
  const body = (await adminCall(t, 'GET', '/admin/keys')) as { keys: KeyRow[] };
  const keys = body.keys.filter((k) => provider === undefined || k.provider === provider);
  const out = t.out ?? process.stdout;
  if (t.json) out.write(`${JSON.stringify({ keys }, null, 2)}\n`);
  else {
    out.write(table(['PROVIDER', 'KEY ID', 'KEY', 'LABEL', 'TIER', 'STATE', 'REQUESTS', 'ERRORS', 'IN FLIGHT', 'UNTIL', 'REASON'], keys.map((k) => [
      k.provider, k.id, k.masked, k.label ?? '', String(k.tier), k.state, String(k.requests), String(k.errors), String(k.inFlight), k.cooldownUntil ?? '', k.reason ?? '',
    ])));
  }
  return 0;
}

/** `keymux keys enable|disable|reset <id>`. */
export async function keysAction(t: AdminTarget, action: 'enable' | 'disable' | 'reset', id: string, provider: string | undefined): Promise<number> {
  const body = (await adminCall(t, 'POST', `/admin/keys/${encodeURIComponent(id)}/${action}${q(provider)}`)) as { key: KeyRow };
  const out = t.out ?? process.stdout;
  if (t.json) out.write(`${JSON.stringify(body, null, 2)}\n`);
  else out.write(`${body.key.provider} ${body.key.id} (${body.key.masked}): ${body.key.state}${body.key.reason ? ` — ${body.key.reason}` : ''}\n`);
  return 0;
}

/** `keymux stats`: the admin API's report, as JSON (its shape is the API's, usage per key tier included; see README, Admin API). */
export async function stats(t: AdminTarget, provider: string | undefined): Promise<number> {
  const body = await adminCall(t, 'GET', `/admin/stats${q(provider)}`);
  (t.out ?? process.stdout).write(`${JSON.stringify(body, null, 2)}\n`);
  return 0;
}

/** `keymux keys recheck`: the server checks every disabled key now (not those an operator disabled). */
export async function keysRecheck(t: AdminTarget): Promise<number> {
  const body = (await adminCall(t, 'POST', '/admin/recheck')) as { checked: Array<{ provider: string; id: string; masked: string; valid: boolean; outcome: string; latencyMs: number; reason: string | null }> };
  const out = t.out ?? process.stdout;
  if (t.json) out.write(`${JSON.stringify(body, null, 2)}\n`);
  else {
    out.write(table(['PROVIDER', 'KEY ID', 'KEY', 'STATUS', 'LATENCY', 'REASON'], body.checked.map((r) => [
      r.provider, r.id, r.masked, r.valid ? 'valid (enabled, half-open)' : `INVALID (${r.outcome})`, `${Math.round(r.latencyMs)} ms`, r.reason ?? '',
    ])));
  }
  return body.checked.some((r) => !r.valid) ? 1 : 0;
}
