export type {
  Store, StateChange, ProviderState, KeyRecord, ScopeRecord, LearnedRecord, BucketRecord, DayRecord, UsageDelta, UsageFilter, UsageRow,
  KeyStatusRecord, ScopeStatusRecord, AddedKeyRecord, ClientUsageDelta, ClientUsageRow,
} from './types.js';
export { MemoryStore, type MemoryStoreOptions } from './memory.js';
export { PriceTable, PRICES_AS_OF, type Price, type PriceOverrides } from './prices.js';
// The SQLite store is not exported here: it is loaded with a dynamic import (open.ts), so that importing the
// library never loads its WebAssembly.
export { openStore, type StorageSettings } from './open.js';
