import { join } from 'node:path';
import { MemoryStore } from './memory.js';
import type { PriceOverrides } from './prices.js';
import type { ClientUsageFilter } from './client-usage.js';
import type {
  AddedKeyRecord, ClientUsageDelta, ClientUsageRow, KeyId, LearnedRecord, ProviderState, StateChange, Store, UsageDelta, UsageFilter, UsageRow,
} from './types.js';

/** Where state lives, as the config says (`storage:` and `prices:`). */
export interface StorageSettings {
  type: 'memory' | 'sqlite';
  /** Holds keymux.db (sqlite). */
  dataDir: string;
  retentionDays: number;
  prices?: PriceOverrides;
}

/**
 * The store a config asks for, at once. SQLite is opened behind a façade: its module (and its WebAssembly) is
 * imported only here, on first use, so that importing the library loads neither. `opened` settles when the
 * store is ready, or rejects with why it could not open (an unwritable dir, another keymux on the same file).
 */
export function openStore(s: StorageSettings): { store: Store; opened: Promise<void> } {
  if (s.type === 'memory') return { store: new MemoryStore(s.prices ? { prices: s.prices } : {}), opened: Promise.resolve() };
  const store = new DeferredStore(async () => {
    const { SqliteStore, DB_FILE } = await import('./sqlite.js');
    return new SqliteStore({ file: join(s.dataDir, DB_FILE), retentionDays: s.retentionDays, ...(s.prices ? { prices: s.prices } : {}) });
  });
  return { store, opened: store.opened.then(() => undefined) };
}

/** A Store whose implementation arrives later: every call waits for it; a failed open fails every call. */
class DeferredStore implements Store {
  readonly opened: Promise<Store>;
  #store: Store | undefined;

  constructor(open: () => Promise<Store>) {
    this.opened = open().then((s) => (this.#store = s));
    this.opened.catch(() => {}); // reported through `opened`'s other users and every call
  }

  async loadState(provider: string, now: number): Promise<ProviderState> {
    return (await this.opened).loadState(provider, now);
  }
  async writeState(provider: string, change: StateChange): Promise<void> {
    return (await this.opened).writeState(provider, change);
  }
  async saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void> {
    return (await this.opened).saveLearned(provider, records);
  }
  async addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    return (await this.opened).addUsage(provider, deltas);
  }
  async readUsage(provider: string, filter?: UsageFilter): Promise<UsageRow[]> {
    return (await this.opened).readUsage(provider, filter);
  }

  // The admin API's methods: the opened store's, and a clear refusal where it has none.
  async putKey(record: AddedKeyRecord): Promise<void> {
    const s = await this.opened;
    return need(s, 'putKey').call(s, record);
  }
  async deleteKey(provider: string, keyId: KeyId): Promise<boolean> {
    const s = await this.opened;
    return need(s, 'deleteKey').call(s, provider, keyId);
  }
  async listKeys(): Promise<AddedKeyRecord[]> {
    const s = await this.opened;
    return need(s, 'listKeys').call(s);
  }
  async addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    const s = await this.opened;
    return need(s, 'addClientUsage').call(s, deltas);
  }
  async readClientUsage(filter?: ClientUsageFilter): Promise<ClientUsageRow[]> {
    const s = await this.opened;
    return need(s, 'readClientUsage').call(s, filter);
  }

  subscribe(provider: string, listener: (change: StateChange) => void): () => void {
    if (this.#store) return this.#store.subscribe(provider, listener);
    let off: (() => void) | undefined;
    let cancelled = false;
    this.opened.then(
      (s) => {
        if (!cancelled) off = s.subscribe(provider, listener);
      },
      () => {},
    );
    return () => {
      cancelled = true;
      off?.();
    };
  }

  async close(): Promise<void> {
    let s: Store;
    try {
      s = await this.opened;
    } catch {
      return; // never opened: nothing to release
    }
    await s.close();
  }
}

type AdminMethod = 'putKey' | 'deleteKey' | 'listKeys' | 'addClientUsage' | 'readClientUsage';

/** A store's optional admin method, or an error naming what it lacks. */
function need<M extends AdminMethod>(s: Store, m: M): NonNullable<Store[M]> {
  const fn = s[m];
  if (!fn) throw new Error(`this store keeps no ${m === 'addClientUsage' || m === 'readClientUsage' ? 'client usage' : 'added keys'} (${m})`);
  return fn;
}
