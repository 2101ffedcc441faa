/** The key-pool engine: the only door into src/pool. */
export { KeyPool } from './pool.js';
export { ManualClock, systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export { KeymuxError, AllKeysUnavailable, AbortError, PoolClosedError } from './errors.js';
export { isRetryable, OUTCOME_KINDS } from './outcome.js';
export type { Outcome, OutcomeKind, Usage, BudgetReading, LearnedLimits, LimitScope } from './outcome.js';
export { keyId, maskKey } from './ids.js';
export { strategies, defaultStrategy, roundRobin, leastUsed, lru, random, weighted } from './strategy.js';
export type { Strategy, Candidate, StrategyContext } from './strategy.js';
export { sleep } from './run.js';
export { narrow, sumViews } from './limit-view.js';
export type { LimitPart, LimitView } from './limit-view.js';
export type * from './types.js';
export type { Admission, AdmitAsk, AdmitAnswer, AdmitGrant, AdmitHold, ReleaseFacts } from './admission-port.js';
export type {
  Store, StateChange, ProviderState, KeyRecord, ScopeRecord, LearnedRecord, BucketRecord, DayRecord, UsageDelta, UsageFilter, UsageRow,
  KeyStatusRecord, ScopeStatusRecord,
} from './store-port.js';
/** The windows configured limits are counted in, for other limiters (a client's rpm/tpm/rpd). */
export { SlidingWindow } from './window.js';
export { UtcDayWindow } from './day-window.js';
