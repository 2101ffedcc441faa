// The single executable (`npm run build:sea` → dist/sea/keymux; here built into a scratch dir), copied alone into an empty directory outside
// the checkout and run with no `node` on the PATH and no node_modules anywhere above it: it answers --version,
// serves requests through the simulator with its SQLite store (the driver's wasm loaded from inside the
// executable) in KEYMUX_DATA_DIR, and a restart keeps what the first run learned and counted.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { chat, listening, pathWithoutNode, ROOT, run, type Proc } from './helpers.js';

const LONG = 60_000;
const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
const KEYS = { good: 'sk-sea-good', dead: 'sk-sea-dead' };
const tmp = mkdtempSync(join(tmpdir(), 'keymux-sea-'));
const exe = join(tmp, 'keymux');
const cwd = join(tmp, 'empty');
const dataDir = join(tmp, 'state');
const PATH = pathWithoutNode();

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true } } });
  // `npm run build:sea`, into a directory of this run's own (dist/sea may be another run's, or a developer's).
  const out = join(tmp, 'build');
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-sea.mjs'), '--out', out], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  copyFileSync(join(out, 'keymux'), exe);
  rmSync(out, { recursive: true });
  execFileSync('chmod', ['+x', exe]);
  mkdirSync(cwd);
}, 180_000);
afterAll(async () => {
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

let proc: Proc | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
});

async function serve(): Promise<string> {
  proc = run(exe, ['serve', '--port', '0', '--host', '127.0.0.1'], {
    cwd,
    env: { PATH, OPENAI_API_KEYS: `${KEYS.dead},${KEYS.good}`, OPENAI_BASE_URL: `${sim.url}/v1`, KEYMUX_DATA_DIR: dataDir, KEYMUX_LOG_LEVEL: 'info' },
  });
  const line = await proc.waitForLog(listening, 30_000);
  expect(line.storage).toBe(join(dataDir, 'keymux.db'));
  return line.url as string;
}

async function stop(): Promise<void> {
  proc!.signal('SIGTERM');
  expect(await proc!.exited).toEqual({ code: 0, signal: null });
  proc = undefined;
}

const disabled = async (url: string): Promise<number> =>
  ((await (await fetch(`${url}/v1/providers`)).json()) as { data: Array<{ status: { disabled: number } }> }).data[0]!.status.disabled;
const triedWith = (key: string): number => sim.requests.filter((r) => r.key === key).length;

describe('the single executable', () => {
  test('there is no node on the PATH it runs with', () => {
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH } }).status).not.toBe(0);
  });

  test('keymux --version prints the package version', () => {
    expect(execFileSync(exe, ['--version'], { cwd, env: { PATH }, encoding: 'utf8' })).toBe(`${version}\n`);
  });

  test('serves with its SQLite store in KEYMUX_DATA_DIR; a restart keeps the disabled key out and the usage', { timeout: LONG }, async () => {
    let url = await serve();
    for (let i = 0; i < 4; i++) {
      const r = await chat(url, `first run ${i}`);
      expect(r.status, r.body).toBe(200);
    }
    expect(triedWith(KEYS.dead)).toBe(1); // its 401 disabled it; the request went on to the good key
    expect(await disabled(url)).toBe(1);
    await stop();

    url = await serve();
    expect(await disabled(url)).toBe(1); // remembered, before any request
    for (let i = 0; i < 3; i++) expect((await chat(url, `second run ${i}`)).status).toBe(200);
    expect(triedWith(KEYS.dead)).toBe(1);
    await stop();

    // What the executable wrote, read back with the ordinary driver: 7 successes on the good key over two runs.
    const store = new SqliteStore({ file: join(dataDir, 'keymux.db') });
    try {
      const ok = (await store.readUsage('openai')).filter((r) => r.keyId === keyId(KEYS.good)).reduce((n, r) => n + (r.outcomes.ok ?? 0), 0);
      expect(ok).toBe(7);
    } finally {
      await store.close();
    }
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  test('serves the dashboard from its own assets (web/ is nowhere on disk)', { timeout: LONG }, async () => {
    const url = await serve();
    for (const file of ['index.html', 'app.js', 'style.css']) {
      const res = await fetch(`${url}/dashboard/${file === 'index.html' ? '' : file}`);
      expect(res.status, file).toBe(200);
      expect(await res.text()).toBe(readFileSync(join(ROOT, 'web', file), 'utf8'));
    }
    await stop();
  });
});
