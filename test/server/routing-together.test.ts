// The routing features of one request together: a client's own limits narrow the pool-wide rate-limit headers,
// a fallback group's headers sum its targets' pools, and a client's model list decides which of a group's
// targets it may use. The simulators and keymux share a ManualClock: nothing here waits on real time.
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/pool/index.js';
import { createServer } from '../../src/server/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { call, captureLogs, chatBody, configFrom, scratchDir, type Env, type Reply } from './helpers.js';

const TEAM_A = 'kmx-team-a-0123456789abcdefghij';
const CI = 'kmx-ci-0123456789abcdefghijklmno';
const CHEAP = 'kmx-cheap-0123456789abcdefghijk';
const ELSEWHERE = 'kmx-elsewhere-0123456789abcdefg';
const OPENAI_KEYS = ['sk-a', 'sk-b', 'sk-c'];
const DEEPSEEK_KEY = 'sk-deepseek-0123456789abcdef';

const FILE = `
providers:
  deepseek:
    keys:
      - { key: "${DEEPSEEK_KEY}", rpm: 20 }
aliases:
  coder: [openai/gpt-4o-mini, deepseek/deepseek-chat]
clients:
  - { name: team-a, key: "${TEAM_A}", rpm: 5 }
  - { name: ci, key: "${CI}" }
  - { name: cheap, key: "${CHEAP}", models: ["deepseek/*"] }
  - { name: elsewhere, key: "${ELSEWHERE}", models: ["anthropic/*"] }
`;

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** OpenAI's three accounts (their limits in headers) and one DeepSeek key (no headers; rpm 20 configured). */
async function rig(): Promise<{ url: string; sims: Record<string, Simulator> }> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const sims: Record<string, Simulator> = {};
  const specs: Record<string, Omit<SimulatorOptions, 'now'>> = {
    openai: { flavor: 'openai', keys: Object.fromEntries(OPENAI_KEYS.map((k) => [k, { rpm: 60, group: `org-${k}` }])) },
    deepseek: { flavor: 'deepseek', keys: { [DEEPSEEK_KEY]: {} } },
  };
  for (const [name, o] of Object.entries(specs)) {
    const s = await startSimulator({ ...o, now: () => clock.now() });
    sims[name] = s;
    closers.push(() => s.close());
  }
  const dir = scratchDir();
  const env: Env = { OPENAI_API_KEYS: OPENAI_KEYS.join(','), OPENAI_BASE_URL: `${sims.openai!.url}/v1`, DEEPSEEK_BASE_URL: `${sims.deepseek!.url}/v1` };
  const config = configFrom(env, { cwd: dir.dir, configPath: dir.write('keymux.yaml', FILE) });
  const server = createServer(config, { clock, logger: captureLogs().logger });
  const url = await server.listen(0, '127.0.0.1');
  closers.push(async () => {
    await server.close(1_000);
    dir.remove();
  });
  return { url, sims };
}

const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(10_000) });
const chat = (url: string, key: string, model = 'openai/gpt-4o-mini') => call(url, '/v1/chat/completions', chatBody('hi', { model }), as(key));
const num = (r: Reply, name: string): number | undefined => (r.headers.get(name) === null ? undefined : Number(r.headers.get(name)));

describe('client limits, fallback groups and the pool-wide headers together', () => {
  test("a client's own rpm narrows the pool's headers; a client without limits sees the whole pool", async () => {
    const r = await rig();
    // Three requests teach keymux each OpenAI account's limits (60 rpm each): the pool is 180.
    for (let i = 0; i < 3; i++) expect((await chat(r.url, TEAM_A)).status).toBe(200);
    const a = await chat(r.url, TEAM_A);
    expect(a.status).toBe(200);
    // team-a may send 5 a minute and has sent 4: its own window binds, not the pool's 180.
    expect(num(a, 'x-ratelimit-limit-requests')).toBe(5);
    expect(num(a, 'x-ratelimit-remaining-requests')).toBe(1);
    const ci = await chat(r.url, CI);
    expect(num(ci, 'x-ratelimit-limit-requests')).toBe(180);
    expect(num(ci, 'x-ratelimit-remaining-requests')).toBeGreaterThan(100);
  });

  test("a group's headers sum its targets' pools: learned (OpenAI) and configured (DeepSeek)", async () => {
    const r = await rig();
    for (let i = 0; i < 3; i++) expect((await chat(r.url, CI, 'coder')).status).toBe(200);
    const g = await chat(r.url, CI, 'coder');
    expect(g.status).toBe(200);
    expect(g.headers.get('x-keymux-provider')).toBe('openai');
    expect(num(g, 'x-ratelimit-limit-requests')).toBe(180 + 20);
    // The same model asked for directly shows its own provider's pool only.
    expect(num(await chat(r.url, CI), 'x-ratelimit-limit-requests')).toBe(180);
  });

  test("a client's model list picks the group's targets it may use; none of them is a 403", async () => {
    const r = await rig();
    const cheap = await chat(r.url, CHEAP, 'coder');
    expect(cheap.status).toBe(200);
    // Allowed deepseek/* only: the group's first target (OpenAI) is not tried for it.
    expect(cheap.headers.get('x-keymux-provider')).toBe('deepseek');
    expect(r.sims.openai!.requests).toHaveLength(0);
    expect(r.sims.deepseek!.requests).toHaveLength(1);
    const elsewhere = await chat(r.url, ELSEWHERE, 'coder');
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.json.error.code).toBe('KMX_ERR_MODEL_NOT_ALLOWED');
    expect(r.sims.deepseek!.requests).toHaveLength(1);
  });

  test('a group request counts once against the client, however many targets it tries', async () => {
    const r = await rig();
    for (let i = 0; i < 5; i++) expect((await chat(r.url, TEAM_A, 'coder')).status).toBe(200);
    const over = await chat(r.url, TEAM_A, 'coder');
    expect(over.status).toBe(429);
    expect(over.headers.get('x-keymux-client-limit')).toBe('rpm');
    expect(r.sims.openai!.requests.length + r.sims.deepseek!.requests.length).toBe(5);
  });
});
