import type { Logger } from 'pino';
import { keyId, type KeyConfig, type KeyId } from '../../pool/index.js';
import type { AddedKeyRecord, Store } from '../../store/index.js';
import type { Runtime } from '../runtime.js';
import type { Vault } from './vault.js';

/** How often a replica looks for keys another replica added or deleted (the store has no change feed for them). */
const SYNC_MS = 15_000;

/**
 * Keys added through the admin API: kept in the store (sealed by the vault) so that a restart and every replica
 * serve them, and applied to the runtime's pools beside the configured keys.
 */
export class AddedKeys {
  /** What the pools were last given, per provider, by key id: to apply only what changed. */
  #applied = new Map<string, Map<KeyId, KeyConfig>>();
  #timer: NodeJS.Timeout | undefined;
  /** Bumped by every local add and remove: a sync that listed before one of them must not undo it. */
  #edits = 0;
  /** Records that could not be opened, by provider and id, logged once each. */
  readonly #unreadable = new Set<string>();

  constructor(
    private readonly rt: Runtime,
    private vault: Vault,
    private readonly logger: Logger,
  ) {}

  get store(): Store {
    return this.rt.store;
  }

  /** Whether the store keeps added keys at all. */
  get supported(): boolean {
    return keyOps(this.store) !== undefined;
  }

  #ops(): KeyOps {
    const ops = keyOps(this.store);
    if (!ops) throw new Error('this store keeps no added keys');
    return ops;
  }

  setVault(v: Vault): void {
    this.vault = v;
  }

  /** Loads the stored keys into the pools (before the server serves), then keeps looking for other replicas' changes. */
  async start(): Promise<void> {
    await this.sync();
    this.#timer ??= setInterval(() => void this.sync().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'admin: added keys not synced')), SYNC_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Whether a key id is one of the added ones (as opposed to a configured one) of the provider. */
  has(provider: string, id: KeyId): boolean {
    return this.#applied.get(provider)?.has(id) ?? false;
  }

  /** The secret of an added key, for a check. */
  secret(provider: string, id: KeyId): string | undefined {
    return this.#applied.get(provider)?.get(id)?.key;
  }

  /** Stores a key, then serves it. */
  async add(provider: string, c: KeyConfig, now: number): Promise<KeyId> {
    const id = keyId(c.key);
    const rec: AddedKeyRecord = { provider, keyId: id, sealed: this.vault.seal(c.key, binding(provider, id)), addedAt: now };
    if (c.label !== undefined) rec.label = c.label;
    if (c.group !== undefined) rec.group = c.group;
    await this.#ops().put(rec);
    const m = new Map(this.#applied.get(provider));
    m.set(id, c);
    this.#apply(provider, m);
    return id;
  }

  /** Forgets a key in the store, then stops serving it. */
  async remove(provider: string, id: KeyId): Promise<boolean> {
    const had = await this.#ops().del(provider, id);
    const m = new Map(this.#applied.get(provider));
    const served = m.delete(id);
    this.#apply(provider, m);
    return had || served;
  }

  /** Makes the pools serve exactly the stored keys (a record that does not open is left out, and logged once). */
  async sync(): Promise<void> {
    const ops = keyOps(this.store);
    if (!ops) return;
    const edits = this.#edits;
    const records = await ops.list();
    if (edits !== this.#edits) return; // the next sync sees the store with that edit in it
    const next = new Map<string, Map<KeyId, KeyConfig>>();
    for (const r of records) {
      let secret: string;
      try {
        secret = this.vault.open(r.sealed, binding(r.provider, r.keyId));
      } catch (err) {
        const id = binding(r.provider, r.keyId);
        if (!this.#unreadable.has(id)) this.logger.error({ provider: r.provider, keyId: r.keyId, error: (err as Error).message }, 'admin: an added key cannot be read; it is not served');
        this.#unreadable.add(id);
        continue;
      }
      const c: KeyConfig = { key: secret, ...(r.label !== undefined && { label: r.label }), ...(r.group !== undefined && { group: r.group }) };
      let m = next.get(r.provider);
      if (!m) next.set(r.provider, (m = new Map()));
      m.set(r.keyId, c);
    }
    for (const provider of new Set([...next.keys(), ...this.#applied.keys()])) {
      const m = next.get(provider) ?? new Map<KeyId, KeyConfig>();
      if (!sameKeys(this.#applied.get(provider), m)) this.#apply(provider, m);
    }
  }

  #apply(provider: string, m: Map<KeyId, KeyConfig>): void {
    this.#edits++;
    this.#applied.set(provider, m);
    this.rt.setAdded(provider, [...m.values()]);
  }
}

interface KeyOps {
  put(r: AddedKeyRecord): Promise<void>;
  del(provider: string, id: KeyId): Promise<boolean>;
  list(): Promise<AddedKeyRecord[]>;
}

/** The store's added-key methods, when it has them all (they are optional in the port until every store does). */
function keyOps(s: Store): KeyOps | undefined {
  const { putKey, deleteKey, listKeys } = s;
  if (!putKey || !deleteKey || !listKeys) return undefined;
  return { put: (r) => putKey.call(s, r), del: (p, id) => deleteKey.call(s, p, id), list: () => listKeys.call(s) };
}

/** What a sealed secret is bound to: it opens only in the record of this provider and key id. */
function binding(provider: string, id: KeyId): string {
  return `${provider}\u0000${id}`;
}

function sameKeys(a: ReadonlyMap<KeyId, KeyConfig> | undefined, b: ReadonlyMap<KeyId, KeyConfig>): boolean {
  if ((a?.size ?? 0) !== b.size) return false;
  for (const [id, c] of b) {
    const o = a?.get(id);
    if (!o || o.label !== c.label || o.group !== c.group) return false;
  }
  return true;
}
