import { PriceTable, type PriceOverrides } from './prices.js';
import { accumulateClients, clientMatches, type ClientUsageFilter } from './client-usage.js';
import type {
  AddedKeyRecord, ClientUsageDelta, ClientUsageRow, KeyId, KeyRecord, LearnedRecord, ProviderState, ScopeRecord, StateChange, Store, UsageDelta,
  UsageFilter, UsageRow,
} from './types.js';
import { accumulate, matches } from './usage.js';

interface ProviderData {
  keys: Map<KeyId, KeyRecord>;
  scopes: Map<string, ScopeRecord & { cleared?: boolean }>;
  learned: Map<string, LearnedRecord>;
  usage: Map<string, UsageRow>;
  listeners: Set<(change: StateChange) => void>;
}

export interface MemoryStoreOptions {
  /** Price overrides (`provider/model` → USD per million tokens) over the built-in table, or a table. */
  prices?: PriceOverrides | PriceTable;
}

/**
 * The default store: state in this process only. Shared by several pools it behaves like a shared store
 * (each sees the others' changes), which is how the contract suite and the pool tests use it.
 */
export class MemoryStore implements Store {
  #providers = new Map<string, ProviderData>();
  #closed = false;
  readonly #prices: PriceTable;
  /** Keys added through the admin API, by provider and id, in the order they were first added. */
  readonly #added = new Map<string, AddedKeyRecord>();
  readonly #clients = new Map<string, ClientUsageRow>();

  constructor(opts: MemoryStoreOptions = {}) {
    this.#prices = opts.prices instanceof PriceTable ? opts.prices : new PriceTable(opts.prices);
  }

  #data(provider: string): ProviderData {
    if (this.#closed) throw new Error('MemoryStore is closed');
    let d = this.#providers.get(provider);
    if (!d) this.#providers.set(provider, (d = { keys: new Map(), scopes: new Map(), learned: new Map(), usage: new Map(), listeners: new Set() }));
    return d;
  }

  async loadState(provider: string, now: number): Promise<ProviderState> {
    const d = this.#data(provider);
    const scopes: ScopeRecord[] = [];
    for (const s of d.scopes.values()) if (!s.cleared && s.until > now) scopes.push(copyScope(s));
    return { keys: [...d.keys.values()].map((k) => ({ ...k })), scopes, learned: [...d.learned.values()].map((r) => structuredClone(r)) };
  }

  async writeState(provider: string, change: StateChange): Promise<void> {
    const d = this.#data(provider);
    if (change.kind === 'key') {
      const old = d.keys.get(change.keyId);
      if (old && old.at > change.at) return;
      const rec: KeyRecord = { keyId: change.keyId, status: change.status, at: change.at };
      if (change.reason !== undefined) rec.reason = change.reason;
      if (old?.group !== undefined) rec.group = old.group;
      d.keys.set(change.keyId, rec);
    } else if (change.kind === 'group') {
      const old = d.keys.get(change.keyId);
      d.keys.set(change.keyId, { ...(old ?? { keyId: change.keyId, status: 'active', at: change.at }), group: change.group });
    } else {
      const id = `${change.group}\u0000${change.model ?? ''}`;
      const old = d.scopes.get(id);
      if (old && old.at > change.at) return;
      if (change.status === 'active') {
        d.scopes.set(id, { group: change.group, status: 'cooling', until: 0, at: change.at, cleared: true });
      } else {
        const rec: ScopeRecord = { group: change.group, status: change.status, until: change.until ?? change.at, at: change.at };
        if (change.model !== undefined) rec.model = change.model;
        if (change.reason !== undefined) rec.reason = change.reason;
        d.scopes.set(id, rec);
      }
    }
    const copy = { ...change };
    for (const fn of d.listeners) queueMicrotask(() => fn(copy));
  }

  async saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void> {
    const d = this.#data(provider);
    for (const r of records) {
      const id = `${r.group}\u0000${r.model ?? ''}`;
      const old = d.learned.get(id);
      if (!old || old.at <= r.at) d.learned.set(id, structuredClone(r));
    }
  }

  async addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    accumulate(this.#data(provider).usage, provider, deltas, this.#prices);
  }

  async readUsage(provider: string, filter: UsageFilter = {}): Promise<UsageRow[]> {
    const rows: UsageRow[] = [];
    for (const r of this.#data(provider).usage.values()) if (matches(r, filter)) rows.push({ ...r, outcomes: { ...r.outcomes } });
    return rows;
  }

  subscribe(provider: string, listener: (change: StateChange) => void): () => void {
    const d = this.#data(provider);
    d.listeners.add(listener);
    return () => {
      d.listeners.delete(listener);
    };
  }

  async putKey(record: AddedKeyRecord): Promise<void> {
    this.#open();
    this.#added.set(`${record.provider}\u0000${record.keyId}`, { ...record });
  }

  async deleteKey(provider: string, keyId: KeyId): Promise<boolean> {
    this.#open();
    return this.#added.delete(`${provider}\u0000${keyId}`);
  }

  async listKeys(): Promise<AddedKeyRecord[]> {
    this.#open();
    return [...this.#added.values()].map((r) => ({ ...r })).sort((a, b) => a.addedAt - b.addedAt);
  }

  async addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    this.#open();
    accumulateClients(this.#clients, deltas, this.#prices);
  }

  async readClientUsage(filter: ClientUsageFilter = {}): Promise<ClientUsageRow[]> {
    this.#open();
    return [...this.#clients.values()].filter((r) => clientMatches(r, filter)).map((r) => ({ ...r }));
  }

  #open(): void {
    if (this.#closed) throw new Error('MemoryStore is closed');
  }

  async close(): Promise<void> {
    for (const d of this.#providers.values()) d.listeners.clear();
    this.#closed = true;
  }
}

function copyScope(s: ScopeRecord): ScopeRecord {
  const r: ScopeRecord = { group: s.group, status: s.status, until: s.until, at: s.at };
  if (s.model !== undefined) r.model = s.model;
  if (s.reason !== undefined) r.reason = s.reason;
  return r;
}
