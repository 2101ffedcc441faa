import type { Admission, AdmitAnswer, AdmitAsk, AdmitGrant, ReleaseFacts } from './admission-port.js';
import { bucketFrom } from './budget.js';
import type { PoolState } from './core.js';
import type { KeyState } from './key-state.js';
import type { LeaseTicket } from './lease.js';
import type { BudgetReading, Outcome } from './outcome.js';
import type { BucketRecord, DayRecord } from './store-port.js';
import { TRIP_MS } from './select.js';
import type { Lease } from './types.js';
import type { WaitQueue, Waiter } from './waiters.js';

/** What the admission driver needs of its pool. */
export interface AdmitHost {
  readonly s: PoolState;
  readonly queue: WaitQueue;
  now(): number;
  /** The local grant, once the admission said yes (or could not say: never a refusal by accident). */
  grant(k: KeyState, model: string, tokens: number, now: number, remote: AdmitGrant | undefined): Lease;
  /** Serves the queue again: a refusal leaves its waiter there, with what held it back now known locally. */
  drain(): void;
}

/**
 * The pool's side of an Admission. A key the local strategy picked is reserved (its in-flight count taken, so
 * picks made during the round trip spread over other keys) and asked for; the waiter keeps its place in the
 * queue meanwhile. Granted, the lease is made; refused, what held it back is held locally until readyAt, so the
 * next pick goes to another candidate or waits for the right time instead of asking again at once.
 */
export class AdmitDriver {
  constructor(
    private readonly port: Admission,
    private readonly h: AdmitHost,
  ) {}

  start(w: Waiter, k: KeyState, now: number): void {
    const g = k.groupScope;
    w.pending = true;
    k.inFlight++;
    g.inFlight++;
    let answer: Promise<AdmitAnswer>;
    try {
      answer = this.port.admit(this.h.s.opts.provider, this.#ask(k, w, now));
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (a) => this.#answered(w, k, g, a),
      (error: unknown) => {
        // The port promises never to reject; if one does, the request is served on local state.
        this.h.s.events.emit('error', { op: 'admission.admit', error });
        this.#answered(w, k, g, undefined);
      },
    );
  }

  #answered(w: Waiter, k: KeyState, g: KeyState['groupScope'], a: AdmitAnswer | undefined): void {
    w.pending = false;
    k.inFlight--;
    g.inFlight--;
    const now = this.h.now();
    // Aborted, expired, closed or removed by a reload while the answer was on its way.
    const wanted = this.h.queue.has(w) && !k.removed;
    if (a && !a.granted) {
      if (!k.removed) this.#hold(k, w.model, a, now);
    } else if (!wanted) {
      if (a) this.port.release(this.h.s.opts.provider, a.grant, { now });
    } else {
      this.h.queue.served(w);
      w.resolve(this.h.grant(k, w.model, w.tokens, now, a?.grant));
    }
    this.h.drain();
  }

  #ask(k: KeyState, w: Waiter, now: number): AdmitAsk {
    const c = k.config;
    const g = k.groupScope;
    const ask: AdmitAsk = { now, keyId: k.id, group: g.group, tokens: w.tokens, marginMs: TRIP_MS };
    if (this.h.s.opts.limitsPerModel) ask.model = w.model;
    if (c.rpm !== undefined && c.rpm > 0) ask.rpm = c.rpm;
    if (c.tpm !== undefined && c.tpm > 0) ask.tpm = c.tpm;
    if (c.rpd !== undefined && c.rpd > 0) ask.rpd = c.rpd;
    if (Number.isFinite(k.maxConcurrent)) ask.maxConcurrent = k.maxConcurrent;
    if (Number.isFinite(g.cap)) ask.groupCap = g.cap;
    return ask;
  }

  #hold(k: KeyState, model: string, a: Extract<AdmitAnswer, { granted: false }>, now: number): void {
    const until = Math.max(a.readyAt, now + 1);
    const g = k.groupScope;
    const s = a.hold === 'key' ? k : a.hold === 'group' || !this.h.s.opts.limitsPerModel ? g : g.child(model);
    s.heldUntil = Math.max(s.heldUntil, until);
  }

  /** A granted lease ends: its slot goes back, and what its response taught about the budget goes to every replica. */
  release(t: LeaseTicket, o: Outcome, now: number): void {
    if (!t.remote) return;
    const facts: ReleaseFacts = { now };
    // After a move to another group the reading is about a budget this lease was not counted on.
    const learned = (o.kind === 'ok' || o.kind === 'rate_limited') && o.limits && t.budget.group === t.state.groupScope.group ? o.limits : undefined;
    if (learned) {
      const r = bucketRecord(learned.requests, t.acquiredAt, now);
      const tk = bucketRecord(learned.tokens, t.acquiredAt, now);
      const d = dayRecord(learned.requestsPerDay, t.acquiredAt);
      const dt = dayRecord(learned.tokensPerDay, t.acquiredAt);
      if (r) facts.requests = r;
      if (tk) facts.tokens = tk;
      if (d) facts.requestsPerDay = d;
      if (dt) facts.tokensPerDay = dt;
    }
    if (o.kind === 'ok' && t.tokens === 0 && o.usage?.totalTokens !== undefined && o.usage.totalTokens > 0) facts.usedTokens = o.usage.totalTokens;
    try {
      this.port.release(this.h.s.opts.provider, t.remote, facts);
    } catch (error) {
      this.h.s.events.emit('error', { op: 'admission.release', error });
    }
  }
}

/** A reading as a bucket at `now`, refilled since the request went out and with nothing taken since. */
function bucketRecord(r: BudgetReading | undefined, readingAt: number, now: number): BucketRecord | undefined {
  const b = bucketFrom(r, readingAt, now, 0);
  return b ? { limit: b.limit, ratePerMs: b.rate, level: b.level, at: b.at } : undefined;
}

function dayRecord(r: BudgetReading | undefined, readingAt: number): DayRecord | undefined {
  if (!r || r.limit === undefined || r.remaining === undefined || r.resetMs === undefined) return undefined;
  return { limit: r.limit, remaining: r.remaining, resetAt: readingAt + r.resetMs };
}
