import type { KeyId } from '../../pool/index.js';
import type { UsageRow } from '../../store/index.js';

/** Usage of one tier of a provider: how much went to its keys (for a paid overflow tier, what overflow cost). */
export interface TierTotals {
  tier: number;
  /** Keys of the tier now. */
  keys: number;
  requests: number;
  successes: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/**
 * Usage rows (per key) summed per tier, by the tier each key has now: usage is stored per key, and a key's
 * tier is configuration. A key moved to another tier takes its history along; rows of keys no longer
 * configured are left out (they remain in the per-key report). Lowest tier first; every tier with a key is
 * listed, used or not. Cancelled attempts are neither successes nor errors, as in the other reports.
 */
export function totalsByTier(rows: readonly UsageRow[], tierOf: ReadonlyMap<KeyId, number>): TierTotals[] {
  const out = new Map<number, TierTotals>();
  const of = (tier: number): TierTotals => {
    let t = out.get(tier);
    if (!t) out.set(tier, (t = { tier, keys: 0, requests: 0, successes: 0, errors: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }));
    return t;
  };
  for (const tier of tierOf.values()) of(tier).keys++;
  for (const r of rows) {
    const tier = tierOf.get(r.keyId);
    if (tier === undefined) continue;
    const t = of(tier);
    t.requests += r.requests;
    t.successes += r.successes;
    t.errors += r.requests - r.successes - (r.outcomes.cancelled ?? 0);
    t.inputTokens += r.inputTokens;
    t.outputTokens += r.outputTokens;
    t.costUsd += r.costUsd;
  }
  return [...out.values()].sort((a, b) => a.tier - b.tier).map((t) => ({ ...t, costUsd: Math.round(t.costUsd * 1e6) / 1e6 }));
}

/** Each key's tier, by id, from a pool snapshot's keys. */
export function tiersOf(keys: ReadonlyArray<{ id: KeyId; tier: number }>): Map<KeyId, number> {
  return new Map(keys.map((k) => [k.id, k.tier]));
}
