import type { Admission } from './admission-port.js';
import type { Store } from './store-port.js';
import type { Clock } from './clock.js';
import type { LearnedLimits, Outcome, OutcomeKind, Usage } from './outcome.js';

/** A key's short stable id: a hash of the secret (never reversible to it). */
export type KeyId = string;

/** One key as configured. A bare string is `{ key }`. */
export interface KeyConfig {
  key: string;
  /** Quota group (account/project). Keys of one group share one budget and one cooldown. Default: the key itself. */
  group?: string;
  /** Configured limits, enforced locally (sliding windows) in addition to whatever is learned. */
  rpm?: number;
  tpm?: number;
  rpd?: number;
  maxConcurrent?: number;
  /** Relative share for the `weighted` strategy (default 1); also a hint of capacity for the default strategy. */
  weight?: number;
  /** Free-form label shown in snapshots (e.g. "free", "team-a"). */
  label?: string;
  /**
   * Spill order (default 1): a key of tier 2 takes a request only when no key of tier 1 can take it now or
   * within the pool's `tierWaitMs` (free keys first, a paid one as overflow). A whole number from 1; anything
   * else counts as 1 (the config file reports it).
   */
  tier?: number;
}

export type StrategyName = 'default' | 'round-robin' | 'least-used' | 'lru' | 'random' | 'weighted';

export type KeyStatus = 'active' | 'cooling' | 'exhausted' | 'disabled';

/**
 * Why no key could take a request: `all_cooling` rate limits or budgets; `upstream_failing` the provider's own
 * failures (5xx, overload, timeouts) put every key in backoff; `all_refused` ambiguous refusals (403) did.
 */
export type UnavailableReason =
  | 'all_cooling' | 'upstream_failing' | 'all_refused' | 'all_disabled' | 'all_exhausted' | 'all_busy' | 'queue_full' | 'no_keys';

export interface AcquireOptions {
  model: string;
  /** Tokens the request is expected to use (input + max output), for token budgets. */
  estimatedTokens?: number;
  signal?: AbortSignal;
  /** How long to wait in the queue for an eligible key, in ms (default from pool options). 0 = don't wait. */
  deadlineMs?: number;
  /** Keys not to pick (run() passes the keys that already failed this request). */
  exclude?: ReadonlySet<KeyId>;
  /**
   * The request was refused (429) already: for a short while a key whose limits are unknown is taken only
   * when it has shown more room than the keys refused lately (wary.ts). run() sets it on its retries.
   */
  wary?: boolean;
  /**
   * Who is asking (a client's name). Waiting requests are served round-robin across clients, in order within
   * one, so one client's flood does not delay another's few. Requests without a client share one lane.
   */
  client?: string;
}

export interface Lease {
  readonly keyId: KeyId;
  /** The secret. Only the adapter call should touch it. */
  readonly key: string;
  readonly masked: string;
  readonly group: string;
  readonly model: string;
  readonly acquiredAt: number;
  /** Records the attempt's outcome and releases the lease. A second report is ignored. */
  report(outcome: Outcome): void;
  /** Frees the key's concurrency slot without an outcome (counted as cancelled). Idempotent. */
  release(): void;
  readonly released: boolean;
}

export interface RunOptions {
  maxAttempts?: number;
  /** Overall deadline for the whole run, queue waits included, in ms. */
  deadlineMs?: number;
  estimatedTokens?: number;
  signal?: AbortSignal;
  /** Who is asking, for fair share in the wait queue (AcquireOptions.client). */
  client?: string;
}

/** What one attempt tells run(): its outcome and the value to hand back. */
export interface AttemptResult<T> {
  outcome: Outcome;
  value: T;
  /**
   * Keep the lease after a successful attempt (a stream still flowing): run() neither reports nor releases,
   * and the caller must call lease.report()/release() when the stream ends.
   */
  keepLease?: boolean;
}

export interface RunResult<T> {
  value: T;
  outcome: Outcome;
  attempts: number;
  /** The lease of the last attempt; still held when that attempt asked keepLease and succeeded. */
  lease: Lease;
}

export interface LimitsSnapshot extends LearnedLimits {
  /** When these readings were taken (epoch ms). */
  at?: number;
}

export interface KeySnapshot {
  id: KeyId;
  masked: string;
  label?: string;
  group: string;
  /** Spill order: lower tiers are used first (KeyConfig.tier). */
  tier: number;
  status: KeyStatus;
  /** Why it is cooling/exhausted/disabled (never a secret). */
  reason?: string;
  /** Per model scope, where the key's quota group is cooling or exhausted only for some models. */
  models?: Record<string, { status: KeyStatus; until?: number; reason?: string }>;
  inFlight: number;
  requests: number;
  successes: number;
  failures: Partial<Record<OutcomeKind, number>>;
  usage: Required<Pick<Usage, 'inputTokens' | 'outputTokens'>>;
  limits?: LimitsSnapshot;
  configured: { rpm?: number; tpm?: number; rpd?: number; maxConcurrent?: number; weight: number };
  cooldownUntil?: number;
  disabledAt?: number;
  lastUsedAt?: number;
  /** The pool's current estimate of the group's budgets: '*' for the whole group, else per model (limitsPerModel). */
  budgets?: Record<string, BudgetSnapshot>;
  /** Coming back half-open: at most `maxInFlight` requests at once until enough successes (pool/half-open.ts). */
  halfOpen?: { successes: number; maxInFlight: number };
  /** The group was inferred from behaviour (keys refused and recovering together), with this confidence (0..1). */
  groupInferred?: { confidence: number };
}

/** What the pool believes is left of a budget now (learned from headers), or the pace it learned without them. */
export interface BudgetSnapshot {
  requestsRemaining?: number;
  tokensRemaining?: number;
  /** Requests per minute the pool paces this group to (providers without rate-limit headers). */
  pacedRpm?: number;
  /** The window of that limit as learned from the first burst (ms), when one was. */
  windowMs?: number;
  /**
   * The limit the group's own admissions and refusals prove (requests per minute) and the window they are
   * counted in (ms: 1 s, 10 s or a minute), once one window has explained a hundred outcomes in a row (fit.ts).
   */
  fitted?: { rpm: number; windowMs: number };
  /** Concurrency cap learned from 429s that came with rate budget to spare, while it holds. */
  maxConcurrent?: number;
}

export interface PoolSnapshot {
  provider: string;
  strategy: StrategyName;
  keys: KeySnapshot[];
  waiting: number;
  /** Provider-wide pause after an `overloaded` answer, while in force. */
  pausedUntil?: number;
}

export interface PoolEvents {
  cooldown: { keyId: KeyId; group: string; model?: string; until: number; reason?: string };
  recovered: { keyId: KeyId; group: string; model?: string };
  disabled: { keyId: KeyId; reason?: string };
  exhausted: { keyId: KeyId; group: string; model?: string; until: number; reason?: string };
  enabled: { keyId: KeyId };
  /**
   * Keys keymux was not told share a quota behave as if they do (429s together, recoveries together): they are
   * budgeted as one inferred group from now on (`merged`), or a key is split out of one again because later
   * evidence contradicts it. Said once per change, for the log: the operator can confirm it with `group:`.
   */
  inferred: { group: string; keyIds: KeyId[]; confidence: number; merged: boolean };
  /**
   * A key whose limits nothing has told (no header, no configuration, never refused) is sent every request it
   * can take from now on, until its limit is fitted from the refusals (at most three minutes): said once per
   * sounding, for the log, since a key taking all the traffic for a while looks like a fault otherwise.
   */
  sounding: { keyId: KeyId; group: string };
  /** Every reported outcome, for usage accounting and stores. */
  outcome: { keyId: KeyId; group: string; model: string; outcome: Outcome; latencyMs: number };
  /** A store failed (op `store.writeState`, …) or an event listener threw (op `listener:<event>`). Never thrown. */
  error: { op: string; error: unknown };
}

export interface PoolOptions {
  /** Provider name, for snapshots and messages. */
  provider?: string;
  keys: ReadonlyArray<string | KeyConfig>;
  strategy?: StrategyName;
  clock?: Clock;
  /** Limits are per (group, model) (Gemini, OpenAI TPM) rather than per group. Default false. */
  limitsPerModel?: boolean;
  /** Default queue wait in ms when acquire() gets no deadlineMs. Default 30_000. */
  queueTimeoutMs?: number;
  /** Most requests waiting at once; beyond it acquire() rejects with queue_full. Default 1_000. */
  maxQueue?: number;
  /** Cooldown when a 429 names no time. Default 1_000 ms, growing exponentially on repeats. */
  defaultCooldownMs?: number;
  /** Upper bound on any cooldown learned from a provider (clamps absurd retry-after). Default 10 min. */
  maxCooldownMs?: number;
  /** How long a quota_exhausted with no reset time keeps a key out. Default 1 h. */
  quotaCooldownMs?: number;
  /** Random source for `random`/`weighted` and jitter (tests pass a seeded one). */
  random?: () => number;
  /** Where key state and usage are persisted/shared (write-behind). Default: none (memory only). */
  store?: Store;
  /**
   * Has the last word on shared budgets when several replicas serve one pool (Redis): each pick is admitted
   * there before it is granted. Default: none (this pool's own state decides).
   */
  admission?: Admission;
  /** Names this pool in store changes, so it ignores its own echoes. Default: a random UUID. */
  instanceId?: string;
  /** Provider-wide pause after `overloaded` without a retry time. Default 500 ms; any pause is capped by maxOverloadPauseMs (default 5 s). */
  overloadPauseMs?: number;
  maxOverloadPauseMs?: number;
  /** Consecutive overloaded/server_error/network outcomes after which a key backs off. Default 3. */
  failureThreshold?: number;
  /** First backoff of such a key, doubling per further failure up to maxFailureBackoffMs. Defaults 1 s and 30 s. */
  failureBackoffMs?: number;
  maxFailureBackoffMs?: number;
  /** run(): base of the jittered backoff between attempts (doubles per round, max 2 s). Default 100 ms. */
  retryBackoffMs?: number;
  /**
   * Keys of several tiers: how long a request waits for a lower-tier key whose budget or cooldown frees it this
   * soon, rather than spilling to a higher tier now. A lower tier only busy (at its concurrency caps) never
   * holds a request back. Default 300 ms; 0 spills at once.
   */
  tierWaitMs?: number;
}
