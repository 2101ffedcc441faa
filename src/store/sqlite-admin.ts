import type { Database, Statement } from 'node-sqlite3-wasm';
import type { ClientUsageFilter } from './client-usage.js';
import { StatementSet } from './sqlite-sql.js';
import type { AddedKeyRecord, ClientUsageRow, KeyId } from './types.js';

type Row = Record<string, unknown>;

/** The admin API's SQL (added keys, client usage; schema version 2), beside the pool's in sqlite-sql.ts. */
export class AdminStatements {
  readonly #set: StatementSet;
  readonly #putKey: Statement;
  readonly #deleteKey: Statement;
  readonly #client: Statement;
  readonly #prune: Statement;

  constructor(private readonly db: Database) {
    this.#set = new StatementSet(db);
    const prep = (sql: string) => this.#set.prepare(sql);
    this.#putKey = prep(`INSERT INTO added_key (provider, key_id, sealed, label, grp, added_at) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (provider, key_id) DO UPDATE SET sealed = excluded.sealed, label = excluded.label, grp = excluded.grp`);
    this.#deleteKey = prep('DELETE FROM added_key WHERE provider = ? AND key_id = ?');
    this.#client = prep(`INSERT INTO client_usage (client, provider, model, hour, requests, successes, input_tokens, output_tokens,
        cached_tokens, cost_usd) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (client, provider, model, hour) DO UPDATE SET
        requests = requests + excluded.requests, successes = successes + excluded.successes,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cached_tokens = cached_tokens + excluded.cached_tokens, cost_usd = cost_usd + excluded.cost_usd`);
    this.#prune = prep('DELETE FROM client_usage WHERE hour < ?');
  }

  putKey(r: AddedKeyRecord): void {
    this.#putKey.run([r.provider, r.keyId, r.sealed, r.label ?? null, r.group ?? null, r.addedAt]);
  }

  deleteKey(provider: string, keyId: KeyId): boolean {
    const had = this.db.get('SELECT 1 AS x FROM added_key WHERE provider = ? AND key_id = ?', [provider, keyId]) !== null;
    this.#deleteKey.run([provider, keyId]);
    return had;
  }

  listKeys(): AddedKeyRecord[] {
    return this.db.all('SELECT * FROM added_key ORDER BY added_at, provider, key_id').map((r: Row) => {
      const k: AddedKeyRecord = { provider: String(r['provider']), keyId: String(r['key_id']), sealed: String(r['sealed']), addedAt: Number(r['added_at']) };
      if (r['label'] !== null) k.label = String(r['label']);
      if (r['grp'] !== null) k.group = String(r['grp']);
      return k;
    });
  }

  addClientUsage(r: ClientUsageRow): void {
    this.#client.run([r.client, r.provider, r.model, r.hour, r.requests, r.successes, r.inputTokens, r.outputTokens, r.cachedTokens, r.costUsd]);
  }

  readClientUsage(f: ClientUsageFilter): ClientUsageRow[] {
    const where = ['1 = 1'];
    const args: Array<string | number> = [];
    if (f.client !== undefined) (where.push('client = ?'), args.push(f.client));
    if (f.from !== undefined) (where.push('hour >= ?'), args.push(f.from));
    if (f.to !== undefined) (where.push('hour < ?'), args.push(f.to));
    return this.db.all(`SELECT * FROM client_usage WHERE ${where.join(' AND ')} ORDER BY hour, client, provider, model`, args).map((r: Row) => ({
      client: String(r['client']),
      provider: String(r['provider']),
      model: String(r['model']),
      hour: Number(r['hour']),
      requests: Number(r['requests']),
      successes: Number(r['successes']),
      inputTokens: Number(r['input_tokens']),
      outputTokens: Number(r['output_tokens']),
      cachedTokens: Number(r['cached_tokens']),
      costUsd: Number(r['cost_usd']),
    }));
  }

  prune(before: number): void {
    this.#prune.run([before]);
  }

  finalize(): void {
    this.#set.finalize();
  }
}
