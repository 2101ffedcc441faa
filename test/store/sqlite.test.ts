import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import sqlite3 from 'node-sqlite3-wasm';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/store/migrations.js';
import { FileInUseError } from '../../src/store/file-lock.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { UsageDelta } from '../../src/store/index.js';
import { storeContract } from './contract.js';
import { tempDirs } from './helpers.js';

const dir = tempDirs();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2025, 5, 1, 10);
const delta = (at: number, over: Partial<UsageDelta> = {}): UsageDelta => ({
  keyId: 'k', model: 'gpt-4o', at, requests: 1, successes: 1, inputTokens: 100, outputTokens: 10, cachedTokens: 0, outcomes: { ok: 1 }, ...over,
});

storeContract('sqlite', (opts) => new SqliteStore({ file: join(dir(), 'keymux.db'), flushMs: 1, ...opts }));

describe('SqliteStore', () => {
  it('remembers across a reopen: key and scope state, learned limits, usage; close writes what was queued', async () => {
    const file = join(dir(), 'keymux.db');
    const a = new SqliteStore({ file, flushMs: 60_000 });
    // Not awaited: a pool never waits. close() must still write them.
    void a.writeState('openai', { kind: 'key', keyId: 'k1', status: 'disabled', reason: 'invalid_api_key', at: T });
    void a.writeState('openai', { kind: 'group', keyId: 'k2', group: 'org-7', at: T });
    void a.writeState('openai', { kind: 'scope', group: 'org-7', model: 'gpt-4o', status: 'exhausted', until: T + DAY, reason: 'insufficient_quota', at: T });
    void a.saveLearned('openai', [{ group: 'org-7', at: T, pacedRpm: 12 }]);
    void a.addUsage('openai', [delta(T), delta(T + 1)]);
    expect(a.commits).toBe(0);
    await a.close();

    const b = new SqliteStore({ file, now: () => T });
    expect(await b.loadState('openai', T + 1)).toEqual({
      keys: [
        { keyId: 'k1', status: 'disabled', reason: 'invalid_api_key', at: T },
        { keyId: 'k2', status: 'active', at: T, group: 'org-7' },
      ],
      scopes: [{ group: 'org-7', model: 'gpt-4o', status: 'exhausted', until: T + DAY, reason: 'insufficient_quota', at: T }],
      learned: [{ group: 'org-7', at: T, pacedRpm: 12 }],
    });
    expect(await b.readUsage('openai')).toEqual([expect.objectContaining({ keyId: 'k', requests: 2, priced: true })]);
    await b.close();
  });

  it('batches: writes gather over flushMs into one commit, and their promises settle when it is done', async () => {
    const store = new SqliteStore({ file: join(dir(), 'keymux.db'), flushMs: 30 });
    const started = performance.now();
    const writes = [];
    for (let i = 0; i < 200; i++) writes.push(store.addUsage('openai', [delta(T + i, { keyId: `k${i % 5}` })]));
    writes.push(store.writeState('openai', { kind: 'key', keyId: 'k1', status: 'disabled', at: T }));
    expect(store.commits).toBe(0);
    await Promise.all(writes);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(store.commits).toBe(1);
    expect(await store.readUsage('openai')).toHaveLength(5);
    await store.close();
  });

  it('uses WAL and records its schema version; refuses a database from a newer keymux', async () => {
    const file = join(dir(), 'keymux.db');
    await new SqliteStore({ file }).close();
    const raw = new sqlite3.Database(file);
    raw.exec('PRAGMA locking_mode = EXCLUSIVE'); // the WASM VFS reads a WAL file only so (no shared memory)
    expect(raw.get('PRAGMA journal_mode')).toEqual({ journal_mode: 'wal' });
    expect(raw.get('PRAGMA user_version')).toEqual({ user_version: SCHEMA_VERSION });
    raw.exec('PRAGMA user_version = 999');
    raw.close();
    expect(() => new SqliteStore({ file })).toThrow(/schema version 999, newer than this keymux knows/);
    // A refused open leaves the file free for the next try.
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it('prunes usage and learned limits past the retention (injected clock), at open and hourly', async () => {
    const file = join(dir(), 'keymux.db');
    let now = T;
    const a = new SqliteStore({ file, retentionDays: 30, flushMs: 1, now: () => now });
    await a.addUsage('openai', [delta(T - 40 * DAY), delta(T - 20 * DAY), delta(T)]);
    await a.saveLearned('openai', [{ group: 'old', at: T - 40 * DAY, pacedRpm: 1 }, { group: 'new', at: T, pacedRpm: 2 }]);
    await a.writeState('openai', { kind: 'key', keyId: 'gone', status: 'disabled', at: T - 40 * DAY }); // kept: still refused
    a.prune();
    expect((await a.readUsage('openai')).map((r) => r.hour)).toEqual([T - 20 * DAY, T]);
    expect((await a.loadState('openai', T)).learned.map((r) => r.group)).toEqual(['new']);
    now = T + 15 * DAY;
    await a.addUsage('openai', [delta(now)]); // a commit an hour after the last prune prunes again
    expect((await a.readUsage('openai')).map((r) => r.hour)).toEqual([T, now]);
    await a.close();
    now = T + 45 * DAY;
    const b = new SqliteStore({ file, retentionDays: 30, now: () => now });
    expect((await b.readUsage('openai')).map((r) => r.hour)).toEqual([T + 15 * DAY]);
    expect((await b.loadState('openai', now)).keys).toEqual([expect.objectContaining({ keyId: 'gone', status: 'disabled' })]);
    await b.close();
  });

  it('one holder at a time: a second open in this process, or by a live keymux, is refused', async () => {
    const file = join(dir(), 'keymux.db');
    const a = new SqliteStore({ file });
    expect(() => new SqliteStore({ file })).toThrow(FileInUseError);
    await a.close();
    // The lock of a live process on this host (our parent stands in for another keymux).
    mkdirSync(`${file}.lock`);
    writeFileSync(`${file}.pid`, JSON.stringify({ pid: process.ppid, host: hostname() }));
    expect(() => new SqliteStore({ file })).toThrow(/in use by another keymux/);
    // The same lock left by a process that is gone is cleared.
    writeFileSync(`${file}.pid`, JSON.stringify({ pid: 2 ** 22 + 12_345, host: hostname() }));
    const b = new SqliteStore({ file });
    await b.close();
  });

  it('a killed keymux leaves its lock behind: the next open clears it and finds what was committed', async () => {
    const file = join(dir(), 'keymux.db');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/hold.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', tsx, fixture, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => String(c).includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`fixture exited with ${code}`)));
    });
    const gone = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await gone;
    expect(existsSync(`${file}.lock`)).toBe(true);
    const b = new SqliteStore({ file });
    expect((await b.loadState('openai', 2)).keys).toEqual([{ keyId: 'k-dead', status: 'disabled', reason: 'invalid_api_key', at: 1 }]);
    await b.close();
  });
});
