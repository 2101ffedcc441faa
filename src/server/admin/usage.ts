import type { UsageRow } from '../../store/index.js';
import { HttpError } from '../errors.js';
import { usageSourceOf, type AdminDeps } from './keys.js';
import { tiersOf } from './tiers.js';

export const USAGE_BY = ['key', 'model', 'provider', 'tier', 'client', 'day', 'hour'] as const;
export type UsageBy = (typeof USAGE_BY)[number];

const DAY = 86_400_000;

export interface UsageTotals {
  requests: number;
  successes: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
}

/** A time from the query: epoch milliseconds, or anything Date.parse reads (`2025-06-01`, ISO 8601). */
export function timeParam(q: URLSearchParams | undefined, name: string, fallback: number): number {
  const v = q?.get(name);
  if (v === null || v === undefined || v === '') return fallback;
  const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(t)) throw new HttpError('KMX_ERR_BAD_REQUEST', `"${name}" must be a time: epoch milliseconds or ISO 8601 (2025-06-01T00:00:00Z)`);
  return t;
}

/** The [from, to) window of a query: the last 24 hours unless told. */
export function windowOf(q: URLSearchParams | undefined, now: number): { from: number; to: number } {
  const to = timeParam(q, 'to', now);
  const from = timeParam(q, 'from', to - DAY);
  if (from >= to) throw new HttpError('KMX_ERR_BAD_REQUEST', '"from" must be before "to"');
  return { from, to };
}

function byParam(q: URLSearchParams | undefined): UsageBy {
  const v = q?.get('by') ?? 'key';
  const by = USAGE_BY.find((b) => b === v);
  if (!by) throw new HttpError('KMX_ERR_BAD_REQUEST', `"by" must be one of ${USAGE_BY.join(', ')}`);
  return by;
}

const emptyTotals = (): UsageTotals => ({ requests: 0, successes: 0, errors: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 });

function add(t: UsageTotals, r: Pick<UsageRow, 'requests' | 'successes' | 'inputTokens' | 'outputTokens' | 'cachedTokens' | 'costUsd'>, cancelled: number): void {
  t.requests += r.requests;
  t.successes += r.successes;
  t.errors += r.requests - r.successes - cancelled;
  t.inputTokens += r.inputTokens;
  t.outputTokens += r.outputTokens;
  t.cachedTokens += r.cachedTokens;
  t.costUsd += r.costUsd;
}

/**
 * GET /admin/usage?from=&to=&by=: stored usage in whole UTC hours overlapping [from, to), grouped. Rows carry
 * the group's fields (`provider` and `id` by key, `provider` and `model` by model, `provider` and `tier` by tier
 * (the key's tier now), `client` by client, `day` or `hour` as ISO text) and the totals, costliest first (by
 * time: in time order). `client=<name>`: that client's usage only, grouped by client, model, provider, day or hour.
 */
export async function usageReport(d: AdminDeps, q: URLSearchParams | undefined): Promise<object> {
  const by = byParam(q);
  const { from, to } = windowOf(q, d.rt.clock.now());
  // Rows are hours: the hour `from` falls in counts whole.
  const range = { from: from - (((from % 3_600_000) + 3_600_000) % 3_600_000), to };
  const groups = new Map<string, { fields: Record<string, string | number | null>; totals: UsageTotals }>();
  const into = (gid: string, fields: Record<string, string | number | null>) => {
    let g = groups.get(gid);
    if (!g) groups.set(gid, (g = { fields, totals: emptyTotals() }));
    return g.totals;
  };
  // One client's usage (`client=team-a`, by name): its own rows, grouped as asked (they know no key).
  const client = q?.get('client') || undefined;
  if (by === 'client' || client !== undefined) {
    const read = d.rt.store.readClientUsage;
    if (!read) throw new HttpError('KMX_ERR_BAD_REQUEST', 'This store keeps no usage per client');
    if (by === 'key') throw new HttpError('KMX_ERR_BAD_REQUEST', 'usage per client is not kept per key: use by=client, model, provider, day or hour with client=');
    for (const r of await read.call(d.rt.store, { ...range, ...(client !== undefined && { client }) })) {
      if (by === 'client') add(into(r.client, { client: r.client }), r, 0);
      else if (by === 'model') add(into(`${r.provider}\u0000${r.model}`, { provider: r.provider, model: r.model }), r, 0);
      else if (by === 'provider') add(into(r.provider, { provider: r.provider }), r, 0);
      else {
        const at = by === 'day' ? r.hour - (r.hour % DAY) : r.hour;
        const label = by === 'day' ? new Date(at).toISOString().slice(0, 10) : new Date(at).toISOString();
        add(into(label, { [by]: label }), r, 0);
      }
    }
  } else {
    for (const p of d.rt.providers.values()) {
      const tiers = by === 'tier' ? tiersOf(p.pool.snapshot().keys) : undefined;
      for (const r of await d.rt.store.readUsage(p.name, range)) {
        const cancelled = r.outcomes.cancelled ?? 0;
        if (by === 'key') add(into(`${p.name}\u0000${r.keyId}`, { provider: p.name, id: r.keyId, masked: p.pool.key(r.keyId)?.masked ?? '' }), r, cancelled);
        else if (by === 'model') add(into(`${p.name}\u0000${r.model}`, { provider: p.name, model: r.model }), r, cancelled);
        else if (by === 'provider') add(into(p.name, { provider: p.name }), r, cancelled);
        else if (tiers) {
          // By the key's tier now; a key no longer configured has none (null), so the rows still add up.
          const tier = tiers.get(r.keyId) ?? null;
          add(into(`${p.name}\u0000${tier}`, { provider: p.name, tier }), r, cancelled);
        }
        else {
          const at = by === 'day' ? r.hour - (r.hour % DAY) : r.hour;
          const label = by === 'day' ? new Date(at).toISOString().slice(0, 10) : new Date(at).toISOString();
          add(into(label, { [by]: label }), r, cancelled);
        }
      }
    }
  }
  const sorted = [...groups.entries()];
  // Day and hour labels are ISO text, which sorts as time does.
  if (by === 'day' || by === 'hour') sorted.sort(([a], [b]) => a.localeCompare(b));
  else sorted.sort(([, a], [, b]) => b.totals.costUsd - a.totals.costUsd || b.totals.requests - a.totals.requests);
  const rows = sorted.map(([, g]) => ({ ...g.fields, ...g.totals, costUsd: Math.round(g.totals.costUsd * 1e6) / 1e6 }));
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), by, ...(client !== undefined && { client }), ...usageSourceOf(d), rows };
}
