// The Store interface belongs to the pool (its port); the stores implement it. Re-exported so imports from
// src/store keep working.
export type {
  Store, StateChange, ProviderState, KeyRecord, ScopeRecord, LearnedRecord, BucketRecord, DayRecord, UsageDelta, UsageFilter, UsageRow,
  KeyStatusRecord, ScopeStatusRecord, KeyId,
} from '../pool/index.js';
// The admin API's records: from the port itself (the pool's door has no use for them).
export type { AddedKeyRecord, ClientUsageDelta, ClientUsageRow } from '../pool/store-port.js';
