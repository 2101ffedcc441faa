// What a benchmark cell is made of: a pool of keys at a simulated provider, and the traffic offered to it.
import type { KeyConfig } from '../../src/pool/index.js';
import type { Dialect, Flavor, KeyBehaviour } from '../../test/sim/behaviour.js';

export const MINUTE = 60_000;

/** One key: how the provider treats it, and what (if anything) the operator told keymux about it. */
export interface KeySpec extends KeyBehaviour {
  /** Upstream latency multiplier of this key's successes (1 = the common distribution). */
  speed?: number;
  /** Operator configuration in keymux (group, rpm, maxConcurrent, …); the secret is filled in. */
  config?: Omit<KeyConfig, 'key'>;
}

export interface Scenario {
  id: string;
  title: string;
  /** Catalog name whose real adapter classifies the responses. */
  provider: string;
  dialect: Dialect;
  flavor: Flavor;
  model: string;
  keys: KeySpec[];
  /** Token cost of a request from a uniform draw u ∈ [0,1); none = only request limits matter. */
  tokens?: (u: number) => number;
  /** Mean of `tokens`, for the capacity of token-limited accounts. */
  meanTokens?: number;
  /**
   * Capacity changes mid-run: at `at` (a fraction of the run) every key's limits become `factor` × the
   * scenario's. The provider starts each changed account afresh (a full bucket of the new size).
   */
  changes?: { at: number; factor: number }[];
}

/** The longest window of the scenario's limits (a minute unless keys say otherwise): the unit of "within N windows". */
export function windowOf(s: Scenario): number {
  return Math.max(...s.keys.map((k) => k.windowMs ?? MINUTE));
}

/** How requests arrive: a Poisson stream, or Poisson batches (a job firing `meanBatch` requests at once on average). */
export type Arrivals = { kind: 'poisson' } | { kind: 'batch'; meanBatch: number };

/** One quota group (account/project) as the provider enforces it, with the keys that draw on it. */
export interface GroupCap {
  name: string;
  keys: number[];
  /** Successful requests per minute it can give (0 when none of its keys can be used). */
  perMinute: number;
  /** What it holds at the start (a full bucket). */
  burst: number;
}

export function groupName(s: Scenario, i: number): string {
  return s.keys[i]!.group ?? `key${i}`;
}

/**
 * The provider-side capacity of each quota group: its request rate, or its token rate over the mean request
 * size when that binds first; times the share of its requests that do not fail (a flaky key's 5xx still
 * spends quota). A group whose keys are all revoked or out of quota gives nothing.
 */
export function groupCaps(s: Scenario): GroupCap[] {
  const byName = new Map<string, GroupCap>();
  s.keys.forEach((k, i) => {
    const name = groupName(s, i);
    let g = byName.get(name);
    if (!g) byName.set(name, (g = { name, keys: [], perMinute: 0, burst: 0 }));
    g.keys.push(i);
    const usable = !k.revoked && !k.quotaExhausted;
    if (!usable || g.perMinute > 0) return;
    let rate = k.rpm ?? Infinity;
    if (k.tpm !== undefined) rate = Math.min(rate, k.tpm / (s.meanTokens ?? 1));
    if (!Number.isFinite(rate)) throw new Error(`scenario ${s.id}: key ${i} has no limit`);
    const ok = 1 - (k.failRate ?? 0) - (k.overloadRate ?? 0);
    g.perMinute = (rate * ok * MINUTE) / (k.windowMs ?? MINUTE);
    g.burst = rate * ok;
  });
  return [...byName.values()];
}

/** Successes the providers could give over `durationMs`: every group's refill plus its full bucket at the start. */
export function capacityOf(s: Scenario, durationMs: number): { perMinute: number; total: number; groups: GroupCap[] } {
  const groups = groupCaps(s);
  let perMinute = 0;
  let total = 0;
  for (const g of groups) {
    perMinute += g.perMinute;
    total += (g.perMinute * durationMs) / MINUTE + g.burst;
  }
  // With changes, each phase gives its own refill and a fresh bucket of its size.
  if (s.changes && s.changes.length > 0) {
    total = 0;
    for (const p of phasesOf(s, durationMs)) total += (p.factor * (perMinute * (p.to - p.from))) / MINUTE + p.factor * groups.reduce((a, g) => a + g.burst, 0);
  }
  return { perMinute, total, groups };
}

/** The spans of constant capacity of a run: [from, to) in ms from the start, and the factor in force. */
export function phasesOf(s: Scenario, durationMs: number): { from: number; to: number; factor: number }[] {
  const out: { from: number; to: number; factor: number }[] = [];
  let from = 0;
  let factor = 1;
  for (const c of s.changes ?? []) {
    const at = Math.round(c.at * durationMs);
    out.push({ from, to: at, factor });
    from = at;
    factor = c.factor;
  }
  out.push({ from, to: durationMs, factor });
  return out;
}

/**
 * The "single key" reference: one key whose limits are the pool's usable capacity divided by its number of
 * keys (in the 10-equal-keys scenario, exactly one of them), same provider, same headers.
 */
export function singleKeyOf(s: Scenario): Scenario {
  const caps = groupCaps(s);
  const perKey = caps.reduce((a, g) => a + g.perMinute, 0) / s.keys.length;
  const tok = s.keys.some((k) => k.tpm !== undefined);
  const key: KeySpec = tok ? { tpm: perKey * (s.meanTokens ?? 1), rpm: perKey * 10, group: 'single' } : { rpm: perKey, group: 'single' };
  return { ...s, id: `${s.id}-single`, keys: [key] };
}
