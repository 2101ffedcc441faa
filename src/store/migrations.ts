import type { Database } from 'node-sqlite3-wasm';

/**
 * The database schema, one migration per version, in order. The version applied is the file's
 * `PRAGMA user_version`; opening runs every newer migration, each in its own transaction. Never edit a
 * migration that shipped: add the next one.
 *
 * Keys appear by id only (a hash of the secret), never the secret. Times are epoch ms. A scope or learned
 * record of a whole group has model '' (primary keys cannot hold NULL).
 */
export const MIGRATIONS: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE key_state (
        provider TEXT NOT NULL, key_id TEXT NOT NULL,
        status TEXT NOT NULL, reason TEXT, at INTEGER NOT NULL,
        grp TEXT,
        PRIMARY KEY (provider, key_id)
      ) WITHOUT ROWID;
      CREATE TABLE scope_state (
        provider TEXT NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL,
        status TEXT NOT NULL, until INTEGER NOT NULL, reason TEXT, at INTEGER NOT NULL,
        PRIMARY KEY (provider, grp, model)
      ) WITHOUT ROWID;
      CREATE TABLE learned (
        provider TEXT NOT NULL, grp TEXT NOT NULL, model TEXT NOT NULL,
        at INTEGER NOT NULL, data TEXT NOT NULL,
        PRIMARY KEY (provider, grp, model)
      ) WITHOUT ROWID;
      CREATE TABLE usage (
        provider TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, hour INTEGER NOT NULL,
        requests INTEGER NOT NULL, successes INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL, unpriced INTEGER NOT NULL,
        first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
        PRIMARY KEY (provider, key_id, model, hour)
      ) WITHOUT ROWID;
      CREATE INDEX usage_by_hour ON usage (hour);
      -- Outcomes by kind in their own rows: a new kind needs no migration.
      CREATE TABLE usage_outcome (
        provider TEXT NOT NULL, key_id TEXT NOT NULL, model TEXT NOT NULL, hour INTEGER NOT NULL,
        outcome TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (provider, key_id, model, hour, outcome)
      ) WITHOUT ROWID;
      CREATE INDEX usage_outcome_by_hour ON usage_outcome (hour);
    `,
  },
  {
    // The admin API: keys added at run time (their secret sealed by the server: encrypted, or marked plain when
    // the operator allowed it) and usage per client (a proxy key's id, never the key).
    version: 2,
    sql: `
      CREATE TABLE added_key (
        provider TEXT NOT NULL, key_id TEXT NOT NULL,
        sealed TEXT NOT NULL, label TEXT, grp TEXT, added_at INTEGER NOT NULL,
        PRIMARY KEY (provider, key_id)
      ) WITHOUT ROWID;
      CREATE TABLE client_usage (
        client TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, hour INTEGER NOT NULL,
        requests INTEGER NOT NULL, successes INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cached_tokens INTEGER NOT NULL,
        cost_usd REAL NOT NULL,
        PRIMARY KEY (client, provider, model, hour)
      ) WITHOUT ROWID;
      CREATE INDEX client_usage_by_hour ON client_usage (hour);
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Brings the database to SCHEMA_VERSION. Returns the version it had. Refuses a database from a newer keymux. */
export function migrate(db: Database, file: string): number {
  const row = db.get('PRAGMA user_version');
  const from = Number(row?.['user_version'] ?? 0);
  if (from > SCHEMA_VERSION) {
    throw new Error(`${file} has schema version ${from}, newer than this keymux knows (${SCHEMA_VERSION}): upgrade keymux, or point KEYMUX_DATA_DIR elsewhere`);
  }
  for (const m of MIGRATIONS) {
    if (m.version <= from) continue;
    db.exec('BEGIN');
    try {
      db.exec(m.sql);
      // user_version takes no bound parameter; the version is a number from this file.
      db.exec(`PRAGMA user_version = ${m.version}`);
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  }
  return from;
}
