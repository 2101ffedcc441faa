// Clients that go away — while waiting for a non-streamed answer, while queued for a key, while uploading — and
// a server that closes with requests in flight: keys are freed, upstream requests are aborted, nothing is
// logged as an error.
import { request as httpRequest } from 'node:http';
import { describe, expect, test } from 'vitest';
import { call, chatBody, eventually, inFlight, keySnapshots, openaiEnv, start, type Harness } from './helpers.js';
import { afterBody, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

const errorLines = (hh: Harness) => hh.logs.entries().filter((e) => (e.level as number) >= 50);

describe('clients that leave', () => {
  test('leaving while the provider thinks (non-stream) aborts the upstream request and frees the key', async () => {
    t.h = await start({ sim: { keys: { 'sk-a': { latencyMs: 5_000 } } }, env: openaiEnv('sk-a') });
    const ac = new AbortController();
    const pending = call(t.h.url, '/v1/chat/completions', chatBody('slow'), { signal: ac.signal }).catch((e: Error) => e);
    await t.h.sim.waitFor((q) => q.key === 'sk-a');
    expect(inFlight(t.h.server)).toBe(1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await t.h.sim.waitFor((q) => q.aborted, 10_000);
    await eventually(() => inFlight(t.h!.server) === 0);
    const k = keySnapshots(t.h.server)[0]!;
    expect(k.status).toBe('active');
    expect(k.failures.cancelled).toBe(1);
    await eventually(() => t.h!.logs.requests().length === 1);
    expect(errorLines(t.h)).toEqual([]);
  });

  test('leaving half-way through a non-streamed answer aborts the upstream request and frees the key', async () => {
    // The provider sends its head and half a body, then nothing: keymux is reading it whole when the client leaves.
    t.up = await startUpstream((req, res) =>
      afterBody(req, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"half');
      }),
    );
    t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
    const ac = new AbortController();
    const pending = call(t.h.url, '/v1/chat/completions', chatBody('x'), { signal: ac.signal }).catch((e: Error) => e);
    await eventually(() => t.up!.requests.length === 1);
    await eventually(() => inFlight(t.h!.server) === 1);
    ac.abort();
    expect(await pending).toBeInstanceOf(Error);
    await t.up.closed(1);
    await eventually(() => inFlight(t.h!.server) === 0);
    const k = keySnapshots(t.h.server)[0]!;
    expect(k.status).toBe('active');
    expect(k.successes).toBe(0);
    expect(k.failures.cancelled).toBe(1);
    expect(errorLines(t.h)).toEqual([]);
  });

  test('leaving while queued for a key takes the request out of the queue; nothing reaches the provider', async () => {
    t.h = await start({
      sim: { keys: { 'sk-a': { latencyMs: 3_000 } } },
      file: 'providers:\n  openai:\n    keys:\n      - key: sk-a\n        maxConcurrent: 1\n',
      env: (s) => ({ OPENAI_BASE_URL: `${s.url}/v1` }),
    });
    const pool = t.h.server.runtime.providers.get('openai')!.pool;
    const first = call(t.h.url, '/v1/chat/completions', chatBody('first'));
    await t.h.sim.waitFor((q) => q.key === 'sk-a');
    const ac = new AbortController();
    const second = call(t.h.url, '/v1/chat/completions', chatBody('second'), { signal: ac.signal }).catch((e: Error) => e);
    await eventually(() => pool.waiting === 1, 5_000, 'second request queued');
    ac.abort();
    expect(await second).toBeInstanceOf(Error);
    await eventually(() => pool.waiting === 0, 5_000, 'queue emptied');
    const r = await first;
    expect(r.status).toBe(200);
    expect(t.h.sim.requests).toHaveLength(1);
    expect(errorLines(t.h)).toEqual([]);
  });

  test('a queued request is served when the key frees up', async () => {
    t.h = await start({
      sim: { keys: { 'sk-a': { latencyMs: 300 } } },
      file: 'providers:\n  openai:\n    keys:\n      - key: sk-a\n        maxConcurrent: 1\n',
      env: (s) => ({ OPENAI_BASE_URL: `${s.url}/v1` }),
    });
    const rs = await Promise.all([1, 2, 3].map((i) => call(t.h!.url, '/v1/chat/completions', chatBody(`q${i}`))));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(t.h.sim.requests).toHaveLength(3);
  });

  test('leaving half-way through the upload is not an error', async () => {
    t.h = await start({ sim: { keys: { 'sk-a': {} } }, env: openaiEnv('sk-a') });
    await new Promise<void>((resolve) => {
      const req = httpRequest(`${t.h!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"model":"gpt-4o-mini",');
      setImmediate(() => {
        req.destroy();
        resolve();
      });
    });
    await eventually(() => t.h!.logs.requests().length === 1, 5_000, 'request logged');
    expect(errorLines(t.h)).toEqual([]);
    expect(t.h.sim.requests).toHaveLength(0);
    expect((await call(t.h.url, '/healthz')).status).toBe(200);
  });
});

describe('server.close', () => {
  test('waits for in-flight requests, refuses new ones meanwhile, then closes', async () => {
    t.h = await start({ sim: { keys: { 'sk-a': { latencyMs: 800 } } }, env: openaiEnv('sk-a') });
    const hh = t.h;
    const pending = call(hh.url, '/v1/chat/completions', chatBody('drain me'));
    await hh.sim.waitFor((q) => q.key === 'sk-a');
    const closed = hh.server.close(10_000);
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: drain me');
    await closed;
    expect(hh.server.inFlight).toBe(0);
    await expect(fetch(`${hh.url}/healthz`)).rejects.toThrow();
  });
});
