import { DIALECT } from '../dialects/index.js';
import { keyId, type KeyId, type Outcome } from '../pool/index.js';
import { UnsupportedRouteError, type PreparedCall } from '../providers/index.js';
import { HttpError } from './errors.js';
import type { ProviderRuntime, Runtime } from './runtime.js';
import { parseMaybeJson, send } from './upstream.js';

/** How long a check waits for the provider. */
const CHECK_TIMEOUT_MS = 15_000;

/** One key's check: the provider's verdict on one real call with it. */
export interface Probe {
  provider: string;
  id: KeyId;
  masked: string;
  /** The provider accepted the key (a 429 or an exhausted quota still proves it is a key). */
  valid: boolean;
  outcome: Outcome['kind'];
  status: number | null;
  reason: string | null;
  latencyMs: number;
}

/** The secret of one of a provider's keys (configured or added at run time), found by its id. */
export function secretById(rt: Runtime, p: ProviderRuntime, id: KeyId): string | undefined {
  for (const k of rt.keysOf(p.config)) if (keyId(k.key) === id) return k.key;
  return undefined;
}

/**
 * One real call with a key (the provider's model list, or a one-token chat where there is none), judged by the
 * adapter; `apply` lets the verdict decide the key's health in its pool: accepted, a disable is lifted (the key
 * comes back half-open); refused as invalid, it is disabled. The admin API, `keymux keys check` and the scheduled
 * re-check all go through here, so they agree on what proves a key.
 */
export async function probeKey(rt: Runtime, p: ProviderRuntime, id: KeyId, secret: string, opts: { model?: string; apply?: boolean } = {}): Promise<Probe> {
  const call = probeCall(p, opts.model);
  const started = performance.now();
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), CHECK_TIMEOUT_MS);
  const ctx = { now: rt.clock.now(), model: opts.model ?? '*' };
  let outcome: Outcome;
  let status: number | null = null;
  try {
    const up = await send(rt.dispatcher, call, secret, ac.signal, rt.config.server.maxUpstreamBodyBytes, false);
    status = up.status;
    outcome = p.adapter.classify({ status: up.status, headers: up.headers, body: parseMaybeJson(up.bytes.toString('utf8')) }, ctx);
  } catch (err) {
    outcome = p.adapter.classify({ error: err instanceof Error ? err : new Error(String(err)) }, ctx);
  } finally {
    clearTimeout(timer);
  }
  // Only a verdict about the key itself changes its health: a 429 or a 5xx says nothing either way.
  const valid = outcome.kind === 'ok' || outcome.kind === 'rate_limited' || outcome.kind === 'quota_exhausted';
  if (opts.apply !== false) {
    if (outcome.kind === 'ok' && p.pool.key(id)?.status === 'disabled') p.pool.enable(id);
    if (outcome.kind === 'auth_failed') p.pool.disable(id, `check: ${outcome.reason ?? 'invalid key'}`);
  }
  return {
    provider: p.name,
    id,
    masked: p.pool.key(id)?.masked ?? '',
    valid,
    outcome: outcome.kind,
    status,
    reason: outcome.reason ?? null,
    latencyMs: Math.round((performance.now() - started) * 10) / 10,
  };
}

/** The cheapest call that proves a key: the model list; else a one-token chat on the given (or first listed) model. */
export function probeCall(p: ProviderRuntime, model: string | undefined): PreparedCall {
  try {
    return p.adapter.call('models', { model: '' });
  } catch (err) {
    if (!(err instanceof UnsupportedRouteError)) throw err;
  }
  const m = model ?? p.config.models?.[0];
  if (m === undefined) throw new HttpError('KMX_ERR_BAD_REQUEST', `${p.name} has no model list to probe: name a model to try, ?model=...`);
  const body = DIALECT[p.adapter.profile.dialect].pingBody(m);
  return p.adapter.call(p.adapter.chatRoute, { model: m, stream: false, body: JSON.stringify(body) });
}
