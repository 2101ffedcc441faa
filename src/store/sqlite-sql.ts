import type { Database, Statement } from 'node-sqlite3-wasm';
import type { KeyRecord, LearnedRecord, ProviderState, ScopeRecord, StateChange, UsageFilter, UsageRow } from './types.js';

type Row = Record<string, unknown>;

/** Statements prepared once for the life of a connection, and finalised together when it closes. */
export class StatementSet {
  readonly #all: Statement[] = [];
  constructor(private readonly db: Database) {}

  prepare(sql: string): Statement {
    const s = this.db.prepare(sql);
    this.#all.push(s);
    return s;
  }

  finalize(): void {
    for (const s of this.#all) if (!s.isFinalized) s.finalize();
  }
}

/** The SQL of the SQLite store, prepared once. Last-writer-wins by `at` is in the statements' WHERE clauses. */
export class Statements {
  readonly #set: StatementSet;
  readonly #key: Statement;
  readonly #group: Statement;
  readonly #scope: Statement;
  readonly #learned: Statement;
  readonly #usage: Statement;
  readonly #outcome: Statement;
  /** Each with the bound time it compares to: the retention cutoff, or now. */
  readonly #prune: Array<[Statement, 'before' | 'now']>;

  constructor(db: Database) {
    this.#set = new StatementSet(db);
    const prep = (sql: string) => this.#set.prepare(sql);
    this.#key = prep(`INSERT INTO key_state (provider, key_id, status, reason, at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (provider, key_id) DO UPDATE SET status = excluded.status, reason = excluded.reason, at = excluded.at
      WHERE excluded.at >= key_state.at`);
    this.#group = prep(`INSERT INTO key_state (provider, key_id, status, at, grp) VALUES (?, ?, 'active', ?, ?)
      ON CONFLICT (provider, key_id) DO UPDATE SET grp = excluded.grp`);
    this.#scope = prep(`INSERT INTO scope_state (provider, grp, model, status, until, reason, at) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (provider, grp, model) DO UPDATE SET status = excluded.status, until = excluded.until, reason = excluded.reason, at = excluded.at
      WHERE excluded.at >= scope_state.at`);
    this.#learned = prep(`INSERT INTO learned (provider, grp, model, at, data) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (provider, grp, model) DO UPDATE SET at = excluded.at, data = excluded.data WHERE excluded.at >= learned.at`);
    this.#usage = prep(`INSERT INTO usage (provider, key_id, model, hour, requests, successes, input_tokens, output_tokens,
        cached_tokens, cost_usd, unpriced, first_at, last_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (provider, key_id, model, hour) DO UPDATE SET
        requests = requests + excluded.requests, successes = successes + excluded.successes,
        input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
        cached_tokens = cached_tokens + excluded.cached_tokens, cost_usd = cost_usd + excluded.cost_usd,
        unpriced = max(unpriced, excluded.unpriced),
        first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)`);
    this.#outcome = prep(`INSERT INTO usage_outcome (provider, key_id, model, hour, outcome, n) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (provider, key_id, model, hour, outcome) DO UPDATE SET n = n + excluded.n`);
    this.#prune = [
      [prep('DELETE FROM usage WHERE hour < ?'), 'before'],
      [prep('DELETE FROM usage_outcome WHERE hour < ?'), 'before'],
      [prep('DELETE FROM learned WHERE at < ?'), 'before'],
      // Outs that ended are history; enabled keys without a learned group say nothing a fresh start does not.
      [prep('DELETE FROM scope_state WHERE until <= ?'), 'now'],
      [prep("DELETE FROM key_state WHERE status = 'active' AND grp IS NULL AND at < ?"), 'before'],
    ];
  }

  writeChange(provider: string, c: StateChange): void {
    if (c.kind === 'key') this.#key.run([provider, c.keyId, c.status, c.reason ?? null, c.at]);
    else if (c.kind === 'group') this.#group.run([provider, c.keyId, c.at, c.group]);
    else {
      const until = c.status === 'active' ? 0 : (c.until ?? c.at);
      this.#scope.run([provider, c.group, c.model ?? '', c.status, until, c.reason ?? null, c.at]);
    }
  }

  writeLearned(provider: string, r: LearnedRecord): void {
    this.#learned.run([provider, r.group, r.model ?? '', r.at, JSON.stringify(r)]);
  }

  addUsage(provider: string, r: UsageRow): void {
    this.#usage.run([
      provider, r.keyId, r.model, r.hour, r.requests, r.successes, r.inputTokens, r.outputTokens, r.cachedTokens,
      r.costUsd, r.priced ? 0 : 1, r.firstAt, r.lastAt,
    ]);
    for (const [outcome, n] of Object.entries(r.outcomes)) this.#outcome.run([provider, r.keyId, r.model, r.hour, outcome, n]);
  }

  /** Deletes usage and learned limits before `before`, and outs that ended by `now`. */
  prune(before: number, now: number): void {
    for (const [s, t] of this.#prune) s.run([t === 'now' ? now : before]);
  }

  finalize(): void {
    this.#set.finalize();
  }
}

export function loadProviderState(db: Database, provider: string, now: number): ProviderState {
  const keys = db.all('SELECT key_id, status, reason, at, grp FROM key_state WHERE provider = ? ORDER BY key_id', [provider]).map((r: Row) => {
    const k: KeyRecord = { keyId: String(r['key_id']), status: r['status'] === 'disabled' ? 'disabled' : 'active', at: Number(r['at']) };
    if (r['reason'] !== null) k.reason = String(r['reason']);
    if (r['grp'] !== null) k.group = String(r['grp']);
    return k;
  });
  const scopes = db
    .all("SELECT grp, model, status, until, reason, at FROM scope_state WHERE provider = ? AND status != 'active' AND until > ?", [provider, now])
    .map((r: Row) => {
      const s: ScopeRecord = { group: String(r['grp']), status: r['status'] === 'exhausted' ? 'exhausted' : 'cooling', until: Number(r['until']), at: Number(r['at']) };
      if (r['model'] !== '') s.model = String(r['model']);
      if (r['reason'] !== null) s.reason = String(r['reason']);
      return s;
    });
  const learned = db.all('SELECT data FROM learned WHERE provider = ?', [provider]).map((r: Row) => JSON.parse(String(r['data'])) as LearnedRecord);
  return { keys, scopes, learned };
}

export function readUsageRows(db: Database, provider: string, f: UsageFilter): UsageRow[] {
  const where = ['provider = ?'];
  const args: Array<string | number> = [provider];
  const and = (cond: string, arg: string | number) => {
    where.push(cond);
    args.push(arg);
  };
  if (f.keyId !== undefined) and('key_id = ?', f.keyId);
  if (f.model !== undefined) and('model = ?', f.model);
  if (f.from !== undefined) and('hour >= ?', f.from);
  if (f.to !== undefined) and('hour < ?', f.to);
  const cond = where.join(' AND ');
  const rows = new Map<string, UsageRow>();
  const id = (r: Row) => `${String(r['key_id'])}\u0000${String(r['model'])}\u0000${Number(r['hour'])}`;
  for (const r of db.all(`SELECT * FROM usage WHERE ${cond} ORDER BY hour, key_id, model`, args) as Row[]) {
    rows.set(id(r), {
      keyId: String(r['key_id']),
      model: String(r['model']),
      hour: Number(r['hour']),
      requests: Number(r['requests']),
      successes: Number(r['successes']),
      inputTokens: Number(r['input_tokens']),
      outputTokens: Number(r['output_tokens']),
      cachedTokens: Number(r['cached_tokens']),
      outcomes: {},
      costUsd: Number(r['cost_usd']),
      priced: Number(r['unpriced']) === 0,
      firstAt: Number(r['first_at']),
      lastAt: Number(r['last_at']),
    });
  }
  for (const r of db.all(`SELECT key_id, model, hour, outcome, n FROM usage_outcome WHERE ${cond}`, args) as Row[]) {
    const row = rows.get(id(r));
    if (row) row.outcomes[String(r['outcome']) as keyof UsageRow['outcomes']] = Number(r['n']);
  }
  return [...rows.values()];
}
