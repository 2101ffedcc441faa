import type { AdmitAnswer, AdmitAsk, BucketRecord, ReleaseFacts } from '../pool/index.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Float slack when comparing a refilled level with what a request needs (as the pool's budget.ts). */
const EPS = 1e-6;
/** When to ask again after a refusal at a concurrency cap: releases elsewhere are not announced. */
export const BUSY_RETRY_MS = 50;

/** A daily budget as the provider last told it, placed at the scope's dispatch count `seqAt`. */
interface Day {
  limit: number;
  remaining: number;
  resetAt: number;
  seqAt: number;
}

/** One budget scope: what was learned of its limits, and its dispatches, which readings are placed against. */
interface ScopeBook {
  req: BucketRecord | undefined;
  tok: BucketRecord | undefined;
  day: Day | undefined;
  dayTok: Day | undefined;
  seq: number;
  tseq: number;
  /** The dispatch count of the reading in force: an older reading (a slower response) is ignored. */
  readingSeq: number;
}

/** A sliding window's entries, oldest first. */
type Entries = Array<{ at: number; n: number }>;

interface KeyBook {
  leases: Map<string, number>;
  rpm: Entries;
  /** Requests of the UTC day `day` (a configured rpd rolls over at 00:00 UTC, as the pool's day-window.ts). */
  rpd: { day: number; n: number };
  tpm: Entries;
}

/** What a lease was counted on, for its release. */
export interface LeaseInfo {
  keyId: string;
  group: string;
  scope: string;
  seq: number;
  tseq: number;
}

export type BookAnswer = AdmitAnswer & { info?: LeaseInfo };

/** The budget scope of an ask: the group, or (group, model). */
export function scopeOf(group: string, model: string | undefined): string {
  return model === undefined ? group : `${group}\u0000${model}`;
}

/**
 * Admission state in one process, the reference for what the Redis script does with the same state in Redis:
 * the in-memory Admission's, and a Redis admission's own copy that decides while Redis cannot. `share` (0..1]
 * scales every limit to this replica's part of it (1 when the book is the shared truth): windows and caps
 * when checked, learned budgets when learned.
 */
export class AdmissionBook {
  #providers = new Map<string, { scopes: Map<string, ScopeBook>; groups: Map<string, Map<string, number>>; keys: Map<string, KeyBook>; leases: Map<string, LeaseInfo> }>();

  #p(provider: string) {
    let p = this.#providers.get(provider);
    if (!p) this.#providers.set(provider, (p = { scopes: new Map(), groups: new Map(), keys: new Map(), leases: new Map() }));
    return p;
  }

  #scope(provider: string, id: string): ScopeBook {
    const scopes = this.#p(provider).scopes;
    let s = scopes.get(id);
    if (!s) scopes.set(id, (s = { req: undefined, tok: undefined, day: undefined, dayTok: undefined, seq: 0, tseq: 0, readingSeq: -1 }));
    return s;
  }

  /**
   * Takes a unit of every budget the ask names and an in-flight slot, or says what is spent and until when.
   * `force` takes them whatever is left (the shared truth said yes; this copy follows it).
   */
  admit(provider: string, ask: AdmitAsk, leaseId: string, expiresAt: number, share = 1, force = false): BookAnswer {
    const p = this.#p(provider);
    const { now, tokens } = ask;
    const scopeId = scopeOf(ask.group, ask.model);
    const s = this.#scope(provider, scopeId);
    let group = p.groups.get(ask.group);
    if (!group) p.groups.set(ask.group, (group = new Map()));
    let key = p.keys.get(ask.keyId);
    if (!key) p.keys.set(ask.keyId, (key = { leases: new Map(), rpm: [], rpd: { day: -1, n: 0 }, tpm: [] }));
    expire(group, now);
    expire(key.leases, now);
    evict(key.rpm, now - MINUTE);
    evict(key.tpm, now - MINUTE);
    const today = Math.floor(now / DAY);
    if (key.rpd.day !== today) key.rpd = { day: today, n: 0 };

    if (!force) {
      let t = now;
      if (s.req) t = Math.max(t, bucketReady(s.req, now, 1 + s.req.ratePerMs * ask.marginMs));
      if (s.tok && tokens > 0) t = Math.max(t, bucketReady(s.tok, now, tokens + s.tok.ratePerMs * ask.marginMs));
      if (s.day && now < s.day.resetAt && s.day.remaining - (s.seq - s.day.seqAt) < 1) t = Math.max(t, s.day.resetAt);
      if (s.dayTok && now < s.dayTok.resetAt && s.dayTok.remaining - (s.tseq - s.dayTok.seqAt) < tokens) t = Math.max(t, s.dayTok.resetAt);
      if (t > now) return { granted: false, readyAt: t, hold: 'scope' };
      if (ask.groupCap !== undefined && group.size >= Math.max(1, Math.floor(ask.groupCap * share))) return { granted: false, readyAt: now + BUSY_RETRY_MS, hold: 'group' };
      let k = now;
      if (ask.rpm !== undefined) k = Math.max(k, windowReady(key.rpm, ask.rpm * share, MINUTE, now, 1));
      if (ask.rpd !== undefined && key.rpd.n > 0 && key.rpd.n + 1 > ask.rpd * share) k = Math.max(k, (today + 1) * DAY);
      if (ask.tpm !== undefined && tokens > 0) k = Math.max(k, windowReady(key.tpm, ask.tpm * share, MINUTE, now, tokens));
      if (k > now) return { granted: false, readyAt: k, hold: 'key' };
      if (ask.maxConcurrent !== undefined && key.leases.size >= Math.max(1, Math.floor(ask.maxConcurrent * share))) {
        return { granted: false, readyAt: now + BUSY_RETRY_MS, hold: 'key' };
      }
    }

    if (s.req) take(s.req, now, 1);
    if (s.tok && tokens > 0) take(s.tok, now, tokens);
    s.seq++;
    s.tseq += tokens;
    if (ask.rpm !== undefined) key.rpm.push({ at: now, n: 1 });
    if (ask.rpd !== undefined) key.rpd.n++;
    if (ask.tpm !== undefined && tokens > 0) key.tpm.push({ at: now, n: tokens });
    const groupInFlight = group.size;
    group.set(leaseId, expiresAt);
    key.leases.set(leaseId, expiresAt);
    const info: LeaseInfo = { keyId: ask.keyId, group: ask.group, scope: scopeId, seq: s.seq, tseq: s.tseq };
    p.leases.set(leaseId, info);
    return { granted: true, grant: { leaseId, groupInFlight }, info };
  }

  /** Frees a lease's slot and learns what its response said. Unknown leases (expired, or granted elsewhere) only teach. */
  release(provider: string, leaseId: string, info: LeaseInfo, facts: ReleaseFacts, share = 1): void {
    const p = this.#p(provider);
    p.leases.delete(leaseId);
    p.groups.get(info.group)?.delete(leaseId);
    const key = p.keys.get(info.keyId);
    key?.leases.delete(leaseId);
    if (key && facts.usedTokens !== undefined && facts.usedTokens > 0) key.tpm.push({ at: facts.now, n: facts.usedTokens });
    this.learn(provider, info.scope, facts, info.seq, info.tseq, share);
  }

  /**
   * Takes a reading made after the lease numbered `seq` (`undefined`: made now, e.g. replayed after an outage):
   * the dispatches counted since are taken off it, and a reading older than the one in force is ignored.
   */
  learn(provider: string, scopeId: string, f: ReleaseFacts, seq: number | undefined, tseq: number | undefined, share = 1): void {
    if (!f.requests && !f.tokens && !f.requestsPerDay && !f.tokensPerDay) return;
    const s = this.#scope(provider, scopeId);
    const at = seq ?? s.seq;
    const tat = tseq ?? s.tseq;
    if (at < s.readingSeq) return;
    s.readingSeq = at;
    if (f.requests) s.req = scaled(f.requests, share, s.seq - at);
    if (f.tokens) s.tok = scaled(f.tokens, share, s.tseq - tat);
    if (f.requestsPerDay) s.day = { limit: f.requestsPerDay.limit * share, remaining: f.requestsPerDay.remaining * share, resetAt: f.requestsPerDay.resetAt, seqAt: at };
    if (f.tokensPerDay) s.dayTok = { limit: f.tokensPerDay.limit * share, remaining: f.tokensPerDay.remaining * share, resetAt: f.tokensPerDay.resetAt, seqAt: tat };
  }

  /** Extends leases still out (their requests still running) to `expiresAt`. */
  renew(provider: string, leaseIds: Iterable<string>, expiresAt: number): void {
    const p = this.#p(provider);
    for (const id of leaseIds) {
      const info = p.leases.get(id);
      if (!info) continue;
      extend(p.groups.get(info.group), id, expiresAt);
      extend(p.keys.get(info.keyId)?.leases, id, expiresAt);
    }
  }
}

/**
 * Leases are kept in the order they expire (one TTL per book, and a renewal moves a lease to the end), so the
 * expired ones are the first: O(expired), not O(in flight), per admission.
 */
function expire(leases: Map<string, number>, now: number): void {
  for (const [id, until] of leases) {
    if (until > now) return;
    leases.delete(id);
  }
}

function extend(leases: Map<string, number> | undefined, id: string, until: number): void {
  if (!leases?.delete(id)) return;
  leases.set(id, until);
}

function evict(e: Entries, edge: number): void {
  let i = 0;
  while (i < e.length && e[i]!.at <= edge) i++;
  if (i > 0) e.splice(0, i);
}

/** As the pool's SlidingWindow.readyAt: when `need` more fits under `limit`; a need above it fits an empty window only. */
function windowReady(e: Entries, limit: number, windowMs: number, now: number, need: number): number {
  let sum = 0;
  for (const x of e) sum += x.n;
  if (sum === 0 || sum + need <= limit) return now;
  for (const x of e) {
    sum -= x.n;
    if (sum <= 0 || sum + need <= limit) return x.at + windowMs;
  }
  return now;
}

function levelAt(b: BucketRecord, now: number): number {
  return now <= b.at ? b.level : Math.min(b.limit, b.level + (now - b.at) * b.ratePerMs);
}

function bucketReady(b: BucketRecord, now: number, need: number): number {
  const want = Math.min(need, b.limit);
  const lvl = levelAt(b, now);
  if (lvl >= want - EPS) return now;
  // A bucket that never refills is a broken reading: ask again in a minute rather than never.
  return b.ratePerMs > 0 ? Math.ceil(now + (want - lvl) / b.ratePerMs) : now + MINUTE;
}

function take(b: BucketRecord, now: number, n: number): void {
  b.level = levelAt(b, now) - n;
  b.at = Math.max(now, b.at);
}

function scaled(r: BucketRecord, share: number, takenSince: number): BucketRecord {
  return { limit: r.limit * share, ratePerMs: r.ratePerMs * share, level: r.level * share - takenSince, at: r.at };
}
