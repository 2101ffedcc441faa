// Structured logs: one info line per request with what an operator needs, and never a provider key — not in a
// log line, not in a response body or header, not even when an upstream error body echoes the key.
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { anthropicBody, call, chatBody, eventually, geminiBody, inFlight, openStream, start, type Harness, type Reply } from './helpers.js';

const OPENAI_KEYS = ['sk-proj-Alpha0123456789abcdefALPHA', 'sk-proj-Bravo0123456789abcdefBRAVO', 'sk-proj-Revoked0123456789abcREVOK'];
const ANTHROPIC_KEY = 'sk-ant-api03-Charlie0123456789abcdefCHARLIE';
const GEMINI_KEY = 'AIzaSyDelta0123456789abcdefDELTA';
const SECRETS = [...OPENAI_KEYS, ANTHROPIC_KEY, GEMINI_KEY];
/** Distinctive middles of the secrets: a partial echo must not get out either. */
const FRAGMENTS = ['Alpha0123456789', 'Bravo0123456789', 'Revoked0123456789', 'Charlie0123456789', 'Delta0123456789'];

function assertClean(what: string, text: string): void {
  for (const s of [...SECRETS, ...FRAGMENTS]) {
    if (text.includes(s)) throw new Error(`${what} contains a provider key (${s.slice(0, 12)}…): ${text.slice(0, 300)}`);
  }
}
const replyText = (r: Reply) => `${r.status} ${JSON.stringify([...r.headers])} ${r.text}`;

describe('request logs', () => {
  let h: Harness;
  const replies: Reply[] = [];
  beforeAll(async () => {
    h = await start({
      sim: {
        keys: {
          [OPENAI_KEYS[0]!]: {},
          [OPENAI_KEYS[1]!]: { breakAfterChunks: 1 },
          [OPENAI_KEYS[2]!]: { revoked: true },
          [ANTHROPIC_KEY]: {},
          [GEMINI_KEY]: {},
        },
      },
      env: (s) => ({
        OPENAI_API_KEYS: OPENAI_KEYS.join(','),
        OPENAI_BASE_URL: `${s.url}/v1`,
        ANTHROPIC_API_KEYS: ANTHROPIC_KEY,
        ANTHROPIC_BASE_URL: s.url,
        GEMINI_API_KEYS: GEMINI_KEY,
        GEMINI_BASE_URL: s.url,
        KEYMUX_STRATEGY: 'round-robin',
      }),
    });
    // A mix: successes, a revoked key (its 401 echoes a masked key), a stream broken mid-way, client errors.
    for (let i = 0; i < 4; i++) replies.push(await call(h.url, '/v1/chat/completions', chatBody(`n${i}`, { model: 'openai/gpt-4o-mini' })));
    for (let i = 0; i < 3; i++) replies.push(await call(h.url, '/v1/chat/completions', chatBody(`s${i} a b c`, { model: 'openai/gpt-4o-mini', stream: true })));
    replies.push(await call(h.url, '/v1/chat/completions', { model: 'openai/gpt-4o-mini', messages: [] }));
    replies.push(await call(h.url, '/v1/messages', anthropicBody('hi'), { headers: { 'anthropic-version': '2023-06-01' } }));
    replies.push(await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('hi')));
    replies.push(await call(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', geminiBody('hi')));
    replies.push(await call(h.url, '/v1/models'));
    replies.push(await call(h.url, '/v1beta/models'));
    replies.push(await call(h.url, '/v1/providers'));
    replies.push(await call(h.url, '/readyz'));
    replies.push(await call(h.url, '/nope'));
    await eventually(() => inFlight(h.server) === 0);
  });
  afterAll(() => h.close());

  test('one info line per request with method, route, provider, model, key id, attempts, status, latency', () => {
    const lines = h.logs.requests();
    expect(lines).toHaveLength(replies.length);
    const chat = lines.find((l) => l.route === '/v1/chat/completions' && l.status === 200)!;
    expect(chat).toMatchObject({
      level: 30,
      method: 'POST',
      route: '/v1/chat/completions',
      provider: 'openai',
      model: 'gpt-4o-mini',
      keyId: expect.stringMatching(/^[0-9a-f]{12}$/),
      attempts: expect.any(Number),
      status: 200,
      latencyMs: expect.any(Number),
      upstreamRequestId: expect.stringMatching(/^req_/),
    });
    const gem = lines.find((l) => String(l.route).includes(':generateContent'))!;
    expect(gem).toMatchObject({ provider: 'gemini', model: 'gemini-2.5-flash', status: 200 });
    const notFound = lines.find((l) => l.route === '/nope')!;
    expect(notFound).toMatchObject({ method: 'GET', status: 404 });
  });

  test('a retried request logs its attempts; the revoked key was seen by the simulator', () => {
    expect(h.logs.requests().some((l) => (l.attempts as number) > 1)).toBe(true);
    expect(h.sim.requests.some((q) => q.key === OPENAI_KEYS[2] && q.status === 401)).toBe(true);
  });

  test('no provider key appears in any log line', () => {
    expect(h.logs.lines.length).toBeGreaterThanOrEqual(replies.length);
    for (const line of h.logs.lines) assertClean('log line', line);
  });

  test('no provider key appears in any response body or header', () => {
    for (const r of replies) assertClean('response', replyText(r));
  });
});

describe('upstream error bodies that echo the key', () => {
  let upstream: Server;
  let h: Harness;
  const KEY = 'sk-live-Echo0123456789abcdefECHOECHO';
  beforeAll(async () => {
    // A provider that repeats the whole key back in its error bodies (some do, in 401s and 400s).
    upstream = createHttpServer((req, res) => {
      const key = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      req.resume();
      req.on('end', () => {
        const status = req.url?.includes('/chat/completions') ? 401 : 400;
        res.writeHead(status, { 'content-type': 'application/json', 'x-echo-key': key });
        res.end(JSON.stringify({ error: { message: `Incorrect API key provided: ${key}.`, type: 'invalid_request_error', code: 'invalid_api_key' } }));
      });
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as AddressInfo).port;
    h = await start({
      file: 'retry:\n  maxAttempts: 1\n',
      env: () => ({ OPENAI_API_KEYS: KEY, OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }),
    });
  });
  afterAll(async () => {
    await h.close();
    await new Promise((r) => upstream.close(r));
  });
  // Each test starts with the key enabled again (a 401 disables it).
  beforeEach(() => {
    const pool = h.server.runtime.providers.get('openai')!.pool;
    for (const k of pool.snapshot().keys) pool.enable(k.id);
  });

  test('the relayed 401 keeps its shape but the key is masked', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('invalid_api_key');
    expect(r.text).not.toContain(KEY);
    expect(r.text).not.toContain('Echo0123456789');
    expect(JSON.stringify([...r.headers])).not.toContain('Echo0123456789');
    for (const line of h.logs.lines) expect(line).not.toContain('Echo0123456789');
  });

  test('the relayed 400 of an embeddings call is masked too', async () => {
    const r = await call(h.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'x' });
    expect(r.status).toBe(400);
    expect(r.text).not.toContain('Echo0123456789');
  });

  test('a translated error (Anthropic client, OpenAI provider) is masked too', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('x', { model: 'gpt-4o-mini' }), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(401);
    expect(r.text).not.toContain('Echo0123456789');
  });

  test('a client that leaves a stream mid-way is logged as cancelled, not as an error', async () => {
    const h2 = await start({ sim: { keys: { 'sk-z': { chunkDelayMs: 1_000 } } }, env: (s) => ({ OPENAI_API_KEYS: 'sk-z', OPENAI_BASE_URL: `${s.url}/v1` }) });
    try {
      const s = await openStream(h2.url, '/v1/chat/completions', chatBody('a b c d e f', { stream: true }));
      await s.readUntil((t) => t.includes('data:'));
      s.abort();
      await eventually(() => h2.logs.requests().length === 1);
      expect(h2.logs.requests()[0]).toMatchObject({ outcome: 'cancelled', status: 200 });
      expect(h2.logs.entries().filter((e) => (e.level as number) >= 50)).toEqual([]);
    } finally {
      await h2.close();
    }
  });
});
