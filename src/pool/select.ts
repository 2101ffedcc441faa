import type { Budget } from './budget.js';
import type { PoolState } from './core.js';
import { AllKeysUnavailable } from './errors.js';
import { halfOpenCap } from './half-open.js';
import type { KeyState } from './key-state.js';
import { defaultStrategy, strategies, type Candidate, type Strategy, type StrategyContext } from './strategy.js';
import type { KeyId, StrategyName, UnavailableReason } from './types.js';
import { limitsUnknown, showedRoom, type Wary } from './wary.js';

/**
 * A learned bucket takes a response's reading as of the request's dispatch, but the provider counted the
 * request when it arrived, a network trip later, and had refilled for that long: the estimate runs ahead of
 * the provider by one trip's refill, and a request sent right on the refill edge (what a queue does at
 * saturation) is refused. So a learned budget is met TRIP_MS after its estimated edge, which covers trips up
 * to that long. It shifts when the edge is met, not how often: throughput is unchanged, a queued request
 * waits TRIP_MS longer, and the bucket's usable depth shrinks by TRIP_MS of refill (0.03 of a request at
 * 10 rpm). In bench:pool, with 5–30 ms one way, 31% of upstream attempts at 2× load were 429s without it
 * (every dispatch from the queue met the edge), none with it.
 */
export const TRIP_MS = 200;

function tripReadyAt(b: Budget, now: number, tokens: number): number {
  let t = now;
  if (b.requests) t = b.requests.readyAt(now, 1 + b.requests.rate * TRIP_MS);
  if (b.tokens && tokens > 0) t = Math.max(t, b.tokens.readyAt(now, tokens + b.tokens.rate * TRIP_MS));
  return t;
}

const MINUTE = 60_000;

/**
 * What the strategy sees of a key's budget (b: its quota group's, or its (group, model) scope's; undefined
 * before anything was sent there): how much is left, whether that is known, and how much of its capacity the
 * account has been given — in units of the budget when known (requests ÷ limit, tokens ÷ limit), of its learned
 * pace when only that is known, else in requests (accounts of unknown limits are taken to be alike).
 */
function describe(v: Candidate, k: KeyState, b: Budget | undefined, now: number): void {
  v.headroom = Math.min(b ? b.headroom(now) : 1, k.windowsHeadroom(now));
  v.exact = false;
  let spent = Number.NaN;
  if (b?.requests) {
    // A request budget the provider stated (rate-limit headers) is a capacity known exactly.
    spent = b.seq / b.requests.limit;
    v.exact = true;
  }
  if (b?.tokens) spent = Math.max(Number.isNaN(spent) ? 0 : spent, b.tokSeq / b.tokens.limit);
  if (Number.isNaN(spent) && k.rpm) {
    // So is a configured rpm: between such keys the share goes first (strategy.ts), as between fitted ones.
    spent = k.requests / k.rpm.limit;
    v.exact = true;
  }
  v.budgeted = !Number.isNaN(spent) || b?.day !== undefined || k.tpm !== undefined || k.rpd !== undefined;
  if (!v.budgeted && b?.pacer) {
    // Paced (no headers, learned from 429s): a group just one interval of its capacity past its last request has
    // nothing to spare; one idle for two, a full budget. Keys with room are used first, this one below its
    // pace, so the pace's upward probing (budget.ts) meets fewer 429s. The interval is the capacity believed
    // (share.ts), not the pace: the pace swings with each probe and cut, and keys of one capacity measured by
    // it would be given in proportion to where each happens to be in its cycle.
    const p = b.pacer;
    const cap = p.share.capacity ?? p.rpm;
    v.headroom = Math.min(v.headroom, Math.max(0, Math.min(1, ((now - p.lastAt) * cap) / MINUTE - 1)));
    v.budgeted = true;
    spent = p.share.given;
    v.exact = p.share.fitted !== undefined;
  }
  if (!v.budgeted) spent = b?.seq ?? 0;
  v.spent = spent;
}

/** At its concurrency cap, its group's, or its half-open cap: a release may free it, nothing says when. */
function atCap(k: KeyState, now: number): boolean {
  return k.inFlight >= k.maxConcurrent || k.groupScope.full(now) || (k.halfOpen !== undefined && k.inFlight >= halfOpenCap(k));
}

/**
 * Why pick() found no key, for the caller to judge whether waiting can help. A KeyState is returned when one
 * is found, so the usual path allocates nothing; tell the two apart with `instanceof KeyState`.
 */
export interface Blocked {
  /** Earliest time a key (not disabled, not excluded) can take the request by its budgets and cooldowns; Infinity when none. */
  readonly readyAt: number;
  /** Keys neither disabled nor excluded: none means waiting cannot help. */
  readonly alive: number;
  /** Some key is ready but at its concurrency cap (or its group's): a release may free it before readyAt. */
  readonly busy: boolean;
  /**
   * A key of a higher tier could take the request now, but it waits for a lower tier's key ready at readyAt
   * (within tierWaitMs). Not a verdict on other requests for the model: the next one may spill.
   */
  readonly held?: boolean;
}

/**
 * Eligibility and choice: which keys can take a request now (health, cooldowns, learned and configured
 * budgets, concurrency), and which of them the strategy prefers. O(keys) per pick, and no allocation when a key
 * is found: each key's candidate view is refreshed in place and the candidate array is reused.
 */
export class Selector {
  strategy: Strategy;
  readonly ctx: StrategyContext;
  #cands: Candidate[] = [];
  /**
   * Requests held for lower-tier keys since the queue was last looked at. One such key serves one held request:
   * a queue of several holds as many as there are keys and spills the rest at once, instead of all of them
   * waiting to find all but one must spill anyway.
   */
  #holds = 0;

  readonly #s: PoolState;
  /** A key's budget for a model: its group's, or its group's scope for the model when limits are per model. */
  readonly #scopeOf = (k: KeyState, model: string): Budget | undefined =>
    (this.#s.opts.limitsPerModel ? k.groupScope.models.get(model) : k.groupScope)?.budget;

  constructor(s: PoolState, name: StrategyName) {
    this.#s = s;
    this.strategy = strategies[name];
    this.ctx = { random: this.#s.opts.random, lastOrder: -1 };
  }

  /**
   * The best eligible key for a request now, by the strategy; when none, what stood in the way. Keys are
   * visited lowest tier first (tiers.ts) and the candidates come from the first tier that has any. A request
   * that would spill past a lower tier is held instead (Blocked, `held`) when a key of that tier is freed by
   * its budget or cooldown within tierWaitMs and within `patience` (how long the caller can wait, ms): a free
   * key's refill a few hundred ms away is worth more than a paid request now. A lower tier that is only busy
   * (concurrency caps) holds nothing back: when a slot frees is unknowable. A request refused already (`wary`)
   * takes a key of unknown limits only when it has shown room, for a while (wary.ts).
   */
  pick(model: string, tokens: number, exclude: ReadonlySet<KeyId> | undefined, now: number, patience = Infinity, wary?: Wary): KeyState | Blocked {
    const cands = this.#cands;
    cands.length = 0;
    let readyAt = Infinity;
    let alive = 0;
    let busy = false;
    // With one tier there is nothing to wait for instead of spilling (-1: no key is ever "soon").
    const hold = this.#s.tiered ? Math.min(this.#s.opts.tierWaitMs, patience) : -1;
    let tier = 0;
    // Keys ready within `hold`, in the tiers already passed (soon, soonKeys) and in the tier being visited.
    let soon = Infinity;
    let soonKeys = 0;
    let tierSoon = Infinity;
    let tierSoonKeys = 0;
    // What a key of unknown limits must have got through to take a wary request (wary.ts), looked up once.
    let level: number | undefined;
    for (const k of this.#s.byTier) {
      if (k.tier !== tier) {
        if (cands.length > 0) break;
        tier = k.tier;
        if (tierSoon < soon) soon = tierSoon;
        soonKeys += tierSoonKeys;
        tierSoon = Infinity;
        tierSoonKeys = 0;
      }
      if (k.disabled || exclude?.has(k.id)) continue;
      alive++;
      const r = this.readyAt(k, model, tokens, now);
      if (r > now) {
        if (r < readyAt) readyAt = r;
        // One at its cap then too would not take the request either: only budgets and cooldowns are waited for.
        if (r - now <= hold && !atCap(k, now)) {
          tierSoonKeys++;
          if (r < tierSoon) tierSoon = r;
        }
        continue;
      }
      if (atCap(k, now)) {
        busy = true;
        continue;
      }
      const v = k.view;
      v.inFlight = k.inFlight;
      v.requests = k.requests;
      v.lastUsedAt = k.lastUsedAt ?? -Infinity;
      v.weight = k.weight;
      v.maxConcurrent = k.maxConcurrent;
      const b = this.#scopeOf(k, model);
      describe(v, k, b, now);
      if (wary && now < wary.until && limitsUnknown(k, b) && !showedRoom(b, (level ??= this.#s.refusals.level(now)), now)) {
        if (wary.until < readyAt) readyAt = wary.until;
        continue;
      }
      cands.push(v);
    }
    if (cands.length === 0) {
      this.#s.sounding.full(now);
      return { readyAt, alive, busy };
    }
    if (soonKeys > this.#holds) {
      this.#holds++;
      return { readyAt: soon, alive, busy: false, held: true };
    }
    const i = cands.length === 1 ? 0 : this.#sound(cands, model, now) ?? this.strategy(cands, this.ctx);
    // view.order is the key's index in keys (keys.ts); should they ever disagree, nothing is picked.
    return this.#s.keys[cands[i]!.order] ?? { readyAt, alive, busy };
  }

  /** The candidate being sounded (sounding.ts), when the default strategy is choosing and it is one of them. */
  #sound(cands: readonly Candidate[], model: string, now: number): number | undefined {
    if (this.strategy !== defaultStrategy) return undefined;
    const k = this.#s.sounding.target(this.#s.keys, this.#scopeOf, model, now);
    if (!k) return undefined;
    const i = cands.indexOf(k.view);
    return i >= 0 ? i : undefined;
  }

  /** A pass over the wait queue begins (or a request arrives at an empty queue): nothing is held yet. */
  newPass(): void {
    this.#holds = 0;
  }

  /** Earliest time key k can take this request, ignoring its concurrency cap (now or earlier when it can now). */
  readyAt(k: KeyState, model: string, tokens: number, now: number): number {
    let t = now;
    if (this.#s.pauseUntil > t) t = this.#s.pauseUntil;
    if (k.backoffUntil > t) t = k.backoffUntil;
    return Math.max(t, this.limitsReadyAt(k, model, tokens, now));
  }

  /** The same, by rate limits, quotas and budgets alone: the provider's pause and the key's backoff left out. */
  limitsReadyAt(k: KeyState, model: string, tokens: number, now: number): number {
    const g = k.groupScope;
    let t = now;
    if (g.until > t) t = g.until;
    // Held back by a shared admission's refusal (admit.ts): spent by other replicas, not by this one.
    if (g.heldUntil > t) t = g.heldUntil;
    if (k.heldUntil > t) t = k.heldUntil;
    const m = g.models.size > 0 ? g.models.get(model) : undefined;
    if (m && m.until > t) t = m.until;
    if (m && m.heldUntil > t) t = m.heldUntil;
    const b = this.#s.opts.limitsPerModel ? m : g;
    if (b) t = Math.max(t, b.budget.readyAt(now, tokens), tripReadyAt(b.budget, now, tokens));
    return Math.max(t, k.windowsReadyAt(now, tokens));
  }


  /**
   * Why nothing can serve this request, and when something might. A key out by its rate limits or budgets is
   * cooling; one out only by the provider's pause or its failure backoff is the provider failing (with the last
   * failure it saw); one backing off after ambiguous refusals is refused.
   */
  unavailable(model: string, tokens: number, exclude: ReadonlySet<KeyId> | undefined, now: number, force?: UnavailableReason): AllKeysUnavailable {
    const keys = this.#s.keys;
    let disabled = 0;
    let exhausted = 0;
    let cooling = 0;
    let failing = 0;
    let refused = 0;
    let busy = 0;
    let readyAt = Infinity;
    let last: KeyState['lastFailure'];
    const fail = (k: KeyState) => {
      failing++;
      if (k.lastFailure && (!last || k.lastFailure.at > last.at)) last = k.lastFailure;
    };
    for (const k of keys) {
      if (k.disabled) {
        disabled++;
        continue;
      }
      const r = this.readyAt(k, model, tokens, now);
      if (r > now) {
        const g = k.groupScope;
        const m = g.models.get(model);
        const out = (g.blocked(now) && g.status === 'exhausted') || (m !== undefined && m.blocked(now) && m.status === 'exhausted');
        if (out) exhausted++;
        else if (this.limitsReadyAt(k, model, tokens, now) > now) cooling++;
        else if (k.backoffUntil > now && k.backoffCause === 'refused') refused++;
        else fail(k);
        readyAt = Math.min(readyAt, r);
      } else if (k.inFlight >= k.maxConcurrent || k.groupScope.full(now) || (k.halfOpen !== undefined && k.inFlight >= halfOpenCap(k))) busy++;
      // Ready, but it already failed this request: with the provider's trouble, unless a success came since.
      else if (exclude?.has(k.id)) {
        if (k.failStreak > 0) fail(k);
        else cooling++;
      }
    }
    const reason: UnavailableReason =
      force ??
      (keys.length === 0 ? 'no_keys'
        : disabled === keys.length ? 'all_disabled'
        : cooling > 0 ? 'all_cooling'
        : failing > 0 ? 'upstream_failing'
        : refused > 0 ? 'all_refused'
        : busy > 0 ? 'all_busy'
        : 'all_exhausted');
    const retryAfterMs = readyAt < Infinity ? Math.max(1, readyAt - now) : this.#s.opts.defaultCooldownMs;
    const lastFailure = reason === 'upstream_failing' ? last : undefined;
    return new AllKeysUnavailable(this.#s.opts.provider, reason, Math.ceil(retryAfterMs), lastFailure);
  }
}
