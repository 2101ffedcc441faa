import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { anthropicBody, call, chatBody, configFrom, geminiBody, scratchDir, start, type Harness } from './helpers.js';

const TEAM_A = 'kmx-team-a-0123456789abcdefghij';
const TEAM_B = 'kmx-team-b-0123456789abcdefghij';
const BROKE = 'kmx-broke-0123456789abcdefghijk';
const PLAIN = 'kmx-plain-0123456789abcdefghijk';
const ADMIN = 'kmx-admin-0123456789abcdefghijk';
const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const bearer = (k: string) => ({ authorization: `Bearer ${k}` });

const FILE = `
proxyKeys: ["${PLAIN}"]
aliases: { coder: openai/gpt-4o-mini }
clients:
  - { name: team-a, key: "\${TEAM_A_KEY}", rpm: 2, models: [coder, "anthropic/*"] }
  - { name: team-b, key: "\${TEAM_B_KEY}" }
  - { name: broke, key: "\${BROKE_KEY}", budgetUsd: 0.000001 }
`;

describe('client keys over the simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'sk-a': {}, 'sk-b': {}, 'sk-ant-api03-one': {} } },
      file: FILE,
      env: (s) => ({
        OPENAI_API_KEYS: 'sk-a,sk-b',
        OPENAI_BASE_URL: `${s.url}/v1`,
        ANTHROPIC_API_KEYS: 'sk-ant-api03-one',
        ANTHROPIC_BASE_URL: s.url,
        TEAM_A_KEY: TEAM_A,
        TEAM_B_KEY: TEAM_B,
        BROKE_KEY: BROKE,
        KEYMUX_ADMIN_KEY: ADMIN,
      }),
    });
  });
  afterAll(() => h.close());

  it('a client over its rpm gets 429 KMX_ERR_CLIENT_LIMIT with Retry-After in its dialect, while another client is served', async () => {
    // team-a's two requests a minute: one by the alias it may use, one on the provider it may use.
    expect((await call(h.url, '/v1/chat/completions', chatBody('one', { model: 'coder' }), { headers: bearer(TEAM_A) })).status).toBe(200);
    expect((await call(h.url, '/v1/messages', anthropicBody('two'), { headers: { ...bearer(TEAM_A), ...ANTHROPIC } })).status).toBe(200);
    const upstreamBefore = h.sim.requests.length;

    const o = await call(h.url, '/v1/chat/completions', chatBody('three', { model: 'coder' }), { headers: bearer(TEAM_A) });
    expect(o.status).toBe(429);
    expect(Number(o.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(o.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(o.headers.get('x-keymux-client-limit')).toBe('rpm');
    expect(o.json).toEqual({ error: { message: expect.stringMatching(/client 'team-a' is over its rpm limit \(2 requests per minute\); retry in \d+s/), type: 'rate_limit_error', param: null, code: 'KMX_ERR_CLIENT_LIMIT' } });

    const a = await call(h.url, '/v1/messages', anthropicBody('four'), { headers: { ...bearer(TEAM_A), ...ANTHROPIC } });
    expect(a.status).toBe(429);
    expect(a.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(a.json).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('rpm limit') } });

    // Refused before a key was acquired: nothing went upstream, and no provider key cooled.
    expect(h.sim.requests.length).toBe(upstreamBefore);
    for (const p of h.server.runtime.providers.values()) {
      for (const k of p.pool.snapshot().keys) {
        expect(k.status).toBe('active');
        expect(k.failures).toEqual({});
      }
    }
    // team-b, with no limits, is served meanwhile.
    for (let i = 0; i < 5; i++) expect((await call(h.url, '/v1/chat/completions', chatBody(`b${i}`), { headers: bearer(TEAM_B) })).status).toBe(200);
  });

  it('a model the client may not use: 403 KMX_ERR_MODEL_NOT_ALLOWED; names as sent and provider/* decide', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'openai/gpt-4o-mini' }), { headers: bearer(TEAM_A) });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ error: { code: 'KMX_ERR_MODEL_NOT_ALLOWED', type: 'permission_error', message: expect.stringContaining('"openai/gpt-4o-mini"') } });
    expect(r.headers.get('x-should-retry')).toBe('false');
    // The alias's target by its bare name is another name: refused too.
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: bearer(TEAM_A) })).status).toBe(403);
    const an = await call(h.url, '/v1/messages', anthropicBody('x', { model: 'openai/gpt-4o-mini' }), { headers: { ...bearer(TEAM_A), ...ANTHROPIC } });
    expect(an.status).toBe(403);
    expect(an.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
  });

  it('over budget: 402 KMX_ERR_CLIENT_BUDGET once the month spend reaches it', async () => {
    expect((await call(h.url, '/v1/chat/completions', chatBody('spend'), { headers: bearer(BROKE) })).status).toBe(200);
    const r = await call(h.url, '/v1/chat/completions', chatBody('more'), { headers: bearer(BROKE) });
    expect(r.status).toBe(402);
    expect(r.json).toMatchObject({ error: { code: 'KMX_ERR_CLIENT_BUDGET', message: expect.stringContaining("client 'broke' has spent its budget") } });
    expect(r.headers.get('x-should-retry')).toBe('false');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(h.server.runtime.clients.spentUsd('broke')).toBeGreaterThan(0.000001);
  });

  it('proxyKeys still open the proxy, as clients without limits named by their id; unknown keys do not', async () => {
    for (let i = 0; i < 4; i++) expect((await call(h.url, '/v1/chat/completions', chatBody(`p${i}`), { headers: bearer(PLAIN) })).status).toBe(200);
    expect((await call(h.url, '/v1/chat/completions', chatBody('no'), { headers: bearer('kmx-nobody-0123456789abcdefgh') })).status).toBe(401);
    const lines = h.logs.requests();
    expect(lines.some((l) => l.client === keyId(PLAIN) && l.status === 200)).toBe(true);
  });

  it('logs, metrics and usage carry client names, never a client key', async () => {
    const lines = h.logs.requests();
    expect(lines.filter((l) => l.client === 'team-a').map((l) => l.status)).toEqual(expect.arrayContaining([200, 429, 403]));
    expect(lines.some((l) => l.client === 'team-b' && l.status === 200)).toBe(true);
    const metrics = await call(h.url, '/metrics');
    expect(metrics.text).toMatch(/keymux_requests_total\{[^}]*status="429",client="team-a"\}/);
    const all = h.logs.lines.join('\n') + metrics.text;
    for (const k of [TEAM_A, TEAM_B, BROKE, PLAIN]) expect(all).not.toContain(k);
    // Usage per client reaches the store by name; the admin API filters it by name.
    await new Promise((r) => setImmediate(r));
    const usage = await call(h.url, '/admin/usage?by=model&client=team-b', undefined, { headers: bearer(ADMIN) });
    expect(usage.json).toMatchObject({ by: 'model', client: 'team-b', rows: [{ provider: 'openai', model: 'gpt-4o-mini', requests: 5, successes: 5 }] });
    const byClient = await call(h.url, '/admin/usage?by=client', undefined, { headers: bearer(ADMIN) });
    const names = (byClient.json as { rows: Array<{ client: string }> }).rows.map((r) => r.client).sort();
    expect(names).toEqual(['broke', keyId(PLAIN), 'team-a', 'team-b'].sort());
    expect((await call(h.url, '/admin/usage?by=key&client=team-b', undefined, { headers: bearer(ADMIN) })).status).toBe(400);
  });
});

describe('client keys in the Gemini dialect', () => {
  it("over its rpm: 429 in Gemini's error shape, with Retry-After", async () => {
    const gkey = 'AIzaSyClientTest000000000000000000000';
    const h = await start({
      sim: { keys: { [gkey]: {} } },
      file: 'clients:\n  - { name: team-a, key: "${TEAM_A_KEY}", rpm: 1, models: ["gemini/*"] }\n',
      env: (s) => ({ GEMINI_API_KEYS: gkey, GEMINI_BASE_URL: s.url, TEAM_A_KEY: TEAM_A }),
    });
    try {
      const goog = { 'x-goog-api-key': TEAM_A };
      expect((await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('one'), { headers: goog })).status).toBe(200);
      const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('two'), { headers: goog });
      expect(r.status).toBe(429);
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(r.json).toMatchObject({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: expect.stringContaining("client 'team-a' is over its rpm limit") } });
    } finally {
      await h.close();
    }
  });
});

describe('client keys on reload', () => {
  it('a reload adds, removes and re-limits clients; a client that stays keeps its counts', async () => {
    const env = (url: string, extra: Record<string, string> = {}) => ({ OPENAI_API_KEYS: 'sk-a', OPENAI_BASE_URL: `${url}/v1`, TEAM_A_KEY: TEAM_A, TEAM_B_KEY: TEAM_B, ...extra });
    const h = await start({ file: 'clients:\n  - { name: team-a, key: "${TEAM_A_KEY}", rpm: 1 }\n', env: (s) => env(s.url) });
    try {
      expect((await call(h.url, '/v1/chat/completions', chatBody('1'), { headers: bearer(TEAM_A) })).status).toBe(200);
      expect((await call(h.url, '/v1/chat/completions', chatBody('2'), { headers: bearer(TEAM_B) })).status).toBe(401);
      const dir = scratchDir();
      const path = dir.write('keymux.yaml', 'clients:\n  - { name: team-a, key: "${TEAM_A_KEY}", rpm: 1 }\n  - { name: team-b, key: "${TEAM_B_KEY}", models: [gpt-4o-mini] }\n');
      h.server.reload(configFrom(env(h.sim.url), { cwd: dir.dir, configPath: path }));
      dir.remove();
      expect((await call(h.url, '/v1/chat/completions', chatBody('3'), { headers: bearer(TEAM_A) })).status).toBe(429);
      expect((await call(h.url, '/v1/chat/completions', chatBody('4'), { headers: bearer(TEAM_B) })).status).toBe(200);
      expect((await call(h.url, '/v1/chat/completions', chatBody('5', { model: 'openai/gpt-4o-mini' }), { headers: bearer(TEAM_B) })).status).toBe(403);
    } finally {
      await h.close();
    }
  });
});

describe('fair share over the simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'sk-a': { latencyMs: 5 } } },
      file: `
providers:
  openai:
    keys: [{ key: sk-a, maxConcurrent: 1 }]
clients:
  - { name: flood, key: "${TEAM_A}" }
  - { name: few, key: "${TEAM_B}" }
`,
      env: (s) => ({ OPENAI_BASE_URL: `${s.url}/v1` }),
    });
  });
  afterAll(() => h.close());

  it("one client's 10 requests are not served behind another's 200 waiting ones", async () => {
    const pool = h.server.runtime.providers.get('openai')!.pool;
    const finished: string[] = [];
    const send = (who: string, key: string, n: number) =>
      call(h.url, '/v1/chat/completions', chatBody(`${who}${n}`), { headers: bearer(key) }).then((r) => {
        expect(r.status).toBe(200);
        finished.push(who);
      });
    const flood = Array.from({ length: 200 }, (_, n) => send('flood', TEAM_A, n));
    while (pool.waiting < 150) await new Promise((r) => setTimeout(r, 5));
    const ahead = 200 - pool.waiting; // the flood's requests already served or in service when the few arrive
    const few = Array.from({ length: 10 }, (_, n) => send('few', TEAM_B, n));
    await Promise.all(few);
    const floodBefore = finished.filter((w) => w === 'flood').length;
    await Promise.all(flood);
    expect(finished).toHaveLength(210);
    // Served in turns: about one of the flood's per one of the few after they arrive (FIFO would be every one waiting).
    expect(floodBefore - ahead, `of ${200 - ahead} waiting flood requests, finished before the last of the few`).toBeLessThanOrEqual(10 + 2);
  }, 60_000);
});
