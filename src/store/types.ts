import type { KeyId, OutcomeKind } from '../pool/index.js';

/**
 * Where a pool's state lives beyond its process. The pool keeps its working state in memory and writes here
 * behind its back (fire-and-forget): acquire/report never wait on a store, and a failing store surfaces as the
 * pool's 'error' event. A durable store (SQLite) lets a restart remember disabled keys and quota outs; a shared
 * one (Redis) lets replicas see each other's 429s through subscribe().
 *
 * Every method is scoped by provider: one store serves all pools of a process.
 */
export interface Store {
  /** State in force for a provider: keys' last enable/disable and learned group, scopes still out at `now`. */
  loadState(provider: string, now: number): Promise<ProviderState>;
  /**
   * Records one state change, then tells every subscriber of the provider (the writer included: a listener
   * skips its own changes by `origin`). Key and scope records are last-writer-wins by `at`.
   */
  writeState(provider: string, change: StateChange): Promise<void>;
  /** Adds usage to the running totals per (key, model). */
  addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void>;
  /** Usage totals per (key, model), optionally for one key or model. */
  readUsage(provider: string, filter?: { keyId?: KeyId; model?: string }): Promise<UsageRow[]>;
  /** Calls `listener` for every change written for `provider` (asynchronously). Returns the unsubscribe. */
  subscribe(provider: string, listener: (change: StateChange) => void): () => void;
  /** Releases connections; later calls reject. Idempotent. */
  close(): Promise<void>;
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

export interface ProviderState {
  keys: KeyRecord[];
  scopes: ScopeRecord[];
}

/** Usage of one or more finished attempts of one key on one model. */
export interface UsageDelta {
  keyId: KeyId;
  model: string;
  at: number;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  outcomes: Partial<Record<OutcomeKind, number>>;
}

export interface UsageRow {
  keyId: KeyId;
  model: string;
  requests: number;
  successes: number;
  inputTokens: number;
  outputTokens: number;
  outcomes: Partial<Record<OutcomeKind, number>>;
  firstAt: number;
  lastAt: number;
}
