/**
 * keymux — the library. Everything exported here is public API; everything else is internal.
 */
export { KeyPool, AllKeysUnavailable, KeymuxError, keyId, maskKey, narrow, sumViews } from './pool/index.js';
export type { LimitPart, LimitView } from './pool/index.js';
export { ManualClock, systemClock } from './pool/clock.js';
export type { Clock, TimerHandle } from './pool/clock.js';
export { isRetryable, OUTCOME_KINDS } from './pool/outcome.js';
export type { Outcome, OutcomeKind, Usage, LearnedLimits, BudgetReading, LimitScope } from './pool/outcome.js';
export type {
  KeyId,
  KeyConfig,
  Lease,
  AcquireOptions,
  RunOptions,
  RunResult,
  AttemptResult,
  PoolOptions,
  PoolSnapshot,
  KeySnapshot,
  KeyStatus,
  PoolEvents,
  StrategyName,
  UnavailableReason,
} from './pool/types.js';
export { adapterFor, CATALOG, findProvider } from './providers/index.js';
export type { ProviderAdapter, ProviderInfo, ProviderProfile, Wire, UpstreamResult } from './providers/index.js';
export type { Dialect } from './dialects/index.js';
export { createServer } from './server/index.js';
export type { KeymuxServer, ServerOptions } from './server/index.js';
export { loadConfig, ConfigError } from './config/index.js';
export type { Config } from './config/index.js';
