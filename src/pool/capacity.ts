import type { Bucket, DayBudget } from './budget.js';
import type { PoolState } from './core.js';
import type { KeyState } from './key-state.js';
import type { LimitPart, LimitView } from './limit-view.js';
import type { Scope } from './quota.js';
import { TRIP_MS } from './select.js';
import type { SlidingWindow } from './window.js';

/**
 * One dimension being summed. Times are absolute: `fullAt` the latest time a budget counted is full again,
 * `firstAt` the earliest time one of them has a unit to give.
 */
class Sum {
  limit = 0;
  remaining = 0;
  fullAt = 0;
  firstAt = Infinity;
  n = 0;

  clear(now: number): void {
    this.limit = 0;
    this.remaining = 0;
    this.fullAt = now;
    this.firstAt = Infinity;
    this.n = 0;
  }

  add(limit: number, remaining: number, fullAt: number, firstAt: number): void {
    this.n++;
    this.limit += limit;
    this.remaining += remaining;
    if (fullAt > this.fullAt) this.fullAt = fullAt;
    if (firstAt < this.firstAt) this.firstAt = firstAt;
  }

  part(now: number): LimitPart | undefined {
    if (this.n === 0) return undefined;
    // See LimitPart.resetMs: with nothing left the client waits for the first unit, not for a full pool.
    let at = this.remaining > 0 ? this.fullAt : this.firstAt;
    if (!Number.isFinite(at)) at = this.fullAt;
    return { limit: this.limit, remaining: this.remaining, resetMs: Number.isFinite(at) ? Math.max(0, Math.ceil(at - now)) : 0 };
  }
}

const EPS = 1e-6;
/** The view of a pool that knows no limits (most pools without headers): one shared object, not one per answer. */
const NOTHING: LimitView = Object.freeze({});

// One pass at a time (the pool is synchronous): the sums are reused, so a pass allocates only its result.
const REQ = new Sum();
const TOK = new Sum();
let passes = 0;

/**
 * A learned bucket (budget.ts): its level already has every dispatch taken off, requests still in flight
 * included. A unit counts as there only with the pool's own network-trip margin on top (select.ts TRIP_MS),
 * so `remaining` is what the pool would dispatch now and `firstAt` when it would dispatch the next one.
 */
function addBucket(sum: Sum, b: Bucket, openAt: number, now: number): void {
  const trip = b.rate * TRIP_MS;
  const level = b.levelAt(now);
  // The same float slack as Bucket.readyAt: a level of 8.2 less 0.2 of margin is 8 requests, not 7.999….
  const remaining = openAt > now ? 0 : Math.max(0, Math.floor(level - trip + EPS));
  const fullAt = level >= b.limit ? now : b.rate > 0 ? now + (b.limit - level) / b.rate : Infinity;
  sum.add(b.limit, remaining, Math.max(openAt, fullAt), Math.max(openAt, b.readyAt(now, 1 + trip)));
}

/** A daily budget (Groq's requests, Gemini's per-day quotas): what is left of today, back whole at its reset. */
function addDay(sum: Sum, d: DayBudget, seq: number, openAt: number, now: number): void {
  const left = now >= d.resetAt ? d.limit : d.remaining - (seq - d.seqAt);
  const remaining = openAt > now ? 0 : Math.max(0, Math.floor(left));
  const back = now >= d.resetAt ? now : d.resetAt;
  sum.add(d.limit, remaining, Math.max(openAt, left >= d.limit ? now : back), Math.max(openAt, left >= 1 ? now : back));
}

/** A configured window of one key (rpm/tpm): what its sliding window still admits. */
function addWindow(sum: Sum, w: SlidingWindow, openAt: number, now: number): void {
  const remaining = openAt > now ? 0 : Math.max(0, Math.floor(w.limit - w.used(now)));
  sum.add(w.limit, remaining, Math.max(openAt, w.fullAt(now)), Math.max(openAt, w.readyAt(now, 1)));
}

/** Until when key k can take nothing, whatever its budget: cooldowns and holds of its scopes, its backoff, the provider's pause. */
function openAt(s: PoolState, k: KeyState, g: Scope, m: Scope | undefined, now: number): number {
  let t = now;
  if (g.until > t) t = g.until;
  if (g.heldUntil > t) t = g.heldUntil;
  if (m && m.until > t) t = m.until;
  if (m && m.heldUntil > t) t = m.heldUntil;
  if (k.backoffUntil > t) t = k.backoffUntil;
  if (k.heldUntil > t) t = k.heldUntil;
  if (s.pauseUntil > t) t = s.pauseUntil;
  return t;
}

/**
 * The pool's aggregate limits for `model` now, for clients to plan with (the rate-limit headers keymux sends).
 * Summed over the keys that are not disabled; a key that is out (cooling, exhausted, backing off) adds its
 * limit and nothing remaining. A budget scope — the quota group, or (group, model) with limitsPerModel — is
 * counted once however many keys share it. Per dimension a scope's learned budget wins (per minute, else per
 * day); a key whose scope learned nothing there adds its configured rpm/tpm window. Nothing known: undefined.
 * Paces learned without headers are not limits anyone stated, and concurrency caps are not rates: neither shows.
 * O(keys), in two passes (find each scope's earliest open key, then add each scope once), no allocation but the result.
 */
export function capacity(s: PoolState, model: string, now: number): LimitView {
  const pass = ++passes;
  const perModel = s.opts.limitsPerModel;
  REQ.clear(now);
  TOK.clear(now);
  for (const k of s.keys) {
    if (k.disabled) continue;
    const g = k.groupScope;
    const m = g.models.size > 0 ? g.models.get(model) : undefined;
    const open = openAt(s, k, g, m, now);
    const sc = perModel ? m : g;
    const b = sc?.budget;
    if (k.rpm && !b?.requests && !b?.day) addWindow(REQ, k.rpm, open, now);
    if (k.tpm && !b?.tokens && !b?.dayTokens) addWindow(TOK, k.tpm, open, now);
    if (!sc) continue;
    if (sc.viewPass !== pass) {
      sc.viewPass = pass;
      sc.viewOpenAt = open;
    } else if (open < sc.viewOpenAt) sc.viewOpenAt = open;
  }
  for (const k of s.keys) {
    if (k.disabled) continue;
    const g = k.groupScope;
    const sc = perModel ? (g.models.size > 0 ? g.models.get(model) : undefined) : g;
    if (!sc || sc.viewPass !== pass) continue;
    sc.viewPass = -pass;
    const b = sc.budget;
    if (b.requests) addBucket(REQ, b.requests, sc.viewOpenAt, now);
    else if (b.day) addDay(REQ, b.day, b.seq, sc.viewOpenAt, now);
    if (b.tokens) addBucket(TOK, b.tokens, sc.viewOpenAt, now);
    else if (b.dayTokens) addDay(TOK, b.dayTokens, b.tokSeq, sc.viewOpenAt, now);
  }
  const requests = REQ.part(now);
  const tokens = TOK.part(now);
  return requests ? (tokens ? { requests, tokens } : { requests }) : tokens ? { tokens } : NOTHING;
}

/**
 * capacity() for the proxy's answers: computed at most once per pool, model and millisecond while the pool's
 * state is unchanged (`version` moves on every grant and outcome), so a burst of answers shares one pass. The
 * view is shared: nobody mutates it (narrow and sumViews build new ones).
 */
export function capacityOf(s: PoolState, model: string, now: number): LimitView {
  const c = s.view;
  if (c && c.at === now && c.version === s.version && c.model === model) return c.view;
  const view = capacity(s, model, now);
  if (c) {
    c.model = model;
    c.at = now;
    c.version = s.version;
    c.view = view;
  } else s.view = { model, at: now, version: s.version, view };
  return view;
}

export type { LimitPart, LimitView } from './limit-view.js';
