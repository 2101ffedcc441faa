import { shareAlike } from './alike.js';
import type { PoolState } from './core.js';
import { inferenceOf, isInferred } from './groups-inferred.js';
import { startHalfOpen } from './half-open.js';
import type { KeyState } from './key-state.js';
import type { LeaseTicket } from './lease.js';
import type { LearnedLimits, Outcome } from './outcome.js';
import type { Scope, ScopeStatus } from './quota.js';
import { limitsUnknown } from './wary.js';

const MONTH = 31 * 86_400_000;

/**
 * Ambiguous refusals (auth_suspect) in a row, with no success between, that disable a key. One can be a
 * firewall's bad minute or a request the key may not make; run() already stops a request refused by two keys
 * (it is the request's), so a third on one key with nothing good between is that key, not its traffic.
 */
const SUSPECT_LIMIT = 3;
/** The sit-out after an ambiguous refusal (doubling on a repeat): long enough for retries to go elsewhere. */
const SUSPECT_BACKOFF_MS = 10_000;

/** Whether a 429's own headers say the rate budget still had room (so the refusal was about something else). */
function roomLeft(l: LearnedLimits | undefined, tokens: number): boolean {
  if (!l?.requests || l.requests.remaining === undefined || l.requests.remaining < 1) return false;
  return !l.tokens || l.tokens.remaining === undefined || l.tokens.remaining >= Math.max(1, tokens);
}

/** Puts a scope out and tells the world (events per key of the group, the store) when that changed anything. */
export function block(p: PoolState, g: Scope, s: Scope, status: ScopeStatus, until: number, reason: string | undefined, now: number, persist = true): void {
  if (!s.block(status, until, reason, now)) return;
  p.noteRecovery(s.until);
  const model = s.model !== undefined ? { model: s.model } : {};
  const name = s.status === 'exhausted' ? 'exhausted' : 'cooldown';
  for (const k of p.keysOf(g)) {
    p.events.emit(name, { keyId: k.id, group: g.group, ...model, until: s.until, ...(reason !== undefined ? { reason } : {}) });
  }
  if (persist) p.persist?.write({ kind: 'scope', group: g.group, ...model, status: s.status!, until: s.until, ...(reason !== undefined ? { reason } : {}), at: now });
}

export function disable(p: PoolState, k: KeyState, reason: string | undefined, now: number, persist = true): void {
  k.disabled = { reason, at: now };
  k.stateAt = now;
  p.version++;
  p.events.emit('disabled', { keyId: k.id, ...(reason !== undefined ? { reason } : {}) });
  if (persist) p.persist?.write({ kind: 'key', keyId: k.id, status: 'disabled', ...(reason !== undefined ? { reason } : {}), at: now });
}

/** The operator's word that a key is good again: its disable, its failure backoff and its group's outs cleared. */
export function enable(p: PoolState, k: KeyState, now: number): void {
  // A key that was out comes back half-open; enabling one that was serving changes nothing of its pace.
  if (k.disabled || k.backoffUntil > now || k.groupScope.blocked(now)) startHalfOpen(k, now);
  k.disabled = undefined;
  k.stateAt = now;
  k.failStreak = 0;
  k.backoffUntil = 0;
  k.suspectStreak = 0;
  p.version++;
  const g = k.groupScope;
  const cleared = [g, ...g.models.values()].filter((s) => s.blocked(now));
  for (const s of cleared) s.clear();
  p.events.emit('enabled', { keyId: k.id });
  p.persist?.write({ kind: 'key', keyId: k.id, status: 'active', at: now });
  for (const s of cleared) p.persist?.write({ kind: 'scope', group: g.group, ...(s.model !== undefined ? { model: s.model } : {}), status: 'active', at: now });
}

/**
 * The scope the request was counted on hears that it got through (fit.ts); a paced scope's estimate that moved
 * with it moves its peers' pooled ones (alike.ts).
 */
function heard(p: PoolState, b: Scope, t: LeaseTicket): void {
  const was = b.budget.pacer?.share.estimate;
  b.budget.heard(t.seq, true, t.acquiredAt);
  if (b.budget.pacer && b.budget.pacer.share.estimate !== was) shareAlike(p, b.model);
}

/** Moves a key without a configured group into the group a response named (two keys of one org then share a budget). */
export function moveToGroup(p: PoolState, k: KeyState, group: string, now: number, persist = true): void {
  if (k.groupConfigured || k.groupScope.group === group) return;
  k.groupScope = p.group(group);
  if (persist) p.persist?.write({ kind: 'group', keyId: k.id, group, at: now });
}

/** The scope a rate_limited/quota_exhausted outcome names: (group, model) only when limits are per model. */
function outScope(p: PoolState, g: Scope, model: string, scope: 'group' | 'model'): Scope {
  return scope === 'model' && p.opts.limitsPerModel ? g.child(model) : g;
}

/** The pool's reaction to one outcome (DESIGN.md's table). Counters are the caller's. */
export function react(p: PoolState, k: KeyState, t: LeaseTicket, model: string, o: Outcome, now: number): void {
  const opts = p.opts;
  p.version++;
  if (o.group !== undefined && o.group !== '') moveToGroup(p, k, o.group, now);
  const g = k.groupScope;
  // The budget the request was counted on; after a group move, the new group's with nothing known in flight.
  const b = t.budget.group === g.group ? t.budget : opts.limitsPerModel ? g.child(model) : g;
  const seq = b === t.budget ? t.seq : b.budget.seq;
  const tokSeq = b === t.budget ? t.tokSeq : b.budget.tokSeq;

  switch (o.kind) {
    case 'ok':
      k.failStreak = 0;
      k.suspectStreak = 0;
      g.strikes = 0;
      if (g.models.size > 0) {
        const m = g.models.get(model);
        if (m) m.strikes = 0;
      }
      if (o.limits) b.budget.learn(o.limits, seq, tokSeq, t.acquiredAt, now);
      b.budget.succeeded(now);
      if (b === t.budget) heard(p, b, t);
      if (!b.budget.known) inferenceOf(p).observe(p, k, false, t.acquiredAt, now);
      return;
    case 'rate_limited': {
      if (o.limits) b.budget.learn(o.limits, seq, tokSeq, t.acquiredAt, now);
      if (t.group === g && t.groupInFlight > 0 && roomLeft(o.limits, t.tokens)) {
        // Refused with budget to spare while others were in flight: a concurrency limit. Cap the group at
        // what was in flight before this request, for a while, instead of cooling it and repeating the mistake.
        g.learnCap(t.groupInFlight, now);
        return;
      }
      const s = outScope(p, g, model, o.scope);
      // 429s of requests sent before the current cooldown began say nothing new: they don't grow it.
      if (!s.blocked(now) || t.acquiredAt > s.setAt) s.strikes++;
      const ms = o.retryAfterMs !== undefined && o.retryAfterMs >= 0 ? o.retryAfterMs : opts.defaultCooldownMs * 2 ** Math.min(30, Math.max(0, s.strikes - 1));
      block(p, g, s, 'cooling', now + Math.min(ms, opts.maxCooldownMs), o.reason ?? 'rate limited', now);
      // Keys given alike before their limits are known may be out together: retries wait for one that shows
      // more room (wary.ts). A refusal that states the limit says what it is: it sets no level to pass.
      if (o.statedRpm === undefined && limitsUnknown(k, b.budget)) p.refusals.note(b.budget.okLastMinute(now), now);
      const was = b.budget.pacer?.share.estimate;
      // The fit hears the refusal first (a request counted on this scope only): the pace may take its limit.
      if (b === t.budget) b.budget.heard(t.seq, false, t.acquiredAt);
      // One project's stated limit says nothing of a group keymux only guessed: it may span projects.
      b.budget.rateLimited(now, t.acquiredAt, seq, isInferred(g) ? undefined : o.statedRpm);
      // A paced scope's estimate moved (fitted, or found by the pace): its peers' pooled ones move with it (alike.ts).
      if (b.budget.pacer && b.budget.pacer.share.estimate !== was) shareAlike(p, b.model);
      if (!b.budget.known) inferenceOf(p).observe(p, k, true, t.acquiredAt, now);
      return;
    }
    case 'quota_exhausted': {
      const s = outScope(p, g, model, o.scope);
      const ms = o.retryAfterMs !== undefined && o.retryAfterMs > 0 ? Math.min(o.retryAfterMs, MONTH) : opts.quotaCooldownMs;
      block(p, g, s, 'exhausted', now + ms, o.reason ?? 'quota exhausted', now);
      return;
    }
    case 'auth_failed':
      if (!k.disabled) disable(p, k, o.reason ?? 'auth_failed', now);
      return;
    case 'auth_suspect':
      suspect(p, k, o.reason ?? 'forbidden', now);
      return;
    case 'overloaded':
      // The provider's load: everyone slows down briefly, honouring its hint within bounds.
      p.pauseUntil = Math.max(p.pauseUntil, now + Math.min(o.retryAfterMs ?? opts.overloadPauseMs, opts.maxOverloadPauseMs));
      p.noteRecovery(p.pauseUntil);
      failed(p, k, o, now);
      return;
    case 'server_error':
    case 'network':
      failed(p, k, o, now);
      return;
    case 'client_error':
    case 'cancelled':
      return;
  }
}

/** Keeps a key out until `until` (never shortening an out in force) and says why. */
function backOff(p: PoolState, k: KeyState, until: number, cause: KeyState['backoffCause'], reason: string): void {
  if (until > k.backoffUntil) {
    k.backoffUntil = until;
    k.backoffCause = cause;
    k.backoffReason = reason;
  }
  k.pendingRecovery = true;
  p.noteRecovery(k.backoffUntil);
  p.events.emit('cooldown', { keyId: k.id, group: k.groupScope.group, until: k.backoffUntil, reason });
}

/** One failure is the provider's bad luck; a streak is this key's trouble: short exponential backoff. */
function failed(p: PoolState, k: KeyState, out: Outcome, now: number): void {
  const o = p.opts;
  k.lastFailure = { at: now, ...(out.status !== undefined && { status: out.status }), ...(out.reason !== undefined && { reason: out.reason }) };
  k.failStreak++;
  if (k.failStreak < o.failureThreshold) return;
  const ms = Math.min(o.maxFailureBackoffMs, o.failureBackoffMs * 2 ** Math.min(30, k.failStreak - o.failureThreshold));
  backOff(p, k, now + ms, 'failing', 'repeated failures');
}

/**
 * An ambiguous refusal: the key sits out briefly, so the next requests go to other keys; only a repeat with no
 * success between (SUSPECT_LIMIT) disables it.
 */
function suspect(p: PoolState, k: KeyState, reason: string, now: number): void {
  k.suspectStreak++;
  if (k.suspectStreak >= SUSPECT_LIMIT) {
    if (!k.disabled) disable(p, k, `${reason} (refused ${k.suspectStreak} times in a row)`, now);
    return;
  }
  backOff(p, k, now + SUSPECT_BACKOFF_MS * 2 ** (k.suspectStreak - 1), 'refused', `refused: ${reason}`);
}
