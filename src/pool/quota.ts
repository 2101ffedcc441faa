import { Budget } from './budget.js';

/** How long a learned concurrency cap holds before the pool tries one more. */
const CAP_PROBE_MS = 5 * 60_000;

export type ScopeStatus = 'cooling' | 'exhausted';

/**
 * One quota scope: a quota group (the account several keys may share), or one (group, model) pair under it.
 * Cooldowns and budgets live here rather than on keys, because a provider limits the account: a 429 on one
 * key of an organisation means its other keys are out too.
 */
export class Scope {
  /** Cooling or exhausted until this time (epoch ms); 0 when never. */
  until = 0;
  status: ScopeStatus | undefined;
  reason: string | undefined;
  /** When the current cooldown was set: 429s from requests dispatched before it are stale news. */
  setAt = 0;
  /**
   * Refused by the shared admission until this time (its budget spent by other replicas, or the group at its cap
   * across them). Not a cooldown: nothing is announced or stored, the pool only stops asking before then.
   */
  heldUntil = 0;
  /** 429s without a time since the last success: the exponent of the default cooldown. */
  strikes = 0;
  /** A cooldown whose end has not been announced with `recovered` yet. */
  pendingRecovery = false;
  readonly budget = new Budget();
  /** Requests in flight on the group's keys (group scopes only). */
  inFlight = 0;
  /**
   * A concurrency cap learned from 429s that came while the rate budget still had room (DeepSeek's per-account
   * concurrency, NIM's worker limits): the provider never states it. Every CAP_PROBE_MS it is raised by one, so
   * a raised limit is found again at the price of one 429, never a burst of them from a full queue.
   */
  cap = Infinity;
  capUntil = 0;
  /**
   * Scratch for capacity.ts, which counts each scope once per pass without allocating a set: the pass that
   * last saw the scope (negative once its budget was added) and the earliest time one of its keys is open.
   */
  viewPass = 0;
  viewOpenAt = 0;
  /** (group, model) scopes, on a group scope only. */
  readonly models = new Map<string, Scope>();

  constructor(
    readonly group: string,
    readonly model?: string,
  ) {}

  child(model: string): Scope {
    let s = this.models.get(model);
    if (!s) this.models.set(model, (s = new Scope(this.group, model)));
    return s;
  }

  /** At its learned concurrency cap now. */
  full(now: number): boolean {
    if (this.cap === Infinity) return false;
    if (this.capUntil <= now) {
      this.cap++;
      this.capUntil = now + CAP_PROBE_MS;
    }
    return this.inFlight >= this.cap;
  }

  /** A 429 with budget to spare while `inFlight` others were out: the cap is at most that. */
  learnCap(inFlight: number, now: number): void {
    this.cap = Math.min(this.cap, inFlight);
    this.capUntil = now + CAP_PROBE_MS;
  }

  blocked(now: number): boolean {
    return this.until > now;
  }

  /**
   * Puts the scope out until `until`. Never shortens an out already in force, and a quota out (exhausted)
   * is not downgraded by a cooldown that overlaps it. Returns whether anything changed.
   */
  block(status: ScopeStatus, until: number, reason: string | undefined, now: number): boolean {
    if (until <= now) return false;
    const active = this.until > now;
    if (active && this.until >= until && (this.status === 'exhausted' || status === 'cooling')) return false;
    this.status = active && this.status === 'exhausted' ? 'exhausted' : status;
    this.until = Math.max(active ? this.until : 0, until);
    this.reason = reason;
    this.setAt = now;
    this.pendingRecovery = true;
    return true;
  }

  clear(): void {
    this.until = 0;
    this.status = undefined;
    this.reason = undefined;
    this.pendingRecovery = false;
  }
}
