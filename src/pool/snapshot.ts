import { INFERRED, inferenceOf } from './groups-inferred.js';
import type { Scope } from './quota.js';
import type { PoolState } from './core.js';
import type { KeyState } from './key-state.js';
import { halfOpenCap } from './half-open.js';
import type { BudgetSnapshot, KeySnapshot, KeyStatus } from './types.js';

function budgetSnapshot(s: Scope, now: number): BudgetSnapshot | undefined {
  const b = s.budget;
  const out: BudgetSnapshot = {};
  if (b.requests) out.requestsRemaining = Math.floor(b.requests.levelAt(now));
  if (b.tokens) out.tokensRemaining = Math.floor(b.tokens.levelAt(now));
  if (b.pacer) out.pacedRpm = Math.round(b.pacer.rpm * 10) / 10;
  if (b.pacer?.windowMs !== undefined) out.windowMs = b.pacer.windowMs;
  const f = b.fitted;
  if (f) out.fitted = { rpm: Math.round(f.rpm * 10) / 10, windowMs: f.windowMs };
  if (s.cap !== Infinity) out.maxConcurrent = s.cap;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** One key as operators see it: id and masked form only, never the secret. */
export function keySnapshot(k: KeyState, now: number, p?: PoolState): KeySnapshot {
  const g = k.groupScope;
  let status: KeyStatus = 'active';
  let reason: string | undefined;
  let cooldownUntil: number | undefined;
  if (k.disabled) {
    status = 'disabled';
    reason = k.disabled.reason;
  } else if (g.blocked(now)) {
    status = g.status ?? 'cooling';
    reason = g.reason;
    cooldownUntil = g.until;
  } else if (k.backoffUntil > now) {
    status = 'cooling';
    reason = k.backoffReason ?? 'repeated failures';
    cooldownUntil = k.backoffUntil;
  }
  const snap: KeySnapshot = {
    id: k.id,
    masked: k.masked,
    group: g.group,
    tier: k.tier,
    status,
    inFlight: k.inFlight,
    requests: k.requests,
    successes: k.successes,
    failures: { ...k.failures },
    usage: { inputTokens: k.inputTokens, outputTokens: k.outputTokens },
    configured: {
      weight: k.weight,
      ...(k.config.rpm !== undefined ? { rpm: k.config.rpm } : {}),
      ...(k.config.tpm !== undefined ? { tpm: k.config.tpm } : {}),
      ...(k.config.rpd !== undefined ? { rpd: k.config.rpd } : {}),
      ...(k.config.maxConcurrent !== undefined ? { maxConcurrent: k.config.maxConcurrent } : {}),
    },
  };
  if (k.config.label !== undefined) snap.label = k.config.label;
  if (reason !== undefined) snap.reason = reason;
  if (cooldownUntil !== undefined) snap.cooldownUntil = cooldownUntil;
  if (k.disabled) snap.disabledAt = k.disabled.at;
  if (k.halfOpen && !k.disabled) snap.halfOpen = { successes: k.halfOpen.successes, maxInFlight: halfOpenCap(k) };
  if (k.lastUsedAt !== undefined) snap.lastUsedAt = k.lastUsedAt;
  if (k.limits) snap.limits = k.limits;
  const budgets: Record<string, BudgetSnapshot> = {};
  const gb = budgetSnapshot(g, now);
  if (gb) budgets['*'] = gb;
  for (const [model, m] of g.models) {
    if (m.blocked(now)) {
      snap.models ??= {};
      snap.models[model] = { status: m.status ?? 'cooling', until: m.until, ...(m.reason !== undefined ? { reason: m.reason } : {}) };
    }
    const mb = budgetSnapshot(m, now);
    if (mb) budgets[model] = mb;
  }
  if (Object.keys(budgets).length > 0) snap.budgets = budgets;
  if (p && g.group.startsWith(INFERRED)) snap.groupInferred = { confidence: inferenceOf(p).confidence.get(g.group) ?? 0 };
  return snap;
}

export function keySnapshots(p: PoolState, now: number): KeySnapshot[] {
  return p.keys.map((k) => keySnapshot(k, now, p));
}
