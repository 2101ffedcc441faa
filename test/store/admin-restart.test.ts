// Issue #14's proof, through the real CLI with its default SQLite store: stop and restart keymux, and
// /admin/keys shows the same counts, the invalid key still disabled and never asked again; a key added through
// the admin API survives the restart, served again, and the database never held its secret in clear.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { runCli, type Cli } from '../server/cli-helpers.js';
import { call, chatBody, scratchDir, type Reply } from '../server/helpers.js';
import { startSimulator, type Simulator } from '../sim/index.js';

const LONG = 90_000;
const ADMIN = 'adm-restart-0123456789';
const KEYS = { good: 'sk-restart-admin-good-1111', dead: 'sk-restart-admin-dead-2222', added: 'sk-restart-admin-added-3333' };
const id = { good: keyId(KEYS.good), dead: keyId(KEYS.dead), added: keyId(KEYS.added) };

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { [KEYS.good]: { group: 'org-g' }, [KEYS.dead]: { revoked: true }, [KEYS.added]: { group: 'org-a' } } });
});
afterAll(() => sim.close());

const dir = scratchDir();
afterAll(() => dir.remove());
let cli: Cli | undefined;
afterEach(async () => {
  await cli?.stop();
  cli = undefined;
});

async function serve(): Promise<string> {
  cli = runCli(['serve', '--port', '0'], {
    cwd: dir.dir,
    env: {
      OPENAI_API_KEYS: `${KEYS.good},${KEYS.dead}`,
      OPENAI_BASE_URL: `${sim.url}/v1`,
      KEYMUX_ADMIN_KEY: ADMIN,
      KEYMUX_ENCRYPTION_KEY: 'restart test passphrase',
      KEYMUX_LOG_LEVEL: 'info',
    },
  });
  const line = await cli.waitForLog((l) => typeof l.url === 'string' && String(l.msg).includes('listening'), 30_000);
  return line.url as string;
}

async function stop(): Promise<void> {
  cli!.signal('SIGTERM');
  await cli!.exited;
  cli = undefined;
}

const admin = (url: string, path: string, body?: unknown): Promise<Reply> => call(url, path, body, { headers: { authorization: `Bearer ${ADMIN}` } });

async function ask(url: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) expect((await call(url, '/v1/chat/completions', chatBody(`q${i}`))).status).toBe(200);
}

/** What /admin/keys says of each key that a restart must keep (inFlight and remaining budgets are live state). */
async function keys(url: string): Promise<Record<string, Record<string, unknown>>> {
  const r = await admin(url, '/admin/keys');
  expect(r.status).toBe(200);
  const out: Record<string, Record<string, unknown>> = {};
  for (const k of r.json.keys as Array<Record<string, unknown>>) {
    const { id: kid, provider, masked, source, state, reason, requests, successes, errors, lastUsedAt, costUsd, label, group } = k;
    out[String(kid)] = { provider, masked, source, state, reason, requests, successes, errors, lastUsedAt, costUsd, label, group };
  }
  return out;
}

describe('admin API across a restart of keymux serve', () => {
  test('same counts, the invalid key still disabled and unused, the added key still served and never stored in clear', { timeout: LONG }, async () => {
    let url = await serve();
    await ask(url, 4);
    expect(sim.countsByKey()).toMatchObject({ [KEYS.dead]: 1 });
    const added = await admin(url, '/admin/keys', { provider: 'openai', key: KEYS.added, label: 'added-at-run-time' });
    expect(added.status).toBe(201);
    // The good key out of the way: the added one serves.
    expect((await admin(url, `/admin/keys/${id.good}/disable`, {})).status).toBe(200);
    await ask(url, 3);
    expect((await admin(url, `/admin/keys/${id.good}/enable`, {})).status).toBe(200);
    await ask(url, 2);
    const before = await keys(url);
    expect(before[id.dead]).toMatchObject({ state: 'disabled', requests: 1, errors: 1, successes: 0 });
    expect(before[id.added]).toMatchObject({ source: 'added', state: 'active', label: 'added-at-run-time' });
    expect(Number(before[id.good]!.successes) + Number(before[id.added]!.successes)).toBe(9);
    expect(before[id.added]!.successes).toBeGreaterThanOrEqual(3);
    await stop();

    // The database (and its WAL) never held the added key's secret, only its sealed form.
    for (const f of readdirSync(join(dir.dir, 'data'))) {
      const bytes = readFileSync(join(dir.dir, 'data', f));
      expect(bytes.includes(KEYS.added), f).toBe(false);
      expect(bytes.includes(Buffer.from(KEYS.added).toString('base64url')), f).toBe(false);
    }

    sim.reset();
    url = await serve();
    expect(await keys(url)).toEqual(before);
    await ask(url, 6);
    // The invalid key was never asked again; the added key is served again.
    expect(sim.countsByKey()[KEYS.dead]).toBeUndefined();
    const after = await keys(url);
    expect(after[id.dead]).toEqual(before[id.dead]);
    expect(Number(after[id.good]!.requests) + Number(after[id.added]!.requests)).toBe(Number(before[id.good]!.requests) + Number(before[id.added]!.requests) + 6);
    // With the good key out, the added key serves: it came back from the store, opened with the passphrase.
    sim.reset();
    expect((await admin(url, `/admin/keys/${id.good}/disable`, {})).status).toBe(200);
    await ask(url, 2);
    expect(sim.countsByKey()).toEqual({ [KEYS.added]: 2 });
    await stop();
  });
});
