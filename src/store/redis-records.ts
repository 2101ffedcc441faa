import { OUTCOME_KINDS, type OutcomeKind } from '../pool/index.js';
import type { AddedKeyRecord, BucketRecord, ClientUsageRow, DayRecord, KeyRecord, LearnedRecord, ScopeRecord, StateChange, UsageRow } from './types.js';

/**
 * What comes back from Redis is text another process (or another version of keymux) wrote: each record is
 * checked field by field into its type, and one that does not fit is left out rather than trusted.
 */
type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined;
}

export function parseJson(text: string): Obj | undefined {
  try {
    return obj(JSON.parse(text));
  } catch {
    return undefined;
  }
}

const str = (o: Obj, k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
const num = (o: Obj, k: string): number | undefined => (typeof o[k] === 'number' && Number.isFinite(o[k]) ? o[k] : undefined);

function isOutcomeKind(k: string): k is OutcomeKind {
  return OUTCOME_KINDS.some((o) => o === k);
}

export function keyRecord(o: Obj): KeyRecord | undefined {
  const keyId = str(o, 'keyId');
  const status = o.status === 'active' || o.status === 'disabled' ? o.status : undefined;
  const at = num(o, 'at');
  if (keyId === undefined || status === undefined || at === undefined) return undefined;
  const r: KeyRecord = { keyId, status, at };
  const reason = str(o, 'reason');
  const group = str(o, 'group');
  if (reason !== undefined) r.reason = reason;
  if (group !== undefined) r.group = group;
  return r;
}

/** A scope still out at `now`; undefined when cleared, over or unreadable. */
export function scopeRecord(o: Obj, now: number): ScopeRecord | undefined {
  const group = str(o, 'group');
  const status = o.status === 'cooling' || o.status === 'exhausted' ? o.status : undefined;
  const until = num(o, 'until');
  const at = num(o, 'at');
  if (o.cleared === true || group === undefined || status === undefined || until === undefined || at === undefined || until <= now) return undefined;
  const r: ScopeRecord = { group, status, until, at };
  const model = str(o, 'model');
  const reason = str(o, 'reason');
  if (model !== undefined) r.model = model;
  if (reason !== undefined) r.reason = reason;
  return r;
}

function bucket(v: unknown): BucketRecord | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const limit = num(o, 'limit');
  const ratePerMs = num(o, 'ratePerMs');
  const level = num(o, 'level');
  const at = num(o, 'at');
  return limit !== undefined && ratePerMs !== undefined && level !== undefined && at !== undefined ? { limit, ratePerMs, level, at } : undefined;
}

function day(v: unknown): DayRecord | undefined {
  const o = obj(v);
  if (!o) return undefined;
  const limit = num(o, 'limit');
  const remaining = num(o, 'remaining');
  const resetAt = num(o, 'resetAt');
  return limit !== undefined && remaining !== undefined && resetAt !== undefined ? { limit, remaining, resetAt } : undefined;
}

export function learnedRecord(o: Obj): LearnedRecord | undefined {
  const group = str(o, 'group');
  const at = num(o, 'at');
  if (group === undefined || at === undefined) return undefined;
  const r: LearnedRecord = { group, at };
  const model = str(o, 'model');
  if (model !== undefined) r.model = model;
  const requests = bucket(o.requests);
  const tokens = bucket(o.tokens);
  const requestsPerDay = day(o.requestsPerDay);
  const tokensPerDay = day(o.tokensPerDay);
  if (requests) r.requests = requests;
  if (tokens) r.tokens = tokens;
  if (requestsPerDay) r.requestsPerDay = requestsPerDay;
  if (tokensPerDay) r.tokensPerDay = tokensPerDay;
  for (const k of ['pacedRpm', 'maxConcurrent', 'maxConcurrentUntil'] as const) {
    const v = num(o, k);
    if (v !== undefined) r[k] = v;
  }
  return r;
}

export function usageRow(o: Obj): UsageRow | undefined {
  const keyId = str(o, 'keyId');
  const model = str(o, 'model');
  const counts = ['hour', 'requests', 'successes', 'inputTokens', 'outputTokens', 'cachedTokens', 'costUsd', 'firstAt', 'lastAt'].map((k) => num(o, k));
  const [hour, requests, successes, inputTokens, outputTokens, cachedTokens, costUsd, firstAt, lastAt] = counts;
  if (keyId === undefined || model === undefined || typeof o.priced !== 'boolean') return undefined;
  if (hour === undefined || requests === undefined || successes === undefined || inputTokens === undefined || outputTokens === undefined) return undefined;
  if (cachedTokens === undefined || costUsd === undefined || firstAt === undefined || lastAt === undefined) return undefined;
  const outcomes: UsageRow['outcomes'] = {};
  for (const [k, v] of Object.entries(obj(o.outcomes) ?? {})) if (isOutcomeKind(k) && typeof v === 'number') outcomes[k] = v;
  return { keyId, model, hour, requests, successes, inputTokens, outputTokens, cachedTokens, outcomes, costUsd, priced: o.priced, firstAt, lastAt };
}

/** A change as published by another replica. */
export function stateChange(o: Obj): StateChange | undefined {
  const at = num(o, 'at');
  if (at === undefined) return undefined;
  const origin = str(o, 'origin');
  const reason = str(o, 'reason');
  const extra = { ...(origin !== undefined ? { origin } : {}), ...(reason !== undefined ? { reason } : {}) };
  if (o.kind === 'key') {
    const keyId = str(o, 'keyId');
    const status = o.status === 'active' || o.status === 'disabled' ? o.status : undefined;
    return keyId !== undefined && status !== undefined ? { kind: 'key', keyId, status, at, ...extra } : undefined;
  }
  if (o.kind === 'group') {
    const keyId = str(o, 'keyId');
    const group = str(o, 'group');
    return keyId !== undefined && group !== undefined ? { kind: 'group', keyId, group, at, ...(origin !== undefined ? { origin } : {}) } : undefined;
  }
  if (o.kind !== 'scope') return undefined;
  const group = str(o, 'group');
  const status = o.status === 'active' || o.status === 'cooling' || o.status === 'exhausted' ? o.status : undefined;
  if (group === undefined || status === undefined) return undefined;
  const model = str(o, 'model');
  const until = num(o, 'until');
  return { kind: 'scope', group, status, at, ...extra, ...(model !== undefined ? { model } : {}), ...(until !== undefined ? { until } : {}) };
}

export function clientUsageRow(o: Obj): ClientUsageRow | undefined {
  const client = str(o, 'client');
  const provider = str(o, 'provider');
  const model = str(o, 'model');
  const [hour, requests, successes, inputTokens, outputTokens, cachedTokens, costUsd] = ['hour', 'requests', 'successes', 'inputTokens', 'outputTokens', 'cachedTokens', 'costUsd'].map((k) => num(o, k));
  if (client === undefined || provider === undefined || model === undefined || hour === undefined || requests === undefined || successes === undefined) return undefined;
  if (inputTokens === undefined || outputTokens === undefined || cachedTokens === undefined || costUsd === undefined) return undefined;
  return { client, provider, model, hour, requests, successes, inputTokens, outputTokens, cachedTokens, costUsd };
}

export function addedKey(o: Obj): AddedKeyRecord | undefined {
  const provider = str(o, 'provider');
  const keyId = str(o, 'keyId');
  const sealed = str(o, 'sealed');
  const addedAt = num(o, 'addedAt');
  if (provider === undefined || keyId === undefined || sealed === undefined || addedAt === undefined) return undefined;
  const r: AddedKeyRecord = { provider, keyId, sealed, addedAt };
  const label = str(o, 'label');
  const group = str(o, 'group');
  if (label !== undefined) r.label = label;
  if (group !== undefined) r.group = group;
  return r;
}
