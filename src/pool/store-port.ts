import type { OutcomeKind } from './outcome.js';
import type { KeyId } from './types.js';

/**
 * The pool's port: where its state lives beyond its process. The pool owns this interface and src/store
 * implements it (memory, SQLite, Redis), so the engine imports no store.
 *
 * The pool keeps its working state in memory and writes here behind its back (fire-and-forget): acquire/report
 * never wait on a store, and a failing store surfaces as the pool's 'error' event. A durable store (SQLite) lets a
 * restart remember disabled keys, quota outs and what was learned about limits; a shared one (Redis) lets
 * replicas see each other's 429s through subscribe().
 *
 * Every method is scoped by provider: one store serves all pools of a process.
 */
export interface Store {
  /** State in force for a provider: keys' last enable/disable and learned group, scopes still out at `now`, learned limits. */
  loadState(provider: string, now: number): Promise<ProviderState>;
  /**
   * Records one state change, then tells every subscriber of the provider (the writer included: a listener
   * skips its own changes by `origin`). Key and scope records are last-writer-wins by `at`.
   */
  writeState(provider: string, change: StateChange): Promise<void>;
  /**
   * Keeps what the pool learned about scopes' limits (budgets, pace, concurrency cap), one record per
   * (group, model), last-writer-wins by `at`. Local knowledge for a restart: not told to subscribers.
   */
  saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void>;
  /** Adds usage to the running totals per (key, model, hour). */
  addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void>;
  /** Usage rows per (key, model, hour), optionally for one key, one model or a time range. */
  readUsage(provider: string, filter?: UsageFilter): Promise<UsageRow[]>;
  /** Calls `listener` for every change written for `provider` (asynchronously). Returns the unsubscribe. */
  subscribe(provider: string, listener: (change: StateChange) => void): () => void;
  /** Writes what is pending, releases files and connections; later calls reject. Idempotent. */
  close(): Promise<void>;

  // ---- for the admin API (src/server/admin). Optional only until every store has them: memory and SQLite do.
  // REDIS STORE (to implement): keys added at run time must reach every replica, so keep them in one hash for
  // the deployment (e.g. `keymux:added-keys`, field `<provider>\u0000<keyId>`, value the JSON of AddedKeyRecord:
  // `sealed` is already encrypted by the server, store it as is); client usage like key usage, per
  // (client, provider, model, hour). The contract suite (test/store/contract.ts: "added keys", "client usage")
  // states the behaviour; replicas pick up added keys by polling listKeys().

  /** Keeps (or replaces) a key added at run time. The secret arrives sealed: the store never sees it in clear. */
  putKey?(record: AddedKeyRecord): Promise<void>;
  /** Forgets an added key; true when it was there. */
  deleteKey?(provider: string, keyId: KeyId): Promise<boolean>;
  /** Every added key, of every provider, oldest first. */
  listKeys?(): Promise<AddedKeyRecord[]>;
  /** Adds to the running totals per (client, provider, model, hour); `client` is a proxy key's id, never the key. */
  addClientUsage?(deltas: readonly ClientUsageDelta[]): Promise<void>;
  /** Client usage rows, optionally for one client or a time range (hours starting in [from, to)). */
  readClientUsage?(filter?: { client?: string; from?: number; to?: number }): Promise<ClientUsageRow[]>;
  /**
   * Where the last usage read came from, for stores shared by replicas: 'redis' (the sum of every replica) or
   * 'local' (this replica's own usage: Redis could not answer). Absent: a store of one replica.
   */
  usageSource?(): 'redis' | 'local';
}

/** A key added through the admin API. `sealed` is the secret as the server sealed it (see server/admin/vault.ts). */
export interface AddedKeyRecord {
  provider: string;
  keyId: KeyId;
  sealed: string;
  label?: string;
  group?: string;
  addedAt: number;
}

/** One or more requests of one client (a proxy key's id) on one provider's model. */
export interface ClientUsageDelta {
  client: string;
  provider: string;
  model: string;
  at: number;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

/** Client usage in one UTC hour, priced like UsageRow. */
export interface ClientUsageRow {
  client: string;
  provider: string;
  model: string;
  /** Start of the hour (epoch ms). */
  hour: number;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
}

export type KeyStatusRecord = 'active' | 'disabled';
export type ScopeStatusRecord = 'active' | 'cooling' | 'exhausted';

/** A key- or scope-state transition. `origin` names the pool instance that made it. */
export type StateChange =
  /** A key disabled (auth failure, operator) or enabled again. */
  | { kind: 'key'; keyId: KeyId; status: KeyStatusRecord; reason?: string; at: number; origin?: string }
  /** A quota group, or one (group, model) pair, cooling or exhausted until `until`; 'active' clears it. */
  | { kind: 'scope'; group: string; model?: string; status: ScopeStatusRecord; until?: number; reason?: string; at: number; origin?: string }
  /** A key's quota group learned from a response (an organization header). */
  | { kind: 'group'; keyId: KeyId; group: string; at: number; origin?: string };

export interface KeyRecord {
  keyId: KeyId;
  status: KeyStatusRecord;
  reason?: string;
  /** When the status was set. */
  at: number;
  group?: string;
}

export interface ScopeRecord {
  group: string;
  model?: string;
  status: 'cooling' | 'exhausted';
  until: number;
  reason?: string;
  at: number;
}

/** A per-minute budget as the pool last estimated it: `level` units left at `at`, refilling at `ratePerMs` up to `limit`. */
export interface BucketRecord {
  limit: number;
  ratePerMs: number;
  level: number;
  at: number;
}

/** A daily budget: `remaining` of `limit` until the window resets at `resetAt`. */
export interface DayRecord {
  limit: number;
  remaining: number;
  resetAt: number;
}

/** What the pool learned about one scope's limits, taken at `at`. Only what is known is present. */
export interface LearnedRecord {
  group: string;
  model?: string;
  at: number;
  requests?: BucketRecord;
  tokens?: BucketRecord;
  requestsPerDay?: DayRecord;
  tokensPerDay?: DayRecord;
  /** The pace learned where no header tells the limits, in requests per minute. */
  pacedRpm?: number;
  /** A concurrency cap learned from 429s that came with budget to spare, and when it is next probed. */
  maxConcurrent?: number;
  maxConcurrentUntil?: number;
}

export interface ProviderState {
  keys: KeyRecord[];
  scopes: ScopeRecord[];
  learned: LearnedRecord[];
}

/** Usage of one or more finished attempts of one key on one model. Tokens follow Usage's conventions (cached ⊂ input). */
export interface UsageDelta {
  keyId: KeyId;
  model: string;
  at: number;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  outcomes: Partial<Record<OutcomeKind, number>>;
}

export interface UsageFilter {
  keyId?: KeyId;
  model?: string;
  /** Rows of hours starting at or after this time (epoch ms). */
  from?: number;
  /** Rows of hours starting before this time (epoch ms). */
  to?: number;
}

/** Usage totals of one key on one model in one UTC hour. */
export interface UsageRow {
  keyId: KeyId;
  model: string;
  /** Start of the hour (epoch ms, a multiple of 3 600 000). */
  hour: number;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Outcomes by kind, successes (`ok`) included. */
  outcomes: Partial<Record<OutcomeKind, number>>;
  /** Approximate cost in USD from the store's price table, as priced when the usage was written. */
  costUsd: number;
  /** False when some of this usage had no price (an unknown model): costUsd then counts it as free. */
  priced: boolean;
  firstAt: number;
  lastAt: number;
}
