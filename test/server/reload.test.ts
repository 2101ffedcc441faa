// Hot reload through server.reload(config): keys, limits and strategy change in place; keys that stay keep their
// state; in-flight requests are never dropped, even when reloads land in the middle of many of them.
import { afterEach, describe, expect, test } from 'vitest';
import { call, chatBody, configFrom, eventually, inFlight, keySnapshots, openStream, openaiEnv, scratchDir, start, type Env, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const envFor = (hh: Harness, keys: string, extra: Env = {}) => openaiEnv(keys, extra)(hh.sim);

describe('server.reload', () => {
  test('adds and removes keys; new requests use the new set', async () => {
    h = await start({ sim: { keys: { 'sk-a': {}, 'sk-b': {}, 'sk-c': {} } }, env: openaiEnv('sk-a') });
    await call(h.url, '/v1/chat/completions', chatBody('x'));
    h.server.reload(configFrom(envFor(h, 'sk-b,sk-c')));
    expect(keySnapshots(h.server)).toHaveLength(2);
    h.sim.requests.length = 0;
    for (let i = 0; i < 4; i++) expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(200);
    expect(new Set(h.sim.requests.map((q) => q.key))).toEqual(new Set(['sk-b', 'sk-c']));
  });

  test('keys that stay keep their state: a disabled key stays disabled', async () => {
    h = await start({ sim: { keys: { 'sk-a': { revoked: true }, 'sk-b': {} } }, env: openaiEnv('sk-a,sk-b', { KEYMUX_STRATEGY: 'round-robin' }) });
    await call(h.url, '/v1/chat/completions', chatBody('x'));
    const before = keySnapshots(h.server);
    expect(before.map((k) => k.status)).toEqual(['disabled', 'active']);
    h.server.reload(configFrom(envFor(h, 'sk-a,sk-b,sk-c')));
    const after = keySnapshots(h.server);
    expect(after.map((k) => k.status)).toEqual(['disabled', 'active', 'active']);
    expect(after[1]!.requests).toBe(before[1]!.requests); // counters survive too
    expect(after[1]!.id).toBe(before[1]!.id);
  });

  test('strategy and limits apply', async () => {
    const dir = scratchDir();
    try {
      h = await start({ sim: { keys: { 'sk-a': {} } }, env: openaiEnv('sk-a') });
      expect(h.server.runtime.providers.get('openai')!.pool.snapshot().strategy).toBe('default');
      const file = dir.write('keymux.yaml', 'strategy: least-used\nproviders:\n  openai:\n    keys:\n      - key: sk-a\n        rpm: 7\n        maxConcurrent: 2\n');
      h.server.reload(configFrom({ OPENAI_BASE_URL: `${h.sim.url}/v1` }, { cwd: dir.dir, configPath: file }));
      const snap = h.server.runtime.providers.get('openai')!.pool.snapshot();
      expect(snap.strategy).toBe('least-used');
      expect(snap.keys[0]!.configured).toMatchObject({ rpm: 7, maxConcurrent: 2 });
      expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(200);
    } finally {
      dir.remove();
    }
  });

  test('server timeouts apply to new requests', async () => {
    const dir = scratchDir();
    try {
      h = await start({ sim: { keys: { 'sk-a': { hangMs: 5_000 } } }, env: openaiEnv('sk-a') });
      const file = dir.write('keymux.yaml', 'server:\n  headersTimeoutMs: 200\nretry:\n  maxAttempts: 1\n');
      h.server.reload(configFrom(envFor(h, 'sk-a'), { cwd: dir.dir, configPath: file }));
      const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
      expect(r.status).toBe(504);
    } finally {
      dir.remove();
    }
  });

  test('proxy keys apply', async () => {
    h = await start({ sim: { keys: { 'sk-a': {} } }, env: openaiEnv('sk-a') });
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(200);
    h.server.reload(configFrom(envFor(h, 'sk-a', { KEYMUX_PROXY_KEYS: 'pk-1' })));
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(401);
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: 'Bearer pk-1' } })).status).toBe(200);
  });

  test('a provider that leaves: new requests are refused, the one in flight finishes', async () => {
    h = await start({
      sim: { keys: { 'sk-a': { chunkDelayMs: 150 }, 'sk-ant': {}, 'AIza-g': {} } },
      env: (s) => ({ OPENAI_API_KEYS: 'sk-a', OPENAI_BASE_URL: `${s.url}/v1`, ANTHROPIC_API_KEYS: 'sk-ant', ANTHROPIC_BASE_URL: s.url }),
    });
    const s = await openStream(h.url, '/v1/chat/completions', chatBody('a b c d e f', { model: 'openai/gpt-4o-mini', stream: true }));
    await s.readUntil((t) => t.includes('data:'));
    h.server.reload(configFrom({ ANTHROPIC_API_KEYS: 'sk-ant', ANTHROPIC_BASE_URL: h.sim.url, GEMINI_API_KEYS: 'AIza-g', GEMINI_BASE_URL: h.sim.url }));
    expect([...h.server.runtime.providers.keys()].sort()).toEqual(['anthropic', 'gemini']);
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'openai/gpt-4o-mini' }));
    expect(r.status).toBe(404);
    const text = await s.readAll();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(text).not.toContain('"error"');
  });

  test('a request queued on a provider that a reload removes gets a 503 with Retry-After', async () => {
    const dir = scratchDir();
    try {
      h = await start({
        sim: { keys: { 'sk-a': { latencyMs: 800 }, 'sk-ant': {}, 'AIza-g': {} } },
        file: 'providers:\n  openai:\n    keys:\n      - key: sk-a\n        maxConcurrent: 1\n',
        env: (s) => ({ OPENAI_BASE_URL: `${s.url}/v1`, ANTHROPIC_API_KEYS: 'sk-ant', ANTHROPIC_BASE_URL: s.url }),
      });
      const hh = h;
      const first = call(hh.url, '/v1/chat/completions', chatBody('first', { model: 'openai/gpt-4o-mini' }));
      await hh.sim.waitFor((q) => q.key === 'sk-a');
      const second = call(hh.url, '/v1/chat/completions', chatBody('second', { model: 'openai/gpt-4o-mini' }));
      await eventually(() => hh.server.runtime.providers.get('openai')!.pool.waiting === 1);
      hh.server.reload(configFrom({ ANTHROPIC_API_KEYS: 'sk-ant', ANTHROPIC_BASE_URL: hh.sim.url }, { cwd: dir.dir }));
      const r2 = await second;
      expect(r2.status).toBe(503);
      expect(r2.headers.get('retry-after')).toBe('1');
      expect(r2.json.error.message).toContain('closed');
      const r1 = await first;
      expect(r1.status).toBe(200);
      expect(hh.logs.entries().filter((e) => (e.level as number) >= 50)).toEqual([]);
    } finally {
      dir.remove();
    }
  });

  test('a request in flight on a key that is removed completes, and its lease ends', async () => {
    h = await start({ sim: { keys: { 'sk-a': { chunkDelayMs: 150 }, 'sk-b': {} } }, env: openaiEnv('sk-a', { KEYMUX_STRATEGY: 'round-robin' }) });
    const s = await openStream(h.url, '/v1/chat/completions', chatBody('a b c d e f', { stream: true }));
    await s.readUntil((t) => t.includes('data:'));
    h.server.reload(configFrom(envFor(h, 'sk-b')));
    const text = await s.readAll();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(inFlight(h.server)).toBe(0);
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(200);
    expect(h.sim.requests.at(-1)!.key).toBe('sk-b');
  });
});

describe('hot reload under load', () => {
  test('concurrent streaming and non-streaming requests all succeed while the config is reloaded several times', async () => {
    const keys = { 'sk-1': { latencyMs: 40, chunkDelayMs: 40 }, 'sk-2': { latencyMs: 40, chunkDelayMs: 40 }, 'sk-3': { latencyMs: 40, chunkDelayMs: 40 } };
    h = await start({ sim: { keys }, env: openaiEnv('sk-1,sk-2') });
    const hh = h;
    const N = 24;
    const requests = Array.from({ length: N }, (_, i) => {
      const stream = i % 2 === 0;
      return call(hh.url, '/v1/chat/completions', chatBody(`load ${i} a b c d`, { stream })).then((r) => ({ i, stream, r }));
    });
    // Reload as the requests arrive and flow: key sets overlap, so there is always a key to serve.
    const sets = ['sk-2,sk-3', 'sk-3,sk-1', 'sk-1,sk-2,sk-3', 'sk-1', 'sk-2,sk-1'];
    const strategies = ['round-robin', 'least-used', 'lru', 'default', 'random'];
    const inFlightAtReload: number[] = [];
    for (let j = 0; j < sets.length; j++) {
      await hh.sim.waitFor(() => hh.sim.requests.length >= Math.min(N, 2 + j * 4), 10_000).catch(() => undefined);
      inFlightAtReload.push(hh.server.inFlight);
      hh.server.reload(configFrom(envFor(hh, sets[j]!, { KEYMUX_STRATEGY: strategies[j]! })));
    }
    expect(inFlightAtReload.some((n) => n > 0)).toBe(true);
    const results = await Promise.all(requests);
    for (const { i, stream, r } of results) {
      expect(r.status, `request ${i}`).toBe(200);
      if (stream) {
        expect(r.events.at(-1)?.data, `request ${i}`).toBe('[DONE]');
        expect(r.text, `request ${i}`).not.toContain('"error"');
      } else {
        expect(r.json.choices[0].message.content, `request ${i}`).toBe(`echo: load ${i} a b c d`);
      }
    }
    await eventually(() => inFlight(hh.server) === 0);
    expect(hh.server.inFlight).toBe(0);
    expect(new Set(hh.sim.requests.map((q) => q.key)).size).toBeGreaterThan(1);
  });
});
