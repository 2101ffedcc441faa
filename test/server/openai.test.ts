// OpenAI-dialect endpoints against the simulator: chat (non-stream, stream), completions, embeddings,
// responses, models, providers, token-count.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, chatBody, dataJson, openaiEnv, start, type Harness } from './helpers.js';

const KEY_A = 'sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa1111';
const KEY_B = 'sk-proj-bbbbbbbbbbbbbbbbbbbbbbbbbbbb2222';

describe('OpenAI endpoints', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim: { keys: { [KEY_A]: {}, [KEY_B]: {} } }, env: openaiEnv(`${KEY_A},${KEY_B}`) });
  });
  afterAll(() => h.close());

  test('POST /v1/chat/completions (non-stream) answers through a pool key', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('hello there'));
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('chat.completion');
    expect(r.json.choices[0].message.content).toBe('echo: hello there');
    expect(r.json.usage.total_tokens).toBeGreaterThan(0);
    expect(r.headers.get('x-keymux-provider')).toBe('openai');
    expect(r.headers.get('x-keymux-attempts')).toBe('1');
    const rec = h.sim.requests.at(-1)!;
    expect(rec.path).toBe('/v1/chat/completions');
    expect([KEY_A, KEY_B]).toContain(rec.key);
    expect(rec.model).toBe('gpt-4o-mini');
  });

  test('POST /v1/chat/completions (stream) relays SSE chunks and [DONE]', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('stream me please', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(r.events.at(-1)!.data).toBe('[DONE]');
    const chunks = dataJson(r.events);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('echo: stream me please');
  });

  test('POST /v1/completions', async () => {
    const r = await call(h.url, '/v1/completions', { model: 'gpt-4o-mini', prompt: 'say this' });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('text_completion');
    expect(r.json.choices[0].text).toBe('echo: say this');
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/completions');
  });

  test('POST /v1/embeddings', async () => {
    const r = await call(h.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 });
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(2);
    expect(r.json.data[0].embedding).toHaveLength(8);
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/embeddings');
  });

  test('POST /v1/responses (non-stream)', async () => {
    const r = await call(h.url, '/v1/responses', { model: 'gpt-4o-mini', input: 'respond' });
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('response');
    expect(r.json.output[0].content[0].text).toBe('echo: respond');
    expect(h.sim.requests.at(-1)!.path).toBe('/v1/responses');
  });

  test('POST /v1/responses (stream) relays named events and counts usage', async () => {
    const before = h.server.runtime.providers.get('openai')!.pool.snapshot().keys.reduce((n, k) => n + k.usage.outputTokens, 0);
    const r = await call(h.url, '/v1/responses', { model: 'gpt-4o-mini', input: 'respond streaming', stream: true });
    expect(r.status).toBe(200);
    const types = r.events.map((e) => e.event);
    expect(types[0]).toBe('response.created');
    expect(types).toContain('response.output_text.delta');
    expect(types.at(-1)).toBe('response.completed');
    const after = h.server.runtime.providers.get('openai')!.pool.snapshot().keys.reduce((n, k) => n + k.usage.outputTokens, 0);
    expect(after).toBeGreaterThan(before);
  });

  test('GET /v1/models lists provider/model ids, fetched once with a pool key and cached', async () => {
    const modelCalls = () => h.sim.requests.filter((q) => q.method === 'GET' && q.path === '/v1/models');
    const r = await call(h.url, '/v1/models');
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('list');
    const ids = r.json.data.map((m: { id: string }) => m.id);
    expect(ids).toContain('openai/gpt-4o-mini');
    expect(ids.every((id: string) => id.startsWith('openai/'))).toBe(true);
    expect(modelCalls()).toHaveLength(1);
    expect([KEY_A, KEY_B]).toContain(modelCalls()[0]!.key);
    const again = await call(h.url, '/v1/models');
    expect(again.json).toEqual(r.json);
    expect(modelCalls()).toHaveLength(1); // cached
  });

  test('GET /v1/models answers in the Anthropic shape when anthropic-version is sent', async () => {
    const r = await call(h.url, '/v1/models', undefined, { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(200);
    expect(r.json.has_more).toBe(false);
    expect(r.json.data[0]).toMatchObject({ type: 'model', id: expect.stringMatching(/^openai\//) });
    expect(r.json.first_id).toBe(r.json.data[0].id);
  });

  test('GET /v1/providers describes the providers without any secret', async () => {
    const r = await call(h.url, '/v1/providers');
    expect(r.status).toBe(200);
    expect(r.json.data).toHaveLength(1);
    expect(r.json.data[0]).toMatchObject({ name: 'openai', dialect: 'openai', keys: 2 });
    expect(r.text).not.toContain(KEY_A);
    expect(r.text).not.toContain(KEY_B);
    expect(r.text).not.toContain('aaaaaaaaaaaa');
  });

  test('POST /v1/token-count estimates tokens', async () => {
    const r = await call(h.url, '/v1/token-count', chatBody('count these words for me please'));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ object: 'token_count', model: 'openai/gpt-4o-mini', method: 'estimate' });
    expect(r.json.tokens).toBeGreaterThan(0);
  });
});
