/**
 * The embedded durable store: one SQLite file (`<dataDir>/keymux.db`) holding usage per (key, model, hour) and
 * the key health a restart must remember.
 *
 * Driver: node-sqlite3-wasm (SQLite compiled to WebAssembly, with a VFS on node:fs; synchronous API).
 * Weighed against the alternatives on Node 20 (no node:sqlite):
 * - It installs from the npm registry alone on every platform (one 1.3 MB package: JS + .wasm, no install
 *   script, no per-platform binary), so `npx keymux` works where npm works. better-sqlite3 needs a prebuilt
 *   download or a compiler (and npm 11 skips its install script unless allowed); libsql/@libsql/client ship
 *   native binaries for nine platform triples only.
 * - It works inside a Node single-executable: checked with a Node 20 SEA built from an esbuild bundle with the
 *   .wasm as a SEA asset (an esbuild onLoad plugin prepends `var Module = { wasmBinary:
 *   require('node:sea').getAsset('sqlite.wasm') }` to node-sqlite3-wasm.js): it opened, wrote and reread a
 *   WAL database. A native .node file (libsql, better-sqlite3) cannot be loaded from the SEA blob; it would
 *   have to be written to disk at start and dlopen'ed, and libsql's loader picks its package by name at run time.
 * - It is slower than native (an upsert ~3× libsql's), which writes batched off the request path absorb.
 * - Its VFS has no shared memory, so WAL needs `locking_mode=EXCLUSIVE`: one process holds the file (a second
 *   keymux on the same data dir is refused, see file-lock.ts, which also clears the lock a killed one leaves).
 *
 * Writes never make a caller wait on disk inside a request: writeState/addUsage/saveLearned queue in memory
 * (usage folded per row) and a timer commits them in one transaction every `flushMs`; their promises settle
 * when that commit did. Reads commit what is queued first. Usage and learned limits older than the retention
 * are pruned at open and hourly.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import sqlite3 from 'node-sqlite3-wasm';
import type { Database } from 'node-sqlite3-wasm';
import { claim, hold, release } from './file-lock.js';
import { migrate } from './migrations.js';
import { PriceTable, type PriceOverrides } from './prices.js';
import { accumulateClients, type ClientUsageFilter } from './client-usage.js';
import { AdminStatements } from './sqlite-admin.js';
import { loadProviderState, readUsageRows, Statements } from './sqlite-sql.js';
import type {
  AddedKeyRecord, ClientUsageDelta, ClientUsageRow, KeyId, LearnedRecord, ProviderState, StateChange, Store, UsageDelta, UsageFilter, UsageRow,
} from './types.js';
import { accumulate, HOUR } from './usage.js';

export interface SqliteStoreOptions {
  /** The database file (its directory is created). */
  file: string;
  /** Price overrides (`provider/model` → USD per million tokens) over the built-in table, or a table. */
  prices?: PriceOverrides | PriceTable;
  /** Usage and learned limits older than this are deleted. Default 90. */
  retentionDays?: number;
  /** How long writes gather before one commit. Default 250 ms. */
  flushMs?: number;
  /** The clock for retention (tests inject one). Default Date.now. */
  now?: () => number;
}

export const DB_FILE = 'keymux.db';

type Pending =
  | { kind: 'state'; provider: string; change: StateChange }
  | { kind: 'learned'; provider: string; record: LearnedRecord };

export class SqliteStore implements Store {
  readonly file: string;
  readonly #db: Database;
  readonly #sql: Statements;
  readonly #admin: AdminStatements;
  readonly #prices: PriceTable;
  readonly #retentionMs: number;
  readonly #flushMs: number;
  readonly #now: () => number;
  #ops: Pending[] = [];
  /** Usage rows gathered since the last commit, per provider and (key, model, hour). */
  #usage = new Map<string, Map<string, UsageRow>>();
  /** Client usage gathered since the last commit, per (client, provider, model, hour). */
  #clients = new Map<string, ClientUsageRow>();
  #settle: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  #timer: NodeJS.Timeout | undefined;
  #lastPrune = -Infinity;
  #closed = false;
  /** Transactions committed, for metrics and tests (writes gathered over flushMs make one). */
  commits = 0;
  readonly #listeners = new Map<string, Set<(change: StateChange) => void>>();

  constructor(opts: SqliteStoreOptions) {
    this.file = resolve(opts.file);
    this.#prices = opts.prices instanceof PriceTable ? opts.prices : new PriceTable(opts.prices);
    this.#retentionMs = (opts.retentionDays ?? 90) * 24 * HOUR;
    this.#flushMs = opts.flushMs ?? 250;
    this.#now = opts.now ?? Date.now;
    mkdirSync(dirname(this.file), { recursive: true });
    claim(this.file);
    const db = new sqlite3.Database(this.file);
    try {
      db.exec('PRAGMA locking_mode = EXCLUSIVE');
      db.get('PRAGMA journal_mode = WAL');
      // In WAL, NORMAL syncs at checkpoints, not every commit: a power cut may lose the last commits, never the file.
      db.exec('PRAGMA synchronous = NORMAL');
      migrate(db, this.file);
      hold(this.file);
      this.#sql = new Statements(db);
      this.#admin = new AdminStatements(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.#db = db;
    this.#prune();
  }

  async loadState(provider: string, now: number): Promise<ProviderState> {
    this.#commitNow();
    return loadProviderState(this.#db, provider, now);
  }

  writeState(provider: string, change: StateChange): Promise<void> {
    const settled = this.#queue({ kind: 'state', provider, change });
    const copy = { ...change };
    for (const fn of this.#listeners.get(provider) ?? []) queueMicrotask(() => fn(copy));
    return settled;
  }

  saveLearned(provider: string, records: readonly LearnedRecord[]): Promise<void> {
    if (this.#closed) return closedError();
    for (const record of records) this.#ops.push({ kind: 'learned', provider, record: structuredClone(record) });
    return this.#later();
  }

  addUsage(provider: string, deltas: readonly UsageDelta[]): Promise<void> {
    if (this.#closed) return closedError();
    let rows = this.#usage.get(provider);
    if (!rows) this.#usage.set(provider, (rows = new Map()));
    accumulate(rows, provider, deltas, this.#prices);
    return this.#later();
  }

  async readUsage(provider: string, filter: UsageFilter = {}): Promise<UsageRow[]> {
    this.#commitNow();
    return readUsageRows(this.#db, provider, filter);
  }

  /** Added keys are rare and an operator waits for the answer: written at once, not batched. */
  async putKey(record: AddedKeyRecord): Promise<void> {
    this.#commitNow();
    this.#admin.putKey(record);
  }

  async deleteKey(provider: string, keyId: KeyId): Promise<boolean> {
    this.#commitNow();
    return this.#admin.deleteKey(provider, keyId);
  }

  async listKeys(): Promise<AddedKeyRecord[]> {
    this.#commitNow();
    return this.#admin.listKeys();
  }

  addClientUsage(deltas: readonly ClientUsageDelta[]): Promise<void> {
    if (this.#closed) return closedError();
    accumulateClients(this.#clients, deltas, this.#prices);
    return this.#later();
  }

  async readClientUsage(filter: ClientUsageFilter = {}): Promise<ClientUsageRow[]> {
    this.#commitNow();
    return this.#admin.readClientUsage(filter);
  }

  subscribe(provider: string, listener: (change: StateChange) => void): () => void {
    if (this.#closed) throw new Error('SqliteStore is closed');
    let set = this.#listeners.get(provider);
    if (!set) this.#listeners.set(provider, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Deletes usage and learned limits past the retention, as of the injected clock's now. */
  prune(): void {
    this.#commitNow();
    this.#prune();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      this.#commitNow();
    } finally {
      this.#closed = true;
      this.#listeners.clear();
      this.#sql.finalize();
      this.#admin.finalize();
      this.#db.close();
      release(this.file);
    }
  }

  #queue(op: Pending): Promise<void> {
    if (this.#closed) return closedError();
    this.#ops.push(op);
    return this.#later();
  }

  /** A promise settled by the next commit, which is scheduled if it was not. */
  #later(): Promise<void> {
    if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        try {
          this.#commitNow();
        } catch {
          // Settled the waiters with the error already.
        }
      }, this.#flushMs);
      // Not unref'd: a process ending on its own waits at most flushMs for its last writes.
    }
    return new Promise((resolve, reject) => this.#settle.push({ resolve, reject }));
  }

  /** Commits everything queued in one transaction and settles its waiters. Throws what the commit threw. */
  #commitNow(): void {
    if (this.#closed) throw new Error('SqliteStore is closed');
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const ops = this.#ops;
    const usage = this.#usage;
    const clients = this.#clients;
    const settle = this.#settle;
    this.#ops = [];
    this.#usage = new Map();
    this.#clients = new Map();
    this.#settle = [];
    if (ops.length === 0 && usage.size === 0 && clients.size === 0) {
      for (const s of settle) s.resolve();
      return;
    }
    try {
      this.#db.exec('BEGIN');
      try {
        for (const op of ops) {
          if (op.kind === 'state') this.#sql.writeChange(op.provider, op.change);
          else this.#sql.writeLearned(op.provider, op.record);
        }
        for (const [provider, rows] of usage) for (const row of rows.values()) this.#sql.addUsage(provider, row);
        for (const row of clients.values()) this.#admin.addClientUsage(row);
        this.#db.exec('COMMIT');
        this.commits++;
      } catch (err) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw err;
      }
    } catch (err) {
      for (const s of settle) s.reject(err);
      throw err;
    }
    for (const s of settle) s.resolve();
    if (this.#now() - this.#lastPrune >= HOUR) this.#prune();
  }

  #prune(): void {
    const now = this.#now();
    this.#lastPrune = now;
    this.#sql.prune(now - this.#retentionMs, now);
    this.#admin.prune(now - this.#retentionMs);
  }
}

function closedError(): Promise<never> {
  return Promise.reject(new Error('SqliteStore is closed'));
}

/** Opens (creating and migrating as needed) the store; loaded lazily so the library core needs no WASM. */
export function openSqliteStore(opts: SqliteStoreOptions): SqliteStore {
  return new SqliteStore(opts);
}
