import type { Admission, AdmitAnswer, AdmitAsk, AdmitGrant, ReleaseFacts } from '../pool/index.js';
import type { ClientUsageFilter } from './client-usage.js';
import { MemoryAdmission } from './memory-admission.js';
import type { PriceOverrides } from './prices.js';
import type { RedisAdmission } from './redis-admission.js';
import type { Log } from './redis-link.js';

export type { Log };
import type { RedisStore } from './redis-store.js';
import type {
  AddedKeyRecord, ClientUsageDelta, ClientUsageRow, KeyId, LearnedRecord, ProviderState, StateChange, Store, UsageDelta, UsageFilter, UsageRow,
} from './types.js';

export interface RedisSettings {
  url: string;
  prefix: string;
  usage: 'local' | 'redis';
  leaseTtlMs: number;
  timeoutMs: number;
}

export interface SharedState {
  /** Live state and added keys in Redis; usage in `local` or in Redis, as the settings say. */
  store: Store;
  admission: Admission;
  /** Settles once Redis answered, or did not within a second (then replicas start on local state). */
  opened: Promise<void>;
}

/**
 * Several replicas as one pool: the store and admission a config with `redis.url` asks for, at once, while
 * ioredis is imported (only here: a keymux without Redis never loads it) and Redis connected behind them.
 */
export function openRedis(s: RedisSettings, local: Store, o: { now: () => number; log?: Log; prices?: PriceOverrides; retentionDays: number }): SharedState {
  const parts = (async () => {
    const [{ RedisLink }, { RedisStore }, { RedisAdmission }] = await Promise.all([import('./redis-link.js'), import('./redis-store.js'), import('./redis-admission.js')]);
    const link = await RedisLink.open({ url: s.url, timeoutMs: s.timeoutMs, now: o.now, ...(o.log ? { log: o.log } : {}) });
    const admission = new RedisAdmission(link, { prefix: s.prefix, leaseTtlMs: s.leaseTtlMs, now: o.now });
    const store = new RedisStore(link, { prefix: s.prefix, retentionDays: o.retentionDays, now: o.now, ...(o.prices ? { prices: o.prices } : {}) });
    return { link, admission, store };
  })();
  parts.catch((error: unknown) => o.log?.('warn', 'redis unavailable (could not load its client): every replica decides alone', { error: String(error) }));
  const store = new SharedStore(parts, local, s.usage === 'redis');
  const admission = new LazyAdmission(parts.then((p) => p.admission), s.leaseTtlMs);
  return { store, admission, opened: parts.then(() => undefined) };
}

type Parts = Promise<{ link: { close(): Promise<void> }; admission: RedisAdmission; store: RedisStore }>;

/** The admission once Redis' client is loaded; a client that cannot load leaves this replica deciding alone. */
class LazyAdmission implements Admission {
  #ready: Admission | undefined;
  readonly #parts: Promise<Admission>;

  constructor(parts: Promise<Admission>, leaseTtlMs: number) {
    this.#parts = parts.then(
      (a) => (this.#ready = a),
      () => (this.#ready = new MemoryAdmission({ leaseTtlMs })),
    );
  }

  async admit(provider: string, ask: AdmitAsk): Promise<AdmitAnswer> {
    return (this.#ready ?? (await this.#parts)).admit(provider, ask);
  }

  release(provider: string, grant: AdmitGrant, facts: ReleaseFacts): void {
    if (this.#ready) this.#ready.release(provider, grant, facts);
    else void this.#parts.then((a) => a.release(provider, grant, facts));
  }
}

/**
 * A write to the local store and its copy to Redis, side by side (the local write never waits on Redis): a
 * failure of either is the caller's to log, the local one first.
 */
async function tee(local: Promise<void>, shared: Promise<void>): Promise<void> {
  const [l, r] = await Promise.allSettled([local, shared]);
  if (l.status === 'rejected') throw l.reason;
  if (r.status === 'rejected') throw r.reason;
}

/**
 * State in Redis, usage where the settings say (usage=local: in the local store, and summed in Redis for the
 * admin API); each call waits for the client to be loaded.
 */
class SharedStore implements Store {
  readonly #parts: Parts;
  #lastKeys: AddedKeyRecord[] | undefined;
  #source: 'redis' | 'local' = 'redis';

  constructor(
    parts: Parts,
    private readonly local: Store,
    private readonly usageInRedis: boolean,
  ) {
    this.#parts = parts;
  }

  async #redis(): Promise<RedisStore> {
    return (await this.#parts).store;
  }

  async loadState(provider: string, now: number): Promise<ProviderState> {
    return (await this.#redis()).loadState(provider, now);
  }
  async writeState(provider: string, change: StateChange): Promise<void> {
    return (await this.#redis()).writeState(provider, change);
  }
  async saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void> {
    return (await this.#redis()).saveLearned(provider, records);
  }
  /**
   * usage=redis: into Redis' hours. usage=local: into the local store (this replica's durable record) and,
   * a tee, into the same hours in Redis, which hold the sum of every replica for the admin API to read. Redis
   * being away never fails the local write: its client keeps the deltas and adds them on its return.
   */
  async addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    if (this.usageInRedis) return (await this.#redis()).addUsage(provider, deltas);
    await tee(this.local.addUsage(provider, deltas), this.#copy((r) => r.addUsage(provider, deltas)));
  }
  /** usage=local: the sum of the replicas from Redis, or this replica's own rows while Redis cannot answer. */
  async readUsage(provider: string, filter?: UsageFilter): Promise<UsageRow[]> {
    if (this.usageInRedis) return (await this.#redis()).readUsage(provider, filter);
    return this.#readShared(
      async () => (await this.#redis()).readUsage(provider, filter),
      () => this.local.readUsage(provider, filter),
    );
  }
  /**
   * Where the last usage read came from: 'redis' (every replica's usage) or 'local' (this replica's alone,
   * Redis being unreachable under usage=local). The admin API says so in its answers.
   */
  usageSource(): 'redis' | 'local' {
    return this.#source;
  }

  /** The Redis half of a tee; nothing when Redis' client could not load (said once, at start). */
  async #copy(write: (r: RedisStore) => Promise<void>): Promise<void> {
    let r: RedisStore;
    try {
      r = await this.#redis();
    } catch {
      return;
    }
    await write(r);
  }

  async #readShared<T>(shared: () => Promise<T>, local: () => Promise<T>): Promise<T> {
    try {
      const rows = await shared();
      this.#source = 'redis';
      return rows;
    } catch {
      const rows = await local();
      this.#source = 'local';
      return rows;
    }
  }
  /** Added keys go to Redis (every replica serves them) and to the local store (a restart while Redis is away does too). */
  async putKey(record: AddedKeyRecord): Promise<void> {
    await (await this.#redis()).putKey(record);
    await this.local.putKey?.(record).catch(() => {});
  }
  async deleteKey(provider: string, keyId: KeyId): Promise<boolean> {
    const gone = await (await this.#redis()).deleteKey(provider, keyId);
    await this.local.deleteKey?.(provider, keyId).catch(() => false);
    return gone;
  }
  /** While Redis is away: the list last read from it, else the local copy. A replica must start without Redis. */
  async listKeys(): Promise<AddedKeyRecord[]> {
    try {
      const keys = await (await this.#redis()).listKeys();
      this.#lastKeys = keys;
      return keys.map((k) => ({ ...k }));
    } catch (error) {
      if (this.#lastKeys) return this.#lastKeys.map((k) => ({ ...k }));
      if (this.local.listKeys) return this.local.listKeys();
      throw error;
    }
  }
  async addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    if (this.usageInRedis) return (await this.#redis()).addClientUsage(deltas);
    if (!this.local.addClientUsage) throw new Error('this store keeps no client usage');
    await tee(this.local.addClientUsage(deltas), this.#copy((r) => r.addClientUsage(deltas)));
  }
  async readClientUsage(filter?: ClientUsageFilter): Promise<ClientUsageRow[]> {
    if (this.usageInRedis) return (await this.#redis()).readClientUsage(filter);
    const local = this.local.readClientUsage;
    if (!local) throw new Error('this store keeps no client usage');
    return this.#readShared(
      async () => (await this.#redis()).readClientUsage(filter),
      () => local.call(this.local, filter),
    );
  }

  subscribe(provider: string, listener: (change: StateChange) => void): () => void {
    let off: (() => void) | undefined;
    let cancelled = false;
    this.#parts.then(
      (p) => {
        if (!cancelled) off = p.store.subscribe(provider, listener);
      },
      () => {},
    );
    return () => {
      cancelled = true;
      off?.();
    };
  }

  /** Leaves the replica count, closes the Redis connections, then the local store. */
  async close(): Promise<void> {
    try {
      const p = await this.#parts;
      await p.admission.close();
      await p.store.close();
      await p.link.close();
    } catch {
      // never opened: nothing of Redis to release
    }
    await this.local.close();
  }
}
