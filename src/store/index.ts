export type { Store, StateChange, ProviderState, KeyRecord, ScopeRecord, UsageDelta, UsageRow, KeyStatusRecord, ScopeStatusRecord } from './types.js';
export { MemoryStore } from './memory.js';
