import { afterEach, describe, expect, it } from 'vitest';
import { anthropicAuth, anthropicBody, bearer, call, chatBody, dataJson, geminiBody, googAuth } from './helpers.js';
import { startSimulator, type Simulator } from './server.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('aborts', () => {
  it('records a client abort mid-stream and stops writing', async () => {
    sim = await startSimulator({ keys: { k: { chunkDelayMs: 100 } } });
    const ac = new AbortController();
    const res = await fetch(`${sim.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { ...bearer('k'), 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('a b c d e f g h', { stream: true })),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toContain('chat.completion.chunk');
    ac.abort();
    const rec = await sim.waitFor((r) => r.aborted, 2000);
    expect(rec).toMatchObject({ key: 'k', status: 200, stream: true, aborted: true, done: true, model: 'gpt-4o-mini' });
    expect(rec.durationMs).toBeLessThan(1000);
  });

  it('records an abort while the request hangs (no head sent: status 0)', async () => {
    sim = await startSimulator({ keys: { k: { hangMs: 5000 } } });
    const ac = new AbortController();
    const p = fetch(`${sim.url}/v1/messages`, {
      method: 'POST',
      headers: { ...anthropicAuth('k'), 'content-type': 'application/json' },
      body: JSON.stringify(anthropicBody('x')),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    await sim.waitFor((r) => r.key === 'k' && r.body !== undefined);
    ac.abort();
    await p;
    const rec = await sim.waitFor((r) => r.done);
    expect(rec).toMatchObject({ aborted: true, status: 0, dialect: 'anthropic' });
  });

  it('a completed exchange is not aborted', async () => {
    sim = await startSimulator({ keys: { k: {} } });
    await call(sim, '/v1/chat/completions', chatBody('x', { stream: true }), bearer('k'));
    expect(await sim.waitFor((r) => r.done)).toMatchObject({ aborted: false, status: 200 });
  });

  it('waitFor rejects after its timeout', async () => {
    sim = await startSimulator({ keys: {} });
    await expect(sim.waitFor(() => false, 50)).rejects.toThrow(/no matching request/);
  });
});

describe('broken streams', () => {
  it('anthropic: event: error and no message_stop', async () => {
    sim = await startSimulator({ keys: { k: { breakAfterChunks: 2 } } });
    const r = await call(sim, '/v1/messages', anthropicBody('a b c d e f', { stream: true }), anthropicAuth('k'));
    const types = r.events.map((e) => e.event);
    expect(types.filter((t) => t === 'content_block_delta')).toHaveLength(2);
    expect(types.at(-1)).toBe('error');
    expect(types).not.toContain('message_stop');
    expect(JSON.parse(r.events.at(-1)!.data)).toMatchObject({ type: 'error', error: { type: 'overloaded_error' } });
  });

  it('openai: an error event and no [DONE]; openrouter: finish_reason "error"', async () => {
    sim = await startSimulator({ keys: { k: { breakAfterChunks: 1 } } });
    const r = await call(sim, '/v1/chat/completions', chatBody('a b c d', { stream: true }), bearer('k'));
    expect(r.events.at(-1)?.data).not.toBe('[DONE]');
    expect(dataJson(r.events).at(-1).error.type).toBe('server_error');
    await sim.close();
    sim = await startSimulator({ flavor: 'openrouter', keys: { k: { breakAfterChunks: 1 } } });
    const o = await call(sim, '/api/v1/chat/completions', chatBody('a b c d', { stream: true }), bearer('k'));
    expect(o.status).toBe(200);
    expect(dataJson(o.events).at(-1).choices[0].finish_reason).toBe('error');
  });

  it('gemini: an error object as the last chunk', async () => {
    sim = await startSimulator({ keys: { k: { breakAfterChunks: 1 } } });
    const r = await call(sim, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', geminiBody('a b c d'), googAuth('k'));
    expect(dataJson(r.events).at(-1).error.status).toBe('UNAVAILABLE');
  });

  it("breakMode 'reset' destroys the connection (fetch fails), not recorded as a client abort", async () => {
    sim = await startSimulator({ keys: { k: { breakAfterChunks: 1, breakMode: 'reset' } } });
    await expect(call(sim, '/v1/chat/completions', chatBody('a b c d', { stream: true }), bearer('k'))).rejects.toThrow();
    expect(await sim.waitFor((r) => r.done)).toMatchObject({ aborted: false });
  });
});

describe('timing', () => {
  it('chunkDelayMs paces events with real timers; latencyMs delays the head', async () => {
    sim = await startSimulator({ keys: { k: { chunkDelayMs: 40, latencyMs: 50 } } });
    const t0 = performance.now();
    const r = await call(sim, '/v1/chat/completions', chatBody('a b c d', { stream: true }), bearer('k'));
    const took = performance.now() - t0;
    expect(r.events.at(-1)?.data).toBe('[DONE]');
    expect(took).toBeGreaterThanOrEqual(50 + 3 * 40);
  });

  it('keepAliveMs (DeepSeek under load): 200 at once, `: keep-alive` comments, then the stream', async () => {
    sim = await startSimulator({ flavor: 'deepseek', keys: { k: { keepAliveMs: 100 } } });
    const r = await call(sim, '/chat/completions', chatBody('x', { stream: true }), bearer('k'));
    expect(r.text.startsWith(': keep-alive\n\n')).toBe(true);
    expect(r.events.at(-1)?.data).toBe('[DONE]');
    const j = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('k'));
    expect(j.text.startsWith('\n')).toBe(true);
    expect(j.json.choices[0].message.content).toBe('echo: x');
  });

  it('reset() forgets requests and quota state', async () => {
    sim = await startSimulator({ keys: { k: { rpm: 1 } }, now: () => 0 });
    await call(sim, '/v1/chat/completions', chatBody('x'), bearer('k'));
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('k'))).status).toBe(429);
    sim.reset();
    expect(sim.requests).toHaveLength(0);
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('k'))).status).toBe(200);
  });
});
