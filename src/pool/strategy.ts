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
  /**
   * Whether `headroom` comes from a budget the pool knows (learned from headers or from 429s, or configured
   * rpm/tpm/rpd), which already counts the requests in flight. Absent or false: nothing is known of its limits.
   */
  budgeted?: boolean;
  /**
   * How much of its capacity the key's quota group (account) has been given so far: requests (or tokens)
   * dispatched on its budget in units of the budget's size, or of its learned pace; plain requests when
   * nothing is known of its limits (comparable only with keys of which nothing is known either). NaN or absent
   * when not comparable.
   */
  spent?: number;
  /** Concurrency cap; Infinity when none is configured. */
  maxConcurrent: number;
  /**
   * Whether `spent` is counted in a capacity known exactly: a request budget the provider's headers state, a
   * configured rpm, or the limit a paced key's own admissions and refusals fitted (fit.ts), not an estimate from
   * its pace. Between two such keys spent goes before headroom.
   */
  exact?: boolean;
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
 * Default strategy, first criterion where a key's capacity is not known exactly (second, after the share, where
 * it is): the fraction of its budget a key has left (and of its concurrency slots), in steps of 1/20. Spending first where the most is left keeps every key's bucket at about the same fraction
 * of its size. Buckets refill at a rate proportional to their size, so equal fractions mean equal times to
 * full: no key sits full and loses its refill while another is drained, which is what lets a heterogeneous
 * pool give its whole capacity (a free key's few requests are used, not lost) and keeps the most in reserve
 * for the next burst. A known budget already counts the requests in flight (each dispatch takes from it at
 * once), so in-flight load divides the score only where nothing is known of the key's limits.
 */
function score(c: Candidate): number {
  const slots = Number.isFinite(c.maxConcurrent) ? Math.max(0, 1 - c.inFlight / Math.max(1, c.maxConcurrent)) : 1;
  const h = c.budgeted === true ? c.headroom * slots : (c.headroom * slots) / (1 + c.inFlight);
  return Math.round(20 * h);
}

/**
 * Among keys with as much left (typically all nearly full, below capacity), the one whose account has been
 * given the least of its capacity: shares then follow capacity (a 100-rpm key takes ten times the requests
 * of a 10-rpm one) instead of request counts, which would drive small keys to their limit first.
 */
function lessSpent(a: Candidate, b: Candidate): number {
  const sa = a.spent ?? Number.NaN;
  const sb = b.spent ?? Number.NaN;
  // Shares in units of a budget and shares in plain requests do not compare.
  if (Number.isNaN(sa) || Number.isNaN(sb) || sa === sb || (a.budgeted === true) !== (b.budgeted === true)) return 0;
  return sa < sb ? 1 : -1;
}

/**
 * Between two keys of exactly known capacity, the one given the least of its capacity goes first, whatever
 * their headroom: `spent` then counts in capacities the pool knows, and equal shares of them are what balance
 * is. Headroom moves in steps of one request of a key's budget, so a 3-deep key's is coarse beside a 40-deep
 * one's, and a 10-deep key's drifts from a 100-deep one's by more than a tenth between requests: going by
 * headroom first, the coarse keys lost most near ties (bench:pool's wmix at 0.7×: 0.69 of their capacity
 * against 0.74), and with e3's paid keys sounded (sounding.ts) the 10-a-minute keys were given 0.75 of theirs
 * against 0.69 (seeds 1–6 at 0.7×, balance 0.96; 0.99 by the share). Configured rpm and limits from headers are
 * exact too (e2 at 0.7×: balance 0.96 → 1.00; s-concurrency at 0.7×, where a one-slot key could take a request
 * only when free and lost it to a six-slot key of more headroom, 0.61 → 1.00). Only where capacity is exact: between a
 * fitted key and one whose capacity is guessed, spent compares a guess, and deciding by it drove e3's 10-rpm
 * keys to their limit (balance at 1× 0.95 → 0.88). The pace still decides when each may go at all.
 */
export const defaultStrategy: Strategy = (c) =>
  argBest(c, (a, b) => {
    if (a.exact === true && b.exact === true) {
      const sp = lessSpent(a, b);
      if (sp !== 0) return sp > 0;
    }
    const sa = score(a);
    const sb = score(b);
    if (sa !== sb) return sa > sb;
    const sp = lessSpent(a, b);
    if (sp !== 0) return sp > 0;
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
