// The Store interface belongs to the pool (its port); the stores implement it. Re-exported so imports from
// src/store keep working.
export type {
  Store, StateChange, ProviderState, KeyRecord, ScopeRecord, LearnedRecord, BucketRecord, DayRecord, UsageDelta, UsageFilter, UsageRow,
  KeyStatusRecord, ScopeStatusRecord, KeyId,
} from '../pool/index.js';
