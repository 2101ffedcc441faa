// Anthropic-dialect endpoints: /v1/messages (+ stream), /v1/messages/count_tokens, /v1/models in Anthropic's
// shape; and the translation both ways when client and provider speak different dialects.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anthropicBody, call, chatBody, dataJson, openaiEnv, start, type Harness } from './helpers.js';

const ANTHROPIC_HEADERS = { 'anthropic-version': '2023-06-01', 'anthropic-beta': 'tools-2024-05-16' };

describe('Anthropic endpoints (Anthropic provider)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'sk-ant-api03-one': {}, 'sk-ant-api03-two': {} } },
      env: (s) => ({ ANTHROPIC_API_KEYS: 'sk-ant-api03-one,sk-ant-api03-two', ANTHROPIC_BASE_URL: s.url }),
    });
  });
  afterAll(() => h.close());

  test('POST /v1/messages (non-stream) passes through with the pool key and client headers', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('hi claude'), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'echo: hi claude' }] });
    const rec = h.sim.requests.at(-1)!;
    expect(rec.path).toBe('/v1/messages');
    expect(rec.key).toMatch(/^sk-ant-api03-/);
    expect(r.headers.get('request-id')).toMatch(/^req_/);
  });

  test('POST /v1/messages (stream) relays the named events through message_stop', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('stream claude', { stream: true }), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    const names = r.events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names).toContain('content_block_delta');
    expect(names.at(-1)).toBe('message_stop');
    const text = dataJson(r.events)
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => e.delta.text)
      .join('');
    expect(text).toBe('echo: stream claude');
  });

  test('a stream reports its usage to the pool', async () => {
    const snap = () => h.server.runtime.providers.get('anthropic')!.pool.snapshot().keys;
    const before = snap().reduce((n, k) => n + k.usage.inputTokens + k.usage.outputTokens, 0);
    await call(h.url, '/v1/messages', anthropicBody('count me in', { stream: true }), { headers: ANTHROPIC_HEADERS });
    const after = snap().reduce((n, k) => n + k.usage.inputTokens + k.usage.outputTokens, 0);
    expect(after).toBeGreaterThan(before);
  });

  test('POST /v1/messages/count_tokens is answered by the provider', async () => {
    const r = await call(h.url, '/v1/messages/count_tokens', anthropicBody('how many tokens is this'), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    expect(r.json.input_tokens).toBeGreaterThan(0);
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/messages/count_tokens');
  });

  test('GET /v1/models with anthropic-version lists anthropic/ models in Anthropic shape', async () => {
    const r = await call(h.url, '/v1/models', undefined, { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(200);
    expect(r.json.data.map((m: { id: string }) => m.id)).toContain('anthropic/claude-sonnet-4-6');
    expect(r.json.data[0].type).toBe('model');
  });

  test('an upstream 400 keeps the Anthropic error shape and is not retried', async () => {
    const n = h.sim.requests.length;
    const r = await call(h.url, '/v1/messages', { model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'x' }] }, { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });
    expect(h.sim.requests.length).toBe(n + 1);
  });

  test('POST /v1/chat/completions to an Anthropic provider is translated both ways', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('translate me', { model: 'anthropic/claude-sonnet-4-6', max_tokens: 100 }));
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: translate me');
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/messages');
  });

  test('a translated stream arrives as OpenAI chunks', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('translate stream', { model: 'anthropic/claude-sonnet-4-6', stream: true }));
    expect(r.status).toBe(200);
    const text = dataJson(r.events)
      .map((c) => c.choices?.[0]?.delta?.content ?? '')
      .join('');
    expect(text).toBe('echo: translate stream');
    expect(r.events.at(-1)!.data).toBe('[DONE]');
  });
});

describe('Anthropic endpoints (OpenAI-compatible provider)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim: { keys: { 'sk-a': {} } }, env: openaiEnv('sk-a') });
  });
  afterAll(() => h.close());

  test('POST /v1/messages is translated to chat completions', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('to openai', { model: 'openai/gpt-4o-mini' }), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    expect(r.json.type).toBe('message');
    expect(r.json.content[0].text).toBe('echo: to openai');
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/chat/completions');
  });

  test('POST /v1/messages (stream) is translated to Anthropic events', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('stream to openai', { model: 'gpt-4o-mini', stream: true }), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    const names = r.events.map((e) => e.event);
    expect(names[0]).toBe('message_start');
    expect(names.at(-1)).toBe('message_stop');
  });

  test('POST /v1/messages/count_tokens is estimated where the provider cannot count', async () => {
    const r = await call(h.url, '/v1/messages/count_tokens', anthropicBody('estimate this please', { model: 'gpt-4o-mini' }), { headers: ANTHROPIC_HEADERS });
    expect(r.status).toBe(200);
    expect(r.json.input_tokens).toBeGreaterThan(0);
    expect(r.headers.get('x-keymux-token-count')).toBe('estimate');
  });
});
