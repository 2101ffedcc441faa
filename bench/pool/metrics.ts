// From cell results to the figures the tables show; medians over seeds.
import type { CellResult } from './cell.js';
import { MINUTE, capacityOf, groupCaps, phasesOf, windowOf, type Scenario } from './scenario.js';

/** The figures of one cell (one seed). */
export interface Row {
  goodputPct: number;
  /** Upstream attempts answered 429, % of upstream attempts; and the same after the warm-up. */
  wastedPct: number;
  wastedLatePct: number;
  /** Upstream attempts refused as unauthorised (401/403), % of upstream attempts. */
  refusedPct: number;
  errors: number;
  errorPct: number;
  p50: number;
  p99: number;
  /** Queue wait (latency minus upstream time) of served requests. */
  q50: number;
  q99: number;
  /** Mean queue wait of served requests. */
  qmean: number;
  /** Least over most of the groups' (share of successes ÷ share of capacity); NaN when not meaningful. */
  balance: number;
  successes: number;
  /** Goodput from the third window of the start to the first capacity change (or the end), % of the capacity's rate. */
  settledPct: number;
  /** Goodput from five windows after the capacity doubled to the next change, % of the new rate; NaN without. */
  afterUpPct: number;
  /** 429s after the first window, % of upstream attempts after it. */
  wastedAfterW1Pct: number;
}

const countIn = (xs: Float64Array, from: number, to: number): number => {
  let n = 0;
  for (const x of xs) if (x >= from && x < to) n++;
  return n;
};

/** Successes over [from, to) as % of what `factor` × the scenario's capacity refills meanwhile. */
function goodputIn(s: Scenario, r: CellResult, from: number, to: number, factor: number): number {
  if (!(to > from)) return Number.NaN;
  const perMs = (capacityOf(s, r.durationMs).perMinute * factor) / MINUTE;
  return (100 * countIn(r.okAt, from, to)) / (perMs * (to - from));
}

export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/**
 * Balance ratio: each quota group's share of the successes relative to its share of the capacity; the
 * ratio of the least to the most served (1 = every account used in proportion to what it can give).
 * Groups that can give nothing (revoked, out of quota) are left out. Where a token budget binds, capacity is
 * tokens and successes count by their size: a 15k-a-minute key cannot take the 16k-token requests a 90k one
 * can, and counted in requests s-tokens' default strategy read 0.45 at 1× for 1.00 in tokens.
 */
export function balanceOf(s: Scenario, r: CellResult): number {
  const caps = groupCaps(s);
  const capTotal = caps.reduce((a, g) => a + g.perMinute, 0);
  // Where a token budget binds (groupCaps), capacity is tokens: successes count by their size.
  const served = s.keys.some((k) => k.tpm !== undefined) ? r.perGroupTokens : r.perGroup;
  const succTotal = served.reduce((a, b) => a + b, 0);
  if (succTotal === 0 || capTotal === 0) return Number.NaN;
  let lo = Infinity;
  let hi = 0;
  caps.forEach((g, i) => {
    if (g.perMinute <= 0) return;
    const ratio = served[i]! / succTotal / (g.perMinute / capTotal);
    lo = Math.min(lo, ratio);
    hi = Math.max(hi, ratio);
  });
  return hi > 0 ? lo / hi : Number.NaN;
}

export function rowOf(s: Scenario, r: CellResult, single: boolean): Row {
  return {
    goodputPct: (100 * r.successes) / r.capacity,
    wastedPct: (100 * r.r429) / Math.max(1, r.attempts),
    wastedLatePct: (100 * r.r429Late) / Math.max(1, r.attemptsLate),
    refusedPct: (100 * r.refused) / Math.max(1, r.attempts),
    errors: r.errors,
    errorPct: (100 * r.errors) / Math.max(1, r.offered),
    p50: quantile(r.latencies, 0.5),
    p99: quantile(r.latencies, 0.99),
    q50: quantile(r.queueWaits, 0.5),
    q99: quantile(r.queueWaits, 0.99),
    qmean: r.queueWaits.reduce((a, b) => a + b, 0) / Math.max(1, r.queueWaits.length),
    balance: single ? Number.NaN : balanceOf(s, r),
    successes: r.successes,
    ...rampOf(s, r),
  };
}

/** The figures in windows: how soon the pool reaches the capacity, and finds it again after it doubled. */
function rampOf(s: Scenario, r: CellResult): Pick<Row, 'settledPct' | 'afterUpPct' | 'wastedAfterW1Pct'> {
  const w = windowOf(s);
  const phases = phasesOf(s, r.durationMs);
  const first = phases[0]!;
  let afterUpPct = Number.NaN;
  for (let i = 1; i < phases.length; i++) {
    const p = phases[i]!;
    if (p.factor > phases[i - 1]!.factor) {
      afterUpPct = goodputIn(s, r, p.from + 5 * w, p.to, p.factor);
      break;
    }
  }
  const late = countIn(r.attemptAt, w, Infinity);
  return {
    settledPct: goodputIn(s, r, 3 * w, first.to, first.factor),
    afterUpPct,
    wastedAfterW1Pct: (100 * countIn(r.limitedAt, w, Infinity)) / Math.max(1, late),
  };
}

/** The per-seed rows of one cell, with the single-key reference of the same seeds, reduced to medians. */
export interface Summary extends Row {
  /** Successes ÷ the single key's successes, and 1 − errors ÷ the single key's errors (%), per seed, median. */
  timesOneKey: number;
  fewerErrorsPct: number;
  seeds: number;
}

export function summarize(rows: readonly Row[], singles: readonly Row[]): Summary {
  const pick = (f: (r: Row) => number) => median(rows.map(f));
  const times = rows.map((r, i) => (singles[i] ? r.successes / Math.max(1, singles[i]!.successes) : Number.NaN));
  const fewer = rows.map((r, i) => (singles[i] && singles[i]!.errors > 0 ? 100 * (1 - r.errors / singles[i]!.errors) : Number.NaN));
  return {
    goodputPct: pick((r) => r.goodputPct),
    wastedPct: pick((r) => r.wastedPct),
    wastedLatePct: pick((r) => r.wastedLatePct),
    refusedPct: pick((r) => r.refusedPct),
    errors: pick((r) => r.errors),
    errorPct: pick((r) => r.errorPct),
    p50: pick((r) => r.p50),
    p99: pick((r) => r.p99),
    q50: pick((r) => r.q50),
    q99: pick((r) => r.q99),
    qmean: pick((r) => r.qmean),
    balance: pick((r) => r.balance),
    successes: pick((r) => r.successes),
    settledPct: pick((r) => r.settledPct),
    afterUpPct: pick((r) => r.afterUpPct),
    wastedAfterW1Pct: pick((r) => r.wastedAfterW1Pct),
    timesOneKey: median(times),
    fewerErrorsPct: median(fewer),
    seeds: rows.length,
  };
}
