import type { KeyId, StrategyName } from './types.js';

/** What a strategy sees of one eligible key. The pool refreshes one view per key in place (no allocation per pick). */
export interface Candidate {
  id: KeyId;
  /** Position in the configuration: round-robin's order and the last tie-break. */
  order: number;
  weight: number;
  inFlight: number;
  requests: number;
  /** Epoch ms of the last dispatch; -Infinity when never used. */
  lastUsedAt: number;
  /** Estimated fraction of the key's budget left now, 0..1; 1 when nothing is known. */
  headroom: number;
  /** Concurrency cap; Infinity when none is configured. */
  maxConcurrent: number;
}

export interface StrategyContext {
  random(): number;
  /** `order` of the key picked last (round-robin continues after it); -1 at first. */
  lastOrder: number;
}

/** Picks one of `c` (never empty) and returns its index. Pure: no state beyond the context. */
export type Strategy = (c: readonly Candidate[], ctx: StrategyContext) => number;

/** a before b by least used, then least recently used, then configuration order. */
function lessUsed(a: Candidate, b: Candidate): boolean {
  if (a.requests !== b.requests) return a.requests < b.requests;
  return lessRecent(a, b);
}

function lessRecent(a: Candidate, b: Candidate): boolean {
  if (a.lastUsedAt !== b.lastUsedAt) return a.lastUsedAt < b.lastUsedAt;
  return a.order < b.order;
}

function argBest(c: readonly Candidate[], better: (a: Candidate, b: Candidate) => boolean): number {
  let best = 0;
  for (let i = 1; i < c.length; i++) if (better(c[i]!, c[best]!)) best = i;
  return best;
}

/**
 * Score for the default strategy. Headroom first: a bucket that is nearly full wastes its refill if left alone,
 * so spending there first is what maximises successful requests per minute across unequal keys (a free key's
 * few requests are used, not lost). In-flight load divides it, relative to the cap when there is one.
 * Quantised to 1/20 so near-equal keys fall through to least used, then least recently used.
 */
function score(c: Candidate): number {
  const load = Number.isFinite(c.maxConcurrent) ? c.inFlight / Math.max(1, c.maxConcurrent) : c.inFlight;
  return Math.round((20 * c.headroom) / (1 + load));
}

export const defaultStrategy: Strategy = (c) =>
  argBest(c, (a, b) => {
    const sa = score(a);
    const sb = score(b);
    if (sa !== sb) return sa > sb;
    if (a.inFlight !== b.inFlight) return a.inFlight < b.inFlight;
    return lessUsed(a, b);
  });

/** The next key after the last one picked, in configuration order, wrapping around. */
export const roundRobin: Strategy = (c, ctx) => {
  let next = -1;
  let first = 0;
  for (let i = 0; i < c.length; i++) {
    const o = c[i]!.order;
    if (o < c[first]!.order) first = i;
    if (o > ctx.lastOrder && (next < 0 || o < c[next]!.order)) next = i;
  }
  return next < 0 ? first : next;
};

export const leastUsed: Strategy = (c) => argBest(c, lessUsed);

export const lru: Strategy = (c) => argBest(c, lessRecent);

export const random: Strategy = (c, ctx) => Math.min(c.length - 1, Math.floor(ctx.random() * c.length));

/** Random in proportion to weight (keys of weight 0 only when all are 0). */
export const weighted: Strategy = (c, ctx) => {
  let total = 0;
  for (const x of c) total += Math.max(0, x.weight);
  if (total <= 0) return random(c, ctx);
  let r = ctx.random() * total;
  for (let i = 0; i < c.length; i++) {
    r -= Math.max(0, c[i]!.weight);
    if (r < 0) return i;
  }
  return c.length - 1;
};

export const strategies: Readonly<Record<StrategyName, Strategy>> = {
  default: defaultStrategy,
  'round-robin': roundRobin,
  'least-used': leastUsed,
  lru,
  random,
  weighted,
};
