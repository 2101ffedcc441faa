import type { PriceTable } from './prices.js';
import type { ClientUsageDelta, ClientUsageRow } from './types.js';
import { hourOf } from './usage.js';

/** Client usage filter of Store.readClientUsage. */
export interface ClientUsageFilter {
  client?: string;
  from?: number;
  to?: number;
}

/** Folds deltas into rows per (client, provider, model, hour), priced when they are added, like key usage. */
export function accumulateClients(rows: Map<string, ClientUsageRow>, deltas: readonly ClientUsageDelta[], prices: PriceTable): void {
  for (const d of deltas) {
    const hour = hourOf(d.at);
    const id = `${d.client}\u0000${d.provider}\u0000${d.model}\u0000${hour}`;
    let row = rows.get(id);
    if (!row) {
      row = { client: d.client, provider: d.provider, model: d.model, hour, requests: 0, successes: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 };
      rows.set(id, row);
    }
    row.requests += d.requests;
    row.successes += d.successes;
    row.inputTokens += d.inputTokens;
    row.outputTokens += d.outputTokens;
    row.cachedTokens += d.cachedTokens;
    row.costUsd += prices.cost(d.provider, d.model, d).usd;
  }
}

export function clientMatches(r: ClientUsageRow, f: ClientUsageFilter): boolean {
  return (f.client === undefined || r.client === f.client) && (f.from === undefined || r.hour >= f.from) && (f.to === undefined || r.hour < f.to);
}
