import { KeyPool, ManualClock } from '../../src/pool/index.js';
import type { KeyConfig, LearnedLimits, Outcome, PoolOptions } from '../../src/pool/index.js';

/** Lets every pending promise continuation run (ManualClock timers resolve promises synchronously). */
export function flush(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/** A small deterministic PRNG (mulberry32), for the pool's random and the simulations. */
import { rng as seeded } from '../sim/behaviour.js';
export { seeded };

/** Keys that look like real ones, long enough to mask with a prefix. */
export function fakeKey(n: number | string): string {
  return `sk-test${String(n).padStart(4, '0')}abcdefghijklmnop${String(n).padStart(4, '0')}`;
}

export function makePool(keys: ReadonlyArray<string | KeyConfig> | number, opts: Partial<PoolOptions> = {}) {
  const clock = opts.clock instanceof ManualClock ? opts.clock : new ManualClock();
  const list = typeof keys === 'number' ? Array.from({ length: keys }, (_, i) => fakeKey(i)) : keys;
  const pool = new KeyPool({ provider: 'test', random: seeded(1), ...opts, keys: list, clock });
  return { pool, clock };
}

export const ok: Outcome = { kind: 'ok' };

export function limited(retryAfterMs?: number, scope: 'group' | 'model' = 'group'): Outcome {
  return retryAfterMs === undefined ? { kind: 'rate_limited', scope } : { kind: 'rate_limited', scope, retryAfterMs };
}

/** Go durations as OpenAI sends them (`1m0s`, `51.189s`, `120ms`), to ms. */
export function goMs(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    const v = Number(m[1]);
    ms += m[2] === 'h' ? v * 3_600_000 : m[2] === 'm' ? v * 60_000 : m[2] === 's' ? v * 1000 : v;
  }
  return ms;
}

/** What an OpenAI-dialect adapter reads from x-ratelimit-* headers. */
export function openaiLimits(h: Record<string, string>): LearnedLimits | undefined {
  const num = (k: string) => (h[k] === undefined ? undefined : Number(h[k]));
  const out: LearnedLimits = {};
  const rl = num('x-ratelimit-limit-requests');
  if (rl !== undefined) out.requests = { limit: rl, remaining: num('x-ratelimit-remaining-requests')!, resetMs: goMs(h['x-ratelimit-reset-requests'])! };
  const tl = num('x-ratelimit-limit-tokens');
  if (tl !== undefined) out.tokens = { limit: tl, remaining: num('x-ratelimit-remaining-tokens')!, resetMs: goMs(h['x-ratelimit-reset-tokens'])! };
  return out.requests || out.tokens ? out : undefined;
}

/** Runs a promise while moving the ManualClock through every timer (retry backoffs, queue waits). */
export async function drive<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  const settled = p.finally(() => (done = true));
  settled.catch(() => {});
  for (let i = 0; i < 10_000 && !done; i++) {
    await flush();
    const next = clock.nextTimerAt();
    if (next !== undefined && !done) clock.advanceTo(next);
  }
  return settled;
}
