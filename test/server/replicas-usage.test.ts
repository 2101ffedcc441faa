// Replicas on one Redis with usage kept locally (KEYMUX_USAGE=local, the default): each replica's usage stays in
// its own SQLite file, and is summed per hour in Redis too, so that the admin API of any replica answers for all
// of them (/admin/usage, /admin/keys, /admin/stats). With Redis unreachable, a replica answers with its own usage
// and says so (usageSource: local, partial: true). Two servers in this process, each with its own data dir, on
// the machine's real Redis under a prefix of this file's own.
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { REDIS_URL, testPrefix, useRedis } from '../store/redis-helpers.js';
import { call, captureLogs, chatBody, configFrom, scratchDir, type Reply } from './helpers.js';

const ADMIN = 'adm-replicas-0123456789';
const PROXY = 'proxy-replicas-0123456789';
const KEYS = ['sk-usage-rep-a', 'sk-usage-rep-b'];

useRedis(); // fails the file, with why, when the machine's Redis does not answer
const dir = scratchDir();
afterAll(() => dir.remove());
let servers: KeymuxServer[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close(1_000)));
  servers = [];
  await sim?.close();
  sim = undefined;
});

/** One replica: SQLite in a data dir of its own, state on `redisUrl` under `prefix`, usage local. */
async function replica(name: string, redisUrl: string, prefix: string): Promise<string> {
  const config = configFrom({
    OPENAI_API_KEYS: KEYS.join(','),
    OPENAI_BASE_URL: `${sim!.url}/v1`,
    KEYMUX_PROXY_KEYS: PROXY,
    KEYMUX_ADMIN_KEY: ADMIN,
    KEYMUX_STORAGE: 'sqlite',
    KEYMUX_DATA_DIR: `${dir.dir}/${name}`,
    KEYMUX_REDIS_URL: redisUrl,
    KEYMUX_REDIS_PREFIX: prefix,
    KEYMUX_USAGE: 'local',
  });
  const server = createServer(config, { logger: captureLogs('warn').logger });
  servers.push(server);
  return server.listen(0, '127.0.0.1');
}

const proxied = (url: string, n: number) =>
  Promise.all(Array.from({ length: n }, (_, i) => call(url, '/v1/chat/completions', chatBody(`q${i}`), { headers: { authorization: `Bearer ${PROXY}` } })));
const admin = (url: string, path: string): Promise<Reply> => call(url, path, undefined, { headers: { authorization: `Bearer ${ADMIN}` } });
const sum = (rows: Array<{ requests: number }>) => rows.reduce((n, r) => n + r.requests, 0);

/** Polls `path` on `url` until `done` holds (usage reaches the stores a tick after the answers). */
async function until(url: string, path: string, done: (json: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const r = await admin(url, path);
    expect(r.status).toBe(200);
    if (done(r.json) || Date.now() > deadline) return r.json;
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe('replicas with usage=local: the admin API sums them through Redis', () => {
  test('requests to each replica; /admin/usage, /admin/keys and /admin/stats of either show the total of both', { timeout: 30_000 }, async () => {
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, {}])) });
    const prefix = testPrefix();
    const [a, b] = [await replica('a', REDIS_URL, prefix), await replica('b', REDIS_URL, prefix)];
    const answers = [...(await proxied(a, 3)), ...(await proxied(b, 5))];
    expect(answers.map((r) => r.status)).toEqual(Array(8).fill(200));

    for (const url of [a, b]) {
      const byKey = await until(url, '/admin/usage?by=key', (j) => sum(j.rows as Array<{ requests: number }>) >= 8);
      expect(byKey).toMatchObject({ usageSource: 'redis', partial: false });
      expect(sum(byKey.rows as Array<{ requests: number }>)).toBe(8);
      const byProvider = (await admin(url, '/admin/usage?by=provider')).json;
      expect(byProvider.rows).toEqual([expect.objectContaining({ provider: 'openai', requests: 8, successes: 8, errors: 0 })]);
      const byClient = await until(url, '/admin/usage?by=client', (j) => sum(j.rows as Array<{ requests: number }>) >= 8);
      expect(byClient.rows).toEqual([expect.objectContaining({ requests: 8 })]);
      const keys = (await admin(url, '/admin/keys')).json;
      expect(keys).toMatchObject({ usageSource: 'redis', partial: false });
      expect(sum(keys.keys as Array<{ requests: number }>)).toBe(8);
      const stats = (await admin(url, '/admin/stats')).json;
      expect(stats.providers).toEqual([expect.objectContaining({ provider: 'openai', requests: 8 })]);
    }
  });

  test('Redis unreachable: a replica answers with its own usage, from its SQLite, and says it is partial', { timeout: 30_000 }, async () => {
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, {}])) });
    const url = await replica('alone', 'redis://127.0.0.1:1', testPrefix());
    expect((await proxied(url, 2)).map((r) => r.status)).toEqual([200, 200]);
    const usage = await until(url, '/admin/usage?by=provider', (j) => sum(j.rows as Array<{ requests: number }>) >= 2);
    expect(usage).toMatchObject({ usageSource: 'local', partial: true, rows: [expect.objectContaining({ provider: 'openai', requests: 2 })] });
  });
});
