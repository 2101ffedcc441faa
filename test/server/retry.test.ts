// Every request goes through pool.run: a key's 429/5xx/401 before the first byte is retried on another key
// invisibly; client errors pass through once; when no key can serve, the client hears why, with Retry-After.
// Round-robin makes the first key tried the first one configured, so "A fails, B serves" is deterministic.
import { afterEach, describe, expect, test } from 'vitest';
import type { KeyBehaviour } from '../sim/index.js';
import { anthropicBody, call, chatBody, geminiBody, keySnapshots, openaiEnv, start, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function twoKeys(a: KeyBehaviour, b: KeyBehaviour = {}, extra: Record<string, string> = {}): Promise<Harness> {
  h = await start({ sim: { keys: { 'sk-a': a, 'sk-b': b } }, env: openaiEnv('sk-a,sk-b', { KEYMUX_STRATEGY: 'round-robin', ...extra }) });
  return h;
}

/** Uses up a key's per-minute budget at the simulator directly, so its next request is a 429. */
async function useUp(sim: Harness['sim'], key: string): Promise<void> {
  const r = await fetch(`${sim.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(chatBody('warm up')),
  });
  await r.text();
  expect(r.status).toBe(200);
}

const keysSeen = (hh: Harness) => hh.sim.requests.filter((q) => q.path === '/v1/chat/completions').map((q) => `${q.key}:${q.status}`);

describe('retried on another key, invisibly', () => {
  test('a 429 on one key: the client gets 200, the simulator saw both keys', async () => {
    const hh = await twoKeys({ rpm: 1 });
    await useUp(hh.sim, 'sk-a');
    hh.sim.requests.length = 0;
    const r = await call(hh.url, '/v1/chat/completions', chatBody('retry me'));
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: retry me');
    expect(r.headers.get('x-keymux-attempts')).toBe('2');
    expect(keysSeen(hh)).toEqual(['sk-a:429', 'sk-b:200']);
    // OpenAI limits are per (group, model): the key cools for this model.
    const a = keySnapshots(hh.server)[0]!;
    expect(a.status === 'cooling' || a.models?.['gpt-4o-mini']?.status === 'cooling').toBe(true);
  });

  test('a 5xx on one key is retried on another', async () => {
    const hh = await twoKeys({ failRate: 1 });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(keysSeen(hh)).toEqual(['sk-a:500', 'sk-b:200']);
  });

  test('a 503 overload on one key is retried on another', async () => {
    const hh = await twoKeys({ overloadRate: 1 });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(keysSeen(hh)).toEqual(['sk-a:503', 'sk-b:200']);
  });

  test('a 401 (revoked key) is retried on another, and the revoked key is disabled', async () => {
    const hh = await twoKeys({ revoked: true });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(keysSeen(hh)).toEqual(['sk-a:401', 'sk-b:200']);
    expect(keySnapshots(hh.server).map((k) => k.status)).toEqual(['disabled', 'active']);
    // The disabled key is never picked again.
    await call(hh.url, '/v1/chat/completions', chatBody('y'));
    expect(keysSeen(hh).slice(2)).toEqual(['sk-b:200']);
  });

  test('a stream whose first key fails before its first byte is retried too', async () => {
    const hh = await twoKeys({ failRate: 1 });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    expect(r.headers.get('x-keymux-attempts')).toBe('2');
    expect(keysSeen(hh)).toEqual(['sk-a:500', 'sk-b:200']);
  });

  test('Anthropic: a revoked key is retried on another', async () => {
    h = await start({
      sim: { keys: { 'sk-ant-a': { revoked: true }, 'sk-ant-b': {} } },
      env: (s) => ({ ANTHROPIC_API_KEYS: 'sk-ant-a,sk-ant-b', ANTHROPIC_BASE_URL: s.url, KEYMUX_STRATEGY: 'round-robin' }),
    });
    const r = await call(h.url, '/v1/messages', anthropicBody('x'), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(200);
    expect(h.sim.requests.map((q) => `${q.key}:${q.status}`)).toEqual(['sk-ant-a:401', 'sk-ant-b:200']);
  });

  test("Gemini: an invalid key's 400 API_KEY_INVALID is retried (it is the key's fault, not the request's)", async () => {
    h = await start({
      sim: { keys: { 'AIza-a': { revoked: true }, 'AIza-b': {} } },
      env: (s) => ({ GEMINI_API_KEYS: 'AIza-a,AIza-b', GEMINI_BASE_URL: s.url, KEYMUX_STRATEGY: 'round-robin' }),
    });
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('x'));
    expect(r.status).toBe(200);
    expect(h.sim.requests.map((q) => `${q.key}:${q.status}`)).toEqual(['AIza-a:400', 'AIza-b:200']);
  });
});

describe('not retried', () => {
  test('a 400 passes through unchanged; the simulator saw exactly one request', async () => {
    const hh = await twoKeys({});
    const bad = { model: 'gpt-4o-mini', messages: [] };
    const direct = await fetch(`${hh.sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-b', 'content-type': 'application/json' },
      body: JSON.stringify(bad),
    });
    const expected = await direct.json();
    hh.sim.requests.length = 0;
    const r = await call(hh.url, '/v1/chat/completions', bad);
    expect(r.status).toBe(400);
    expect(r.json).toEqual(expected);
    expect(hh.sim.requests).toHaveLength(1);
    expect(r.headers.get('x-should-retry')).toBe('false');
    // The key is not punished for the request's fault.
    expect(keySnapshots(hh.server).every((k) => k.status === 'active')).toBe(true);
  });
});

describe('no key can serve', () => {
  test('all keys rate-limited: 429 with Retry-After and a message that says why', async () => {
    const hh = await twoKeys({ rpm: 1 }, { rpm: 1 });
    await useUp(hh.sim, 'sk-a');
    await useUp(hh.sim, 'sk-b');
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(r.json.error.message).toMatch(/cooling|rate limit/i);
    // A second request does not probe the provider again while every key cools.
    const n = hh.sim.requests.length;
    const again = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(again.status).toBe(429);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(again.json.error.code).toBe('KMX_ERR_ALL_KEYS_UNAVAILABLE');
    expect(again.json.error.message).toContain('cooling');
    expect(hh.sim.requests.length).toBe(n);
  });

  test('all keys revoked: an error that says the keys are disabled, and /readyz turns 503', async () => {
    const hh = await twoKeys({ revoked: true }, { revoked: true });
    expect((await call(hh.url, '/readyz')).status).toBe(200);
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.json.error.message).toMatch(/disabled/);
    expect(r.headers.get('x-should-retry')).toBe('false');
    expect(keySnapshots(hh.server).map((k) => k.status)).toEqual(['disabled', 'disabled']);
    const n = hh.sim.requests.length;
    const again = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(again.json.error.message).toMatch(/disabled/);
    expect(hh.sim.requests.length).toBe(n);
    const ready = await call(hh.url, '/readyz');
    expect(ready.status).toBe(503);
  });

  test('all keys out of quota: 429 that says the quota is exhausted', async () => {
    const hh = await twoKeys({ quotaExhausted: true }, { quotaExhausted: true });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(429);
    expect(r.json.error.message).toMatch(/quota/i);
    const again = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(again.status).toBe(429);
    expect(again.json.error.message).toMatch(/exhausted/);
    expect(Number(again.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});
