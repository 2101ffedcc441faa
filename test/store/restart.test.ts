// `keymux serve` remembers across restarts (SQLite in <cwd>/data by default): a key found invalid is never
// tried again, keys whose quota ran out or that are cooling after a 429 are not tried before their time, and
// usage adds up over the runs —
// after a clean stop (SIGTERM) and after a crash (SIGKILL, which leaves the database's lock behind).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import type { ProviderState } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runCli, type Cli } from '../server/cli-helpers.js';
import { call, chatBody, scratchDir } from '../server/helpers.js';
import { startSimulator, type Simulator } from '../sim/index.js';

const LONG = 90_000;
const BUSY = { rpm: 1, group: 'org-b' };
const KEYS = { dead: 'sk-restart-dead', quota: 'sk-restart-quota', busy: 'sk-restart-busy', good: 'sk-restart-good' };

let sim: Simulator;
beforeAll(async () => {
  // Each key its own organization (the simulator names one org for all keys otherwise: one quota group).
  sim = await startSimulator({
    keys: { [KEYS.dead]: { revoked: true }, [KEYS.quota]: { quotaExhausted: true, group: 'org-q' }, [KEYS.busy]: BUSY, [KEYS.good]: { group: 'org-g' } },
  });
});
afterAll(() => sim.close());

const dir = scratchDir();
afterAll(() => dir.remove());
let cli: Cli | undefined;
afterEach(async () => {
  await cli?.stop();
  cli = undefined;
});

// Four keys, three of which fail: enough attempts for every request to reach the good key.
dir.write('keymux.yaml', 'retry:\n  maxAttempts: 4\n');

async function serve(): Promise<string> {
  cli = runCli(['serve', '--port', '0'], {
    cwd: dir.dir,
    env: { OPENAI_API_KEYS: Object.values(KEYS).join(','), OPENAI_BASE_URL: `${sim.url}/v1`, KEYMUX_LOG_LEVEL: 'info' },
  });
  const line = await cli.waitForLog((l) => typeof l.url === 'string' && String(l.msg).includes('listening'), 30_000);
  expect(line.storage).toBe(join(dir.dir, 'data', 'keymux.db'));
  return line.url as string;
}

async function stop(how: 'SIGTERM' | 'SIGKILL'): Promise<void> {
  cli!.signal(how);
  await cli!.exited;
  cli = undefined;
}

async function ask(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await call(url, '/v1/chat/completions', chatBody(`q${i}`))).status).toBe(200);
}

/** What a stopped keymux left in its database: requests per key id and outcome (all hours), and the state in force. */
async function stored(): Promise<{ usage: Record<string, Record<string, number>>; state: ProviderState }> {
  const store = new SqliteStore({ file: join(dir.dir, 'data', 'keymux.db') });
  const usage: Record<string, Record<string, number>> = {};
  for (const r of await store.readUsage('openai')) {
    const o = (usage[r.keyId] ??= {});
    for (const [k, n] of Object.entries(r.outcomes)) o[k] = (o[k] ?? 0) + n;
  }
  const state = await store.loadState('openai', Date.now());
  await store.close();
  return { usage, state };
}

describe('keymux serve remembers across restarts', () => {
  test('an invalid key stays disabled, exhausted and cooling ones stay out, usage adds up (SIGTERM, then SIGKILL)', { timeout: LONG }, async () => {
    const id = { dead: keyId(KEYS.dead), quota: keyId(KEYS.quota), busy: keyId(KEYS.busy), good: keyId(KEYS.good) };

    // Someone else spent the busy key's minute: keymux's first request on it gets a 429 with a minute to wait.
    expect((await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.busy}`, 'content-type': 'application/json' }, body: JSON.stringify(chatBody('elsewhere')) })).status).toBe(200);
    sim.reset();
    sim.setKey(KEYS.busy, BUSY);
    expect((await fetch(`${sim.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${KEYS.busy}`, 'content-type': 'application/json' }, body: JSON.stringify(chatBody('elsewhere')) })).status).toBe(200);
    const outside = sim.countsByKey()[KEYS.busy]!;

    // Run 1: every request succeeds on the good key, after the others answered 401 / 429 once each.
    let url = await serve();
    const seen = () => sim.countsByKey();
    for (let i = 0; i < 8 && (!seen()[KEYS.dead] || !seen()[KEYS.quota] || seen()[KEYS.busy] === outside); i++) await ask(url, 1);
    expect(seen()).toMatchObject({ [KEYS.dead]: 1, [KEYS.quota]: 1, [KEYS.busy]: outside + 1 });
    const first = seen()[KEYS.good]!;
    await stop('SIGTERM');
    const after1 = await stored();
    expect(after1.usage).toEqual({
      [id.dead]: { auth_failed: 1 }, [id.quota]: { quota_exhausted: 1 }, [id.busy]: { rate_limited: 1 }, [id.good]: { ok: first },
    });
    expect(after1.state.keys).toContainEqual(expect.objectContaining({ keyId: id.dead, status: 'disabled' }));
    expect(after1.state.scopes).toContainEqual(expect.objectContaining({ status: 'exhausted', reason: 'insufficient_quota' }));
    const cooling = after1.state.scopes.find((s) => s.group === 'org-b');
    expect(cooling).toMatchObject({ status: 'cooling' });
    expect(cooling!.until - Date.now()).toBeGreaterThan(20_000); // a long cooldown, still running

    // Run 2: the state is loaded before the first request; only the good key is ever asked.
    sim.reset();
    url = await serve();
    const providers = (await call(url, '/v1/providers')).json.data[0] as { status: Record<string, number> };
    expect(providers.status).toMatchObject({ exhausted: 1, disabled: 1 });
    await ask(url, 5);
    expect(sim.countsByKey()).toEqual({ [KEYS.good]: 5 });
    // Past the store's flush (250 ms), then a crash: no close, the lock stays behind.
    await new Promise((r) => setTimeout(r, 700));
    await stop('SIGKILL');
    expect(existsSync(join(dir.dir, 'data', 'keymux.db.lock'))).toBe(true);

    // Run 3: starts over the stale lock and still knows everything.
    sim.reset();
    url = await serve();
    await ask(url, 3);
    expect(sim.countsByKey()).toEqual({ [KEYS.good]: 3 });
    await stop('SIGTERM');
    expect((await stored()).usage).toEqual({
      [id.dead]: { auth_failed: 1 }, [id.quota]: { quota_exhausted: 1 }, [id.busy]: { rate_limited: 1 }, [id.good]: { ok: first + 8 },
    });
  });

  test('a second keymux on the same data dir exits 1, naming the one that holds it', { timeout: LONG }, async () => {
    await serve();
    const second = runCli(['serve', '--port', '0'], { cwd: dir.dir, env: { OPENAI_API_KEYS: KEYS.good, OPENAI_BASE_URL: `${sim.url}/v1` } });
    expect((await second.exited).code).toBe(1);
    expect(second.stderr()).toMatch(new RegExp(`keymux: cannot open the data store: .*in use by another keymux \\(pid ${cli!.child.pid}\\)`));
    await stop('SIGTERM');
  });
});
