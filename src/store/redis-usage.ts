import type { ClientUsageFilter } from './client-usage.js';
import { clientMatches } from './client-usage.js';
import type { PriceTable } from './prices.js';
import { tagOf, type RedisLink } from './redis-link.js';
import { clientUsageRow, parseJson, usageRow } from './redis-records.js';
import type { ClientUsageDelta, ClientUsageRow, UsageDelta, UsageFilter, UsageRow } from './types.js';
import { hourOf, matches } from './usage.js';

/** Deltas kept while Redis is away, at most this many of each kind (the oldest are dropped first). */
const MAX_PENDING = 100_000;

/**
 * Usage in Redis (KEYMUX_USAGE=redis): rows per hour in one hash per hour, summed by the ADD_USAGE script, so
 * every replica adds to the same totals and any of them reads them all. Key usage lives under its provider's
 * hash tag; client usage spans providers, under a tag of its own. While Redis is away, deltas are kept and
 * added on its return.
 */
export class RedisUsage {
  #pending: Array<{ provider: string; delta: UsageDelta }> = [];
  #pendingClients: ClientUsageDelta[] = [];

  constructor(
    private readonly link: RedisLink,
    private readonly prefix: string,
    private readonly prices: PriceTable,
    private readonly retentionDays: number,
  ) {}

  get #away(): boolean {
    return this.link.down || !this.link.usable;
  }

  async addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    if (this.#away) {
      for (const delta of deltas) this.#pending.push({ provider, delta });
      if (this.#pending.length > MAX_PENDING) this.#pending = this.#pending.slice(-MAX_PENDING);
      return;
    }
    const tag = tagOf(this.prefix, provider);
    const args = deltas.flatMap((d) => {
      const cost = this.prices.cost(provider, d.model, d);
      const init = { keyId: d.keyId, model: d.model, hour: hourOf(d.at), requests: 0, successes: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, outcomes: {}, costUsd: 0, priced: true, firstAt: d.at, lastAt: d.at };
      const add = { requests: d.requests, successes: d.successes, inputTokens: d.inputTokens, outputTokens: d.outputTokens, cachedTokens: d.cachedTokens, costUsd: cost.usd };
      return [hourOf(d.at), `${d.keyId}\u0000${d.model}`, JSON.stringify({ init, add, outcomes: d.outcomes, priced: cost.priced, at: d.at })];
    });
    await this.link.client.kmxAddUsage(`${tag}hours`, `${tag}u:`, this.#keepMs(), ...args);
  }

  async readUsage(provider: string, filter: UsageFilter = {}): Promise<UsageRow[]> {
    const tag = tagOf(this.prefix, provider);
    const rows: UsageRow[] = [];
    for (const o of await this.#rows(`${tag}hours`, `${tag}u:`, filter.from, filter.to)) {
      const r = usageRow(o);
      if (r && matches(r, filter)) rows.push(r);
    }
    return rows;
  }

  async addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    if (deltas.length === 0) return;
    if (this.#away) {
      this.#pendingClients.push(...deltas);
      if (this.#pendingClients.length > MAX_PENDING) this.#pendingClients = this.#pendingClients.slice(-MAX_PENDING);
      return;
    }
    const tag = tagOf(this.prefix, 'clients');
    const args = deltas.flatMap((d) => {
      const hour = hourOf(d.at);
      const init = { client: d.client, provider: d.provider, model: d.model, hour, requests: 0, successes: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0 };
      const add = { requests: d.requests, successes: d.successes, inputTokens: d.inputTokens, outputTokens: d.outputTokens, cachedTokens: d.cachedTokens, costUsd: this.prices.cost(d.provider, d.model, d).usd };
      return [hour, `${d.client}\u0000${d.provider}\u0000${d.model}`, JSON.stringify({ init, add })];
    });
    await this.link.client.kmxAddUsage(`${tag}hours`, `${tag}u:`, this.#keepMs(), ...args);
  }

  async readClientUsage(filter: ClientUsageFilter = {}): Promise<ClientUsageRow[]> {
    const tag = tagOf(this.prefix, 'clients');
    const rows: ClientUsageRow[] = [];
    for (const o of await this.#rows(`${tag}hours`, `${tag}u:`, filter.from, filter.to)) {
      const r = clientUsageRow(o);
      if (r && clientMatches(r, filter)) rows.push(r);
    }
    return rows;
  }

  /** Every row of the hours in [from, to), unchecked. */
  async #rows(index: string, hashPrefix: string, from: number | undefined, to: number | undefined): Promise<Array<Record<string, unknown>>> {
    if (!this.link.usable) throw new Error('Redis is unreachable');
    const c = this.link.client;
    const hours = await c.zrangebyscore(index, from ?? '-inf', to !== undefined ? `(${to}` : '+inf');
    const hashes = await Promise.all(hours.map((h) => c.hgetall(`${hashPrefix}${h}`)));
    const rows: Array<Record<string, unknown>> = [];
    for (const h of hashes) {
      for (const v of Object.values(h)) {
        const o = parseJson(v);
        if (o) rows.push(o);
      }
    }
    return rows;
  }

  #keepMs(): number {
    return this.retentionDays * 86_400_000;
  }

  /** Redis is back: the usage counted meanwhile is added. */
  async resync(): Promise<void> {
    const pending = this.#pending;
    const clients = this.#pendingClients;
    this.#pending = [];
    this.#pendingClients = [];
    const byProvider = new Map<string, UsageDelta[]>();
    for (const { provider, delta } of pending) {
      let list = byProvider.get(provider);
      if (!list) byProvider.set(provider, (list = []));
      list.push(delta);
    }
    for (const [provider, deltas] of byProvider) await this.addUsage(provider, deltas);
    await this.addClientUsage(clients);
  }
}
