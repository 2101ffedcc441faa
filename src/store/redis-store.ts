import type { ClientUsageFilter } from './client-usage.js';
import { PriceTable, type PriceOverrides } from './prices.js';
import { tagOf, type RedisLink } from './redis-link.js';
import { addedKey, keyRecord, learnedRecord, obj, parseJson, scopeRecord, stateChange } from './redis-records.js';
import { RedisUsage } from './redis-usage.js';
import type {
  AddedKeyRecord, ClientUsageDelta, ClientUsageRow, KeyId, LearnedRecord, ProviderState, StateChange, Store, UsageDelta, UsageFilter, UsageRow,
} from './types.js';

export interface RedisStoreOptions {
  /** Prefix of every key (`keymux:`): each provider's keys then share its hash tag, `keymux:{openai}:…`. */
  prefix: string;
  prices?: PriceOverrides | PriceTable;
  /** How long usage hours are kept. Default 90 days. */
  retentionDays?: number;
  /** Close the link too on close() (the store opened it). Default false. */
  ownsLink?: boolean;
  /** The pool's clock, for which scopes are still out when catching up after an outage. */
  now?: () => number;
}

/**
 * Live pool state in Redis, shared by every replica: keys' enable/disable and learned group, scopes out,
 * learned limits (hashes per provider, last writer wins by time, one script per write), changes told to the
 * other replicas by PUBLISH from the same script; keys added through the admin API (one hash for the
 * deployment); usage in hashes per hour (redis-usage.ts) when usage is kept in Redis.
 *
 * The writer's own subscribers hear of a change at once, from here (Redis' echo of it is dropped): the pools of
 * this process never wait on a round trip for their own news. While Redis is away, writes are kept (the
 * latest per record: last writer wins makes replaying them safe) and replayed on its return; then the state
 * the other replicas wrote meanwhile is told to this process's subscribers, as changes.
 */
export class RedisStore implements Store {
  readonly #link: RedisLink;
  readonly #o: RedisStoreOptions;
  readonly #usage: RedisUsage;
  /** Tells this store's messages from other replicas' in the channel. */
  readonly #src = globalThis.crypto.randomUUID();
  readonly #listeners = new Map<string, Set<(c: StateChange) => void>>();
  readonly #pendingState = new Map<string, { provider: string; change: StateChange }>();
  readonly #pendingLearned = new Map<string, { provider: string; record: LearnedRecord }>();
  #closed = false;
  readonly #onMessage = (channel: string, message: string): void => this.#message(channel, message);

  constructor(link: RedisLink, o: RedisStoreOptions) {
    this.#link = link;
    this.#o = o;
    const prices = o.prices instanceof PriceTable ? o.prices : new PriceTable(o.prices);
    this.#usage = new RedisUsage(link, o.prefix, prices, o.retentionDays ?? 90);
    link.sub.on('message', this.#onMessage);
    link.onResync(() => this.#resync());
  }

  #tag(provider: string): string {
    this.#open();
    return tagOf(this.#o.prefix, provider);
  }

  #channel(provider: string): string {
    return `${tagOf(this.#o.prefix, provider)}changes`;
  }

  async loadState(provider: string, now: number): Promise<ProviderState> {
    const tag = this.#tag(provider);
    this.#reachable();
    const c = this.#link.client;
    const [keys, scopes, learned] = await Promise.all([c.hgetall(`${tag}keys`), c.hgetall(`${tag}scopes`), c.hgetall(`${tag}learned`)]);
    const state: ProviderState = { keys: [], scopes: [], learned: [] };
    for (const v of Object.values(keys)) {
      const o = parseJson(v);
      const r = o && keyRecord(o);
      if (r) state.keys.push(r);
    }
    for (const v of Object.values(scopes)) {
      const o = parseJson(v);
      const r = o && scopeRecord(o, now);
      if (r) state.scopes.push(r);
    }
    for (const v of Object.values(learned)) {
      const o = parseJson(v);
      const r = o && learnedRecord(o);
      if (r) state.learned.push(r);
    }
    return state;
  }

  async writeState(provider: string, change: StateChange): Promise<void> {
    this.#tag(provider);
    const copy = { ...change };
    for (const fn of this.#listeners.get(provider) ?? []) queueMicrotask(() => fn(copy));
    const id = change.kind === 'scope' ? `${change.group}\u0000${change.model ?? ''}` : change.keyId;
    if (this.#link.down || !this.#link.usable) {
      this.#keepState(provider, id, change);
      return;
    }
    try {
      await this.#write(provider, id, change);
      this.#link.ok();
    } catch (error) {
      this.#link.failed(error);
      this.#keepState(provider, id, change);
    }
  }

  #write(provider: string, id: string, change: StateChange): Promise<unknown> {
    const tag = tagOf(this.#o.prefix, provider);
    const json = JSON.stringify(change);
    const message = JSON.stringify({ src: this.#src, change });
    return this.#link.client.kmxWriteState(`${tag}keys`, `${tag}scopes`, change.kind, id, json, this.#channel(provider), message);
  }

  #keepState(provider: string, id: string, change: StateChange): void {
    const k = `${provider}\u0000${change.kind === 'scope' ? 's' : 'k'}\u0000${id}\u0000${change.kind}`;
    const old = this.#pendingState.get(k);
    if (!old || old.change.at <= change.at) this.#pendingState.set(k, { provider, change });
  }

  async saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void> {
    const tag = this.#tag(provider);
    if (records.length === 0) return;
    if (this.#link.down || !this.#link.usable) {
      for (const r of records) this.#pendingLearned.set(`${provider}\u0000${r.group}\u0000${r.model ?? ''}`, { provider, record: r });
      return;
    }
    const args = records.flatMap((r) => [`${r.group}\u0000${r.model ?? ''}`, r.at, JSON.stringify(r)]);
    await this.#link.client.kmxSaveLearned(`${tag}learned`, ...args);
  }

  async addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    this.#tag(provider);
    return this.#usage.addUsage(provider, deltas);
  }

  async readUsage(provider: string, filter?: UsageFilter): Promise<UsageRow[]> {
    this.#tag(provider);
    return this.#usage.readUsage(provider, filter);
  }

  async addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    this.#open();
    return this.#usage.addClientUsage(deltas);
  }

  async readClientUsage(filter?: ClientUsageFilter): Promise<ClientUsageRow[]> {
    this.#open();
    return this.#usage.readClientUsage(filter);
  }

  /** Added keys reach every replica (they poll listKeys); the secret arrives sealed and is kept so. */
  async putKey(record: AddedKeyRecord): Promise<void> {
    this.#open();
    this.#reachable();
    await this.#link.client.hset(this.#addedKeys(), `${record.provider}\u0000${record.keyId}`, JSON.stringify(record));
  }

  async deleteKey(provider: string, keyId: KeyId): Promise<boolean> {
    this.#open();
    this.#reachable();
    return (await this.#link.client.hdel(this.#addedKeys(), `${provider}\u0000${keyId}`)) > 0;
  }

  async listKeys(): Promise<AddedKeyRecord[]> {
    this.#open();
    this.#reachable();
    const all = await this.#link.client.hgetall(this.#addedKeys());
    const keys: AddedKeyRecord[] = [];
    for (const v of Object.values(all)) {
      const o = parseJson(v);
      const r = o && addedKey(o);
      if (r) keys.push(r);
    }
    return keys.sort((a, b) => a.addedAt - b.addedAt);
  }

  #addedKeys(): string {
    return `${this.#o.prefix}added-keys`;
  }

  #open(): void {
    if (this.#closed) throw new Error('RedisStore is closed');
  }

  /** Reads need Redis now: said at once, rather than as the client's 'stream not writeable'. */
  #reachable(): void {
    if (!this.#link.usable) throw new Error('Redis is unreachable');
  }

  subscribe(provider: string, listener: (change: StateChange) => void): () => void {
    this.#tag(provider);
    let set = this.#listeners.get(provider);
    if (!set) {
      this.#listeners.set(provider, (set = new Set()));
      this.#link.sub.subscribe(this.#channel(provider)).catch(() => {}); // ioredis resubscribes once connected
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  #message(channel: string, message: string): void {
    const env = parseJson(message);
    if (!env || env.src === this.#src) return;
    const inner = obj(env.change);
    const change = inner && stateChange(inner);
    if (!change) return;
    for (const [provider, set] of this.#listeners) if (this.#channel(provider) === channel) for (const fn of set) fn(change);
  }

  /** Redis is back: what was kept goes there, then what the others wrote meanwhile comes here. */
  async #resync(): Promise<void> {
    const states = [...this.#pendingState.values()];
    this.#pendingState.clear();
    for (const { provider, change } of states) {
      const id = change.kind === 'scope' ? `${change.group}\u0000${change.model ?? ''}` : change.keyId;
      await this.#write(provider, id, change);
    }
    const learned = [...this.#pendingLearned.values()];
    this.#pendingLearned.clear();
    for (const { provider, record } of learned) await this.saveLearned(provider, [record]);
    await this.#usage.resync();
    for (const [provider, set] of this.#listeners) {
      if (set.size === 0) continue;
      const s = await this.loadState(provider, (this.#o.now ?? Date.now)());
      const changes: StateChange[] = [
        ...s.keys.flatMap((k): StateChange[] => [
          ...(k.group !== undefined ? [{ kind: 'group' as const, keyId: k.keyId, group: k.group, at: k.at }] : []),
          { kind: 'key', keyId: k.keyId, status: k.status, at: k.at, ...(k.reason !== undefined ? { reason: k.reason } : {}) },
        ]),
        ...s.scopes.map((r): StateChange => ({ kind: 'scope', ...r })),
      ];
      for (const c of changes) for (const fn of set) fn(c);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#link.sub.off('message', this.#onMessage);
    const channels = [...this.#listeners.keys()].map((p) => this.#channel(p));
    this.#listeners.clear();
    if (channels.length > 0) await this.#link.sub.unsubscribe(...channels).catch(() => {});
    if (this.#o.ownsLink) await this.#link.close();
  }
}
