import type { UsageDelta, UsageFilter, UsageRow } from './types.js';
import type { PriceTable } from './prices.js';

export const HOUR = 3_600_000;

/** The UTC hour (epoch ms) a time falls in: usage is kept per (key, model, hour). */
export function hourOf(at: number): number {
  return at - (((at % HOUR) + HOUR) % HOUR);
}

/** Adds one delta into a row of its hour, priced now (the price in force when the usage happened). */
export function addDelta(row: UsageRow, d: UsageDelta, cost: { usd: number; priced: boolean }): void {
  row.requests += d.requests;
  row.successes += d.successes;
  row.inputTokens += d.inputTokens;
  row.outputTokens += d.outputTokens;
  row.cachedTokens += d.cachedTokens;
  for (const [k, n] of Object.entries(d.outcomes) as [keyof UsageRow['outcomes'], number][]) row.outcomes[k] = (row.outcomes[k] ?? 0) + n;
  row.costUsd += cost.usd;
  row.priced &&= cost.priced;
  row.firstAt = Math.min(row.firstAt, d.at);
  row.lastAt = Math.max(row.lastAt, d.at);
}

export function emptyRow(d: UsageDelta): UsageRow {
  return {
    keyId: d.keyId,
    model: d.model,
    hour: hourOf(d.at),
    requests: 0,
    successes: 0,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    outcomes: {},
    costUsd: 0,
    priced: true,
    firstAt: d.at,
    lastAt: d.at,
  };
}

/** Folds deltas into rows per (key, model, hour), kept in `rows` by usageId. */
export function accumulate(rows: Map<string, UsageRow>, provider: string, deltas: readonly UsageDelta[], prices: PriceTable): void {
  for (const d of deltas) {
    const id = `${d.keyId}\u0000${d.model}\u0000${hourOf(d.at)}`;
    let row = rows.get(id);
    if (!row) rows.set(id, (row = emptyRow(d)));
    addDelta(row, d, prices.cost(provider, d.model, d));
  }
}

export function matches(r: Pick<UsageRow, 'keyId' | 'model' | 'hour'>, f: UsageFilter): boolean {
  return (
    (f.keyId === undefined || r.keyId === f.keyId) &&
    (f.model === undefined || r.model === f.model) &&
    (f.from === undefined || r.hour >= f.from) &&
    (f.to === undefined || r.hour < f.to)
  );
}
