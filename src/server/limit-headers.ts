import { DIALECT, writeLimitHeaders, type Dialect } from '../dialects/index.js';
import { narrow, type KeyPool, type LimitView } from '../pool/index.js';
import type { Runtime } from './runtime.js';

/**
 * The pool-wide rate-limit headers of one answer, in the client's dialect: the limits of the pool that served
 * it (summed over its keys, shared quota groups once: pool/capacity.ts), narrowed by the client's own limits
 * when it has any. Written into `out`; nothing where the dialect has no such headers or nothing is known.
 * Upstream's own x-ratelimit-* are never passed on (proxy.ts forwards request ids only): they describe one key.
 */
export function addLimitHeaders(client: Dialect, pool: KeyPool, model: string, clientLimits: LimitView | undefined, out: Record<string, string>): void {
  if (DIALECT[client].limitHeaders) addViewHeaders(client, pool.capacity(model), clientLimits, pool.clock.now(), out);
}

/** The same for a view already made, e.g. sumViews() over the pools of a fallback group; `now` in epoch ms. */
export function addViewHeaders(client: Dialect, view: LimitView, clientLimits: LimitView | undefined, now: number, out: Record<string, string>): void {
  const spec = DIALECT[client].limitHeaders;
  if (spec) writeLimitHeaders(spec, narrow(view, clientLimits), now, out);
}

/** The client's own windows (rpm → requests, tpm → tokens), which narrow the pool's; undefined for an unnamed client. */
export function clientLimits(rt: Runtime, client: string | undefined): LimitView | undefined {
  if (client === undefined) return undefined;
  const v = rt.clients.view(client, rt.clock.now());
  // No windows of its own: nothing narrows the pool's view (narrow() would only copy it).
  return v.requests === undefined && v.tokens === undefined ? undefined : v;
}
