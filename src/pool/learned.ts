import { Bucket, Pacer, type Budget, type DayBudget } from './budget.js';
import type { Scope } from './quota.js';
import type { BucketRecord, DayRecord, LearnedRecord } from './store-port.js';

/**
 * What a scope learned about its limits, as plain data for a store: budgets as estimated at `now` (what is in
 * flight already taken), the pace and the concurrency cap. Undefined when nothing was learned.
 */
export function learnedOf(s: Scope, now: number): LearnedRecord | undefined {
  const b = s.budget;
  const r: LearnedRecord = { group: s.group, at: now };
  if (s.model !== undefined) r.model = s.model;
  const bare = Object.keys(r).length;
  if (b.requests) r.requests = bucketRecord(b.requests, now);
  if (b.tokens) r.tokens = bucketRecord(b.tokens, now);
  const day = dayRecord(b.day, b.seq, now);
  const dayTokens = dayRecord(b.dayTokens, b.tokSeq, now);
  if (day) r.requestsPerDay = day;
  if (dayTokens) r.tokensPerDay = dayTokens;
  if (b.pacer) r.pacedRpm = b.pacer.rpm;
  if (s.cap !== Infinity) {
    r.maxConcurrent = s.cap;
    r.maxConcurrentUntil = s.capUntil;
  }
  return Object.keys(r).length > bare ? r : undefined;
}

/**
 * Gives a scope what a store remembered, for what the scope does not know yet: live knowledge (a reading
 * taken since the start) is never replaced by an older stored one. A budget's refill since `at` is applied by
 * the bucket itself; daily windows already reset are dropped.
 */
export function restoreLearned(s: Scope, r: LearnedRecord, now: number): void {
  const b = s.budget;
  if (!b.known && !b.pacer) {
    if (r.requests) b.requests = bucketFrom(r.requests, now);
    if (r.tokens) b.tokens = bucketFrom(r.tokens, now);
    if (!b.known && r.pacedRpm !== undefined && r.pacedRpm > 0) b.pacer = new Pacer(r.pacedRpm, now, { measured: true });
  }
  b.day ??= dayFrom(r.requestsPerDay, b.seq, now);
  b.dayTokens ??= dayFrom(r.tokensPerDay, b.tokSeq, now);
  if (s.cap === Infinity && r.maxConcurrent !== undefined && r.maxConcurrent >= 0) {
    s.cap = r.maxConcurrent;
    s.capUntil = r.maxConcurrentUntil ?? now;
  }
}

function bucketRecord(k: Bucket, now: number): BucketRecord {
  const at = Math.max(now, k.at);
  return { limit: k.limit, ratePerMs: k.rate, level: k.levelAt(at), at };
}

/** A reading from the future (the clock went back across the restart) counts as taken now: it still refills. */
function bucketFrom(r: BucketRecord, now: number): Bucket {
  return new Bucket(r.limit, r.ratePerMs, Math.min(r.level, r.limit), Math.min(r.at, now));
}

/** A daily budget with the dispatches since its reading taken off, while its window lasts. */
function dayRecord(d: DayBudget | undefined, seq: number, now: number): DayRecord | undefined {
  if (!d || d.resetAt <= now) return undefined;
  return { limit: d.limit, remaining: d.remaining - (seq - d.seqAt), resetAt: d.resetAt };
}

function dayFrom(r: DayRecord | undefined, seq: number, now: number): Budget['day'] {
  if (!r || r.resetAt <= now) return undefined;
  return { limit: r.limit, remaining: r.remaining, resetAt: r.resetAt, seqAt: seq };
}
