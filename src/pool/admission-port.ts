import type { BucketRecord, DayRecord } from './store-port.js';
import type { KeyId } from './types.js';

/**
 * The pool's second port: who has the last word on a shared budget. Alone, a pool decides by its own state.
 * Several replicas of one pool (one account's keys behind N processes) each see only their own dispatches, so
 * each would spend the budget the provider's last reading showed: N times over. With an Admission, the local
 * state still filters and ranks the candidates (no round trip to find them), then the chosen key is admitted
 * here, atomically across replicas: one budget unit and one in-flight slot taken together, or a refusal that
 * says until when. src/store implements it (in memory; in Redis, one Lua script).
 *
 * An implementation never rejects for its own trouble: unreachable, it decides from local state with this
 * replica's share of each budget, since no request may fail because the shared state is down.
 *
 * Kept per replica: the pace learned where no header tells the limits. Each replica learns it from the
 * successes it saw, so it is that replica's share, and the replicas' paces add up to the whole. A concurrency
 * cap learned from 429s is learned by each replica too, but from the in-flight count of all of them
 * (AdmitGrant.groupInFlight), and the admission holds it against all of them (AdmitAsk.groupCap).
 */
export interface Admission {
  admit(provider: string, ask: AdmitAsk): Promise<AdmitAnswer>;
  /**
   * Ends a granted lease: frees its in-flight slot and applies what its response taught about the budget it was
   * counted on. Fire-and-forget: a pool never waits for it.
   */
  release(provider: string, grant: AdmitGrant, facts: ReleaseFacts): void;
}

/** One request to admit on one key, at `now` (the pool's clock: implementations read no clock of their own here). */
export interface AdmitAsk {
  now: number;
  keyId: KeyId;
  /** The key's quota group: leases in flight are counted on it. */
  group: string;
  /** The budget scope is (group, model) when limits are per model, else the group. */
  model?: string;
  /** Tokens the request is expected to use (0 when unknown). */
  tokens: number;
  /** A learned budget must hold this much more than the request needs: its refill over one network trip. */
  marginMs: number;
  /** The key's configured limits (sliding windows of a minute, a minute, a day) and concurrency cap. */
  rpm?: number;
  tpm?: number;
  rpd?: number;
  maxConcurrent?: number;
  /** A concurrency cap the pool learned for the group (429s that came with budget to spare). */
  groupCap?: number;
}

/**
 * What a refusal holds back until readyAt: `scope` the budget scope (its learned budget is spent); `key` the key
 * (its configured windows are full, or it is at its concurrency cap); `group` every key of the group (at its
 * learned concurrency cap). At a cap readyAt is only when to ask again: other replicas' releases are not announced.
 */
export type AdmitHold = 'scope' | 'key' | 'group';

export type AdmitAnswer = { granted: true; grant: AdmitGrant } | { granted: false; readyAt: number; hold: AdmitHold };

export interface AdmitGrant {
  readonly leaseId: string;
  /** Requests in flight on the group across replicas just before this one (what a concurrency cap is learned from). */
  readonly groupInFlight: number;
}

/**
 * What a response taught about the budget scope its request was counted on, as of `now`, with nothing taken off
 * for requests dispatched after it: the implementation knows those (from every replica) and subtracts them.
 */
export interface ReleaseFacts {
  now: number;
  requests?: BucketRecord;
  tokens?: BucketRecord;
  requestsPerDay?: DayRecord;
  tokensPerDay?: DayRecord;
  /** Tokens the request used, for a tpm window that counted none at admission (no estimate was given). */
  usedTokens?: number;
}
