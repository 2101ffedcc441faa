import { expect } from 'vitest';
import type { Outcome, Usage } from '../../src/pool/outcome.js';
import type { ClassifyContext, Headers, ProviderAdapter, StreamTracker } from '../../src/providers/index.js';

/**
 * What the adapter's door gives for a plain 2xx: the values the old parseLimits / usageFromBody /
 * groupFromHeaders returned are the limits, usage and group of this ok outcome.
 */
export function okOutcome(a: ProviderAdapter, headers: Headers, body: unknown, ctx: ClassifyContext): Extract<Outcome, { kind: 'ok' }> {
  const o = a.classify({ status: 200, headers, body }, ctx);
  expect(o.kind).toBe('ok');
  if (o.kind !== 'ok') throw new Error(`expected an ok outcome, got ${o.kind}`);
  return o;
}

/** The limits a 2xx's headers carry (the old `parseLimits(headers, ctx)`). */
export const limitsOf = (a: ProviderAdapter, headers: Headers, ctx: ClassifyContext) => okOutcome(a, headers, {}, ctx).limits;

/** The usage a complete success body carries (the old `usageFromBody(body)`). */
export const usageOf = (a: ProviderAdapter, body: unknown): Usage | undefined => okOutcome(a, {}, body, { now: 0 }).usage;

/** The quota group a 2xx's headers name (the old `groupFromHeaders(headers)`). */
export const groupOf = (a: ProviderAdapter, headers: Headers): string | undefined => okOutcome(a, headers, {}, { now: 0 }).group;

/** The headers that carry a key on a bodyless GET (the old `authHeaders(key)`): auth only, no content-type. */
export const authHeaders = (a: ProviderAdapter, key: string): Record<string, string> => a.call('models', { model: '' }).headers(key);

/** The outcome of a stream that ended normally, its head having said nothing beyond ok. Calling it does not change the tracker. */
export const finished = (t: StreamTracker): Outcome => t.finish({ kind: 'complete' }, { kind: 'ok' });

/** The usage a tracker has so far, when it has noted no error (the old `usage()` with `error()` undefined). */
export function streamUsage(t: StreamTracker): Usage | undefined {
  const o = finished(t);
  expect(o.kind).toBe('ok');
  return o.kind === 'ok' ? o.usage : undefined;
}
