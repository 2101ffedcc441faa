// Streams are relayed event by event; the lease is held until the stream ends; a client that leaves aborts
// the upstream request and frees the key; an error after the first byte reaches the client as its dialect's
// error event; usage is read from the stream (OpenAI: include_usage asked for, and hidden unless wanted).
import { afterEach, describe, expect, test } from 'vitest';
import type { KeyBehaviour } from '../sim/index.js';
import { parseSse } from '../sim/index.js';
import { anthropicBody, call, chatBody, dataJson, eventually, geminiBody, inFlight, keySnapshots, openStream, openaiEnv, start, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function oneKey(b: KeyBehaviour): Promise<Harness> {
  h = await start({ sim: { keys: { 'sk-s': b } }, env: openaiEnv('sk-s') });
  return h;
}

const hasData = (t: string) => /data: \{/.test(t);

describe('OpenAI streams', () => {
  test('the first event reaches the client before the upstream has finished', async () => {
    const hh = await oneKey({ chunkDelayMs: 400 });
    const s = await openStream(hh.url, '/v1/chat/completions', chatBody('one two three four five six', { stream: true }));
    expect(s.res.status).toBe(200);
    await s.readUntil(hasData);
    const rec = hh.sim.requests.at(-1)!;
    expect(rec.done).toBe(false); // the simulator is still writing
    const all = await s.readAll();
    expect(all.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  test('the lease is held while the stream flows and released when it ends', async () => {
    const hh = await oneKey({ chunkDelayMs: 200 });
    const s = await openStream(hh.url, '/v1/chat/completions', chatBody('hold the lease please', { stream: true }));
    await s.readUntil(hasData);
    expect(inFlight(hh.server)).toBe(1);
    await s.readAll();
    await eventually(() => inFlight(hh.server) === 0, 5_000, 'lease released');
    expect(keySnapshots(hh.server)[0]!.successes).toBe(1);
  });

  test('a client that disconnects mid-stream aborts the upstream request and frees the key at once', async () => {
    const hh = await oneKey({ chunkDelayMs: 1_000 });
    const s = await openStream(hh.url, '/v1/chat/completions', chatBody('long story that never ends', { stream: true }));
    await s.readUntil(hasData);
    expect(inFlight(hh.server)).toBe(1);
    s.abort();
    const rec = await hh.sim.waitFor((r) => r.aborted, 10_000);
    expect(rec.aborted).toBe(true);
    await eventually(() => inFlight(hh.server) === 0, 5_000, 'lease released after abort');
    // Cancelled is not the key's failure.
    const k = keySnapshots(hh.server)[0]!;
    expect(k.status).toBe('active');
    expect(k.failures.cancelled ?? 0).toBe(1);
  });

  test('an error after the first byte is passed through as an error event', async () => {
    const hh = await oneKey({ breakAfterChunks: 2 });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('break this stream please now', { stream: true }));
    expect(r.status).toBe(200);
    const chunks = dataJson(r.events);
    expect(chunks.some((c) => c.choices?.[0]?.delta?.content)).toBe(true);
    expect(chunks.at(-1).error).toBeDefined();
    await eventually(() => inFlight(hh.server) === 0);
    expect(keySnapshots(hh.server)[0]!.successes).toBe(0);
  });

  test('an upstream connection reset mid-stream ends with an OpenAI error event', async () => {
    const hh = await oneKey({ breakAfterChunks: 2, breakMode: 'reset' });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('reset this stream please now', { stream: true }));
    expect(r.status).toBe(200);
    const last = dataJson(r.events).at(-1);
    expect(last.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('broke') });
    await eventually(() => inFlight(hh.server) === 0);
    expect(keySnapshots(hh.server)[0]!.failures.network).toBe(1);
  });

  test('usage is read from the stream; the include_usage chunk keymux asked for is hidden', async () => {
    const hh = await oneKey({});
    const r = await call(hh.url, '/v1/chat/completions', chatBody('usage please', { stream: true }));
    expect(r.status).toBe(200);
    const upstream = hh.sim.requests.at(-1)!.body as { stream_options?: { include_usage?: boolean } };
    expect(upstream.stream_options?.include_usage).toBe(true);
    const chunks = dataJson(r.events);
    expect(chunks.some((c) => Array.isArray(c.choices) && c.choices.length === 0)).toBe(false);
    expect(chunks.some((c) => c.usage)).toBe(false);
    await eventually(() => inFlight(hh.server) === 0);
    const k = keySnapshots(hh.server)[0]!;
    expect(k.usage.inputTokens).toBeGreaterThan(0);
    expect(k.usage.outputTokens).toBeGreaterThan(0);
  });

  test('a client that asked for include_usage sees the usage chunk', async () => {
    const hh = await oneKey({});
    const r = await call(hh.url, '/v1/chat/completions', chatBody('usage please', { stream: true, stream_options: { include_usage: true } }));
    const usageChunk = dataJson(r.events).find((c) => Array.isArray(c.choices) && c.choices.length === 0);
    expect(usageChunk?.usage.total_tokens).toBeGreaterThan(0);
  });

  test('keep-alive comments of a slow provider are relayed and the stream completes', async () => {
    const hh = await oneKey({ keepAliveMs: 300 });
    const r = await call(hh.url, '/v1/chat/completions', chatBody('slow start', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.text).toContain(': keep-alive');
    expect(r.events.at(-1)!.data).toBe('[DONE]');
  });
});

describe('Anthropic and Gemini streams', () => {
  test('Anthropic: an error after the first byte arrives as event: error, with no message_stop', async () => {
    h = await start({ sim: { keys: { 'sk-ant-x': { breakAfterChunks: 1 } } }, env: (s) => ({ ANTHROPIC_API_KEYS: 'sk-ant-x', ANTHROPIC_BASE_URL: s.url }) });
    const r = await call(h.url, '/v1/messages', anthropicBody('break me please now', { stream: true }), { headers: { 'anthropic-version': '2023-06-01' } });
    const names = r.events.map((e) => e.event);
    expect(names).toContain('content_block_delta');
    expect(names.at(-1)).toBe('error');
    expect(names).not.toContain('message_stop');
  });

  test('Anthropic: a client that leaves aborts the upstream request', async () => {
    h = await start({ sim: { keys: { 'sk-ant-x': { chunkDelayMs: 1_000 } } }, env: (s) => ({ ANTHROPIC_API_KEYS: 'sk-ant-x', ANTHROPIC_BASE_URL: s.url }) });
    const s = await openStream(h.url, '/v1/messages', anthropicBody('a long one here', { stream: true }), { 'anthropic-version': '2023-06-01' });
    await s.readUntil((t) => t.includes('content_block_delta'));
    s.abort();
    await h.sim.waitFor((r) => r.aborted, 10_000);
    await eventually(() => inFlight(h!.server, 'anthropic') === 0);
  });

  test('Gemini JSON-array stream: a reset mid-stream still ends as a valid JSON array with an error element', async () => {
    h = await start({
      sim: { keys: { 'AIza-g': { breakAfterChunks: 2, breakMode: 'reset' } } },
      env: (s) => ({ GEMINI_API_KEYS: 'AIza-g', GEMINI_BASE_URL: s.url }),
    });
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', geminiBody('one two three four five'));
    expect(r.status).toBe(200);
    expect(Array.isArray(r.json)).toBe(true);
    // (Chunks read before the reset may be lost with it at the TCP level: only the ending is certain.)
    expect(r.json.at(-1).error).toMatchObject({ code: 502, status: 'UNAVAILABLE' });
    await eventually(() => inFlight(h!.server, 'gemini') === 0);
  });

  test("Gemini JSON-array stream: the provider's own error element is relayed inside the array", async () => {
    h = await start({ sim: { keys: { 'AIza-g': { breakAfterChunks: 2 } } }, env: (s) => ({ GEMINI_API_KEYS: 'AIza-g', GEMINI_BASE_URL: s.url }) });
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', geminiBody('one two three four five'));
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(3);
    expect(r.json[0].candidates).toBeDefined();
    expect(r.json.at(-1).error).toMatchObject({ code: 503, status: 'UNAVAILABLE' });
  });

  test('Gemini SSE stream: the first event arrives before the upstream finished; usage is counted', async () => {
    h = await start({ sim: { keys: { 'AIza-g': { chunkDelayMs: 400 } } }, env: (s) => ({ GEMINI_API_KEYS: 'AIza-g', GEMINI_BASE_URL: s.url }) });
    const s = await openStream(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', geminiBody('one two three four five'));
    await s.readUntil(hasData);
    expect(h.sim.requests.at(-1)!.done).toBe(false);
    expect(inFlight(h.server, 'gemini')).toBe(1);
    const text = await s.readAll();
    expect(parseSse(text).length).toBeGreaterThan(1);
    await eventually(() => inFlight(h!.server, 'gemini') === 0);
    expect(keySnapshots(h.server, 'gemini')[0]!.usage.outputTokens).toBeGreaterThan(0);
  });
});
