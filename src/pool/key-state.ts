import type { HalfOpen } from './half-open.js';
import { keyId, maskKey } from './ids.js';
import type { LimitsSnapshot } from './types.js';
import type { OutcomeKind } from './outcome.js';
import type { Scope } from './quota.js';
import type { Candidate } from './strategy.js';
import type { KeyConfig, KeyId } from './types.js';
import { SlidingWindow } from './window.js';
import { UtcDayWindow } from './day-window.js';
import { tierOf } from './tiers.js';

const MINUTE = 60_000;

/** One key: its health, load and counters. Budgets and cooldowns of its account live on its group's Scope. */
export class KeyState {
  readonly id: KeyId;
  readonly masked: string;
  // Private so that neither JSON nor util.inspect of a lease or a key ever shows it.
  readonly #secret: string;
  order = 0;
  config!: KeyConfig;
  groupScope!: Scope;
  /** Spill order (tiers.ts): set from the config, 1 unless told. */
  tier = 1;
  /** The group came from configuration (then a group named by a response does not move the key). */
  groupConfigured = false;

  disabled: { reason: string | undefined; at: number } | undefined;
  /** Time of the last enable/disable, so a stale state loaded from a store does not undo a newer local one. */
  stateAt = 0;

  inFlight = 0;
  requests = 0;
  successes = 0;
  failures: Partial<Record<OutcomeKind, number>> = {};
  inputTokens = 0;
  outputTokens = 0;
  lastUsedAt: number | undefined;
  limits: LimitsSnapshot | undefined;

  /** Consecutive overloaded/server_error/network outcomes, and the short backoff they earned. */
  failStreak = 0;
  backoffUntil = 0;
  /** What earned the backoff in force: the provider failing, or ambiguous refusals of this key (auth_suspect). */
  backoffCause: 'failing' | 'refused' = 'failing';
  backoffReason: string | undefined;
  pendingRecovery = false;
  /** Coming back after a disable or a long out: its concurrency ramps up with successes (half-open.ts). */
  halfOpen: HalfOpen | undefined;
  /** Refused by the shared admission until this time: its configured windows full, or at its cap, across replicas. */
  heldUntil = 0;
  /** Consecutive ambiguous refusals (auth_suspect) with no success between: a repeat disables the key. */
  suspectStreak = 0;
  /** The provider's last failure on this key (status when it answered), for why no key is left. */
  lastFailure: { status?: number; reason?: string; at: number } | undefined;

  rpm: SlidingWindow | undefined;
  tpm: SlidingWindow | undefined;
  /** Per UTC calendar day (day-window.ts), not a sliding 24 h. */
  rpd: UtcDayWindow | undefined;
  maxConcurrent = Infinity;

  /** Dropped by setKeys while leases on it may still be out: they release, nothing else reacts. */
  removed = false;
  readonly view: Candidate;

  constructor(secret: string) {
    this.#secret = secret;
    this.id = keyId(secret);
    this.masked = maskKey(secret);
    this.view = {
      id: this.id,
      order: 0,
      weight: 1,
      inFlight: 0,
      requests: 0,
      lastUsedAt: -Infinity,
      headroom: 1,
      maxConcurrent: Infinity,
    };
  }

  get secret(): string {
    return this.#secret;
  }

  get weight(): number {
    return this.config.weight ?? 1;
  }

  /** Applies (new) configured limits, keeping a window's history when its limit did not change. */
  configure(c: KeyConfig): void {
    this.config = c;
    this.tier = tierOf(c);
    this.rpm = window(this.rpm, MINUTE, c.rpm);
    this.tpm = window(this.tpm, MINUTE, c.tpm);
    this.rpd = c.rpd !== undefined && c.rpd > 0 ? (this.rpd?.limit === c.rpd ? this.rpd : new UtcDayWindow(c.rpd)) : undefined;
    this.maxConcurrent = c.maxConcurrent !== undefined && c.maxConcurrent > 0 ? c.maxConcurrent : Infinity;
  }

  /** Earliest time the configured windows admit a request of `tokens` (now when they do). */
  windowsReadyAt(now: number, tokens: number): number {
    let t = now;
    if (this.rpm) t = Math.max(t, this.rpm.readyAt(now, 1));
    if (this.rpd) t = Math.max(t, this.rpd.readyAt(now, 1));
    if (this.tpm && tokens > 0) t = Math.max(t, this.tpm.readyAt(now, tokens));
    return t;
  }

  /** Fraction of the configured windows left now (for the default strategy). */
  windowsHeadroom(now: number): number {
    let h = 1;
    if (this.rpm) h = Math.min(h, 1 - this.rpm.used(now) / this.rpm.limit);
    if (this.tpm) h = Math.min(h, 1 - this.tpm.used(now) / this.tpm.limit);
    if (this.rpd) h = Math.min(h, 1 - this.rpd.used(now) / this.rpd.limit);
    return Math.max(0, h);
  }

  dispatched(now: number, tokens: number): void {
    this.inFlight++;
    this.requests++;
    this.lastUsedAt = now;
    this.rpm?.add(now);
    this.rpd?.add(now);
    if (tokens > 0) this.tpm?.add(now, tokens);
  }
}

function window(old: SlidingWindow | undefined, ms: number, limit: number | undefined): SlidingWindow | undefined {
  if (limit === undefined || !(limit > 0)) return undefined;
  return old && old.limit === limit ? old : new SlidingWindow(ms, limit);
}
