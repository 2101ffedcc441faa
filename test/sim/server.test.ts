import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicAuth, anthropicBody, bearer, call, chatBody, dataJson, geminiBody, googAuth } from './helpers.js';
import { startSimulator, type Simulator } from './server.js';

const tools = [
  { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } } },
];

describe('simulator: OpenAI dialect', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ keys: { k1: { rpm: 600, tpm: 100_000 }, k2: {} } });
  });
  afterAll(() => sim.close());

  it('chat completion, non-stream, with rate-limit headers', async () => {
    const r = await call(sim, '/v1/chat/completions', chatBody('hello there'), bearer('k1'));
    expect(r.status).toBe(200);
    expect(r.json.object).toBe('chat.completion');
    expect(r.json.choices[0].message).toMatchObject({ role: 'assistant', content: 'echo: hello there' });
    expect(r.json.choices[0].finish_reason).toBe('stop');
    expect(r.json.usage.total_tokens).toBe(r.json.usage.prompt_tokens + r.json.usage.completion_tokens);
    expect(r.headers.get('x-ratelimit-limit-requests')).toBe('600');
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('599');
    expect(r.headers.get('x-ratelimit-reset-requests')).toBe('100ms');
    expect(r.headers.get('x-ratelimit-limit-tokens')).toBe('100000');
    expect(r.headers.get('x-request-id')).toMatch(/^req_/);
  });

  it('chat completion stream with include_usage', async () => {
    const r = await call(sim, '/v1/chat/completions', chatBody('one two three four five', { stream: true, stream_options: { include_usage: true } }), bearer('k2'));
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    expect(r.events.at(-1)?.data).toBe('[DONE]');
    const chunks = dataJson(r.events);
    expect(chunks.length).toBeGreaterThan(4);
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    expect(text).toBe('echo: one two three four five');
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
    const last = chunks.at(-1);
    expect(last.choices).toEqual([]);
    expect(last.usage.completion_tokens).toBeGreaterThan(0);
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
  });

  it('stream without include_usage has no usage field', async () => {
    const r = await call(sim, '/v1/chat/completions', chatBody('x', { stream: true }), bearer('k2'));
    expect(dataJson(r.events).every((c) => !('usage' in c))).toBe(true);
  });

  it('tool call, streamed in argument fragments', async () => {
    const r = await call(sim, '/v1/chat/completions', chatBody('please use tool for Paris', { tools, stream: true }), bearer('k2'));
    const chunks = dataJson(r.events);
    const calls = chunks.flatMap((c) => c.choices[0]?.delta?.tool_calls ?? []);
    expect(calls[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(calls.length).toBeGreaterThan(2);
    const args = JSON.parse(calls.map((c: { function: { arguments: string } }) => c.function.arguments).join(''));
    expect(args).toEqual({ city: 'please use tool for Paris', days: 42 });
    expect(chunks.at(-1).choices[0].finish_reason).toBe('tool_calls');
    const forced = await call(sim, '/v1/chat/completions', chatBody('hi', { tools, tool_choice: 'required' }), bearer('k2'));
    expect(forced.json.choices[0].message.tool_calls[0].function.name).toBe('get_weather');
    const plain = await call(sim, '/v1/chat/completions', chatBody('hi', { tools }), bearer('k2'));
    expect(plain.json.choices[0].message.content).toBe('echo: hi');
  });

  it('completions, embeddings, models', async () => {
    const c = await call(sim, '/v1/completions', { model: 'gpt-4o-mini', prompt: 'abc' }, bearer('k2'));
    expect(c.json.choices[0].text).toBe('echo: abc');
    const e = await call(sim, '/v1/embeddings', { model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 8 }, bearer('k2'));
    expect(e.json.data).toHaveLength(2);
    expect(e.json.data[0].embedding).toHaveLength(8);
    const e2 = await call(sim, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'a', dimensions: 8, encoding_format: 'base64' }, bearer('k2'));
    const floats = new Float32Array(new Uint8Array(Buffer.from(e2.json.data[0].embedding as string, 'base64')).buffer);
    expect(floats[0]).toBeCloseTo(e.json.data[0].embedding[0] as number, 5);
    const m = await call(sim, '/v1/models', undefined, bearer('k2'));
    expect(m.json.data.map((x: { id: string }) => x.id)).toContain('gpt-4o-mini');
  });

  it('responses API, non-stream and stream', async () => {
    const r = await call(sim, '/v1/responses', { model: 'gpt-4o', input: 'hey' }, bearer('k2'));
    expect(r.json.object).toBe('response');
    expect(r.json.output[0].content[0].text).toBe('echo: hey');
    expect(r.json.usage.total_tokens).toBeGreaterThan(0);
    const s = await call(sim, '/v1/responses', { model: 'gpt-4o', input: [{ role: 'user', content: 'a b c d' }], stream: true }, bearer('k2'));
    const types = s.events.map((e) => e.event);
    expect(types[0]).toBe('response.created');
    expect(types.at(-1)).toBe('response.completed');
    const text = dataJson(s.events).filter((d) => d.type === 'response.output_text.delta').map((d) => d.delta).join('');
    expect(text).toBe('echo: a b c d');
    expect(JSON.parse(s.events.at(-1)!.data).response.usage.output_tokens).toBeGreaterThan(0);
  });

  it('bad keys and bad requests', async () => {
    const r = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('nope'));
    expect(r.status).toBe(401);
    expect(r.json.error.code).toBe('invalid_api_key');
    const none = await call(sim, '/v1/chat/completions', chatBody('x'));
    expect(none.status).toBe(401);
    const bad = await call(sim, '/v1/chat/completions', { model: 'gpt-4o' }, bearer('k2'));
    expect(bad.status).toBe(400);
  });
});

describe('simulator: Anthropic dialect', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ keys: { a1: { rpm: 50, tpm: 40_000 } } });
  });
  afterAll(() => sim.close());

  it('messages, non-stream', async () => {
    const r = await call(sim, '/v1/messages', anthropicBody('hello'), anthropicAuth('a1'));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'echo: hello' }], stop_reason: 'end_turn' });
    expect(r.json.usage.input_tokens).toBeGreaterThan(0);
    expect(r.headers.get('anthropic-ratelimit-requests-limit')).toBe('50');
    expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    expect(r.headers.get('anthropic-ratelimit-tokens-reset')).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(r.headers.get('request-id')).toMatch(/^req_/);
  });

  it('messages stream: the full event sequence', async () => {
    const r = await call(sim, '/v1/messages', anthropicBody('a b c d e', { stream: true }), anthropicAuth('a1'));
    const types = r.events.map((e) => e.event);
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types).toContain('ping');
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const data = dataJson(r.events);
    expect(data[0].message.usage.input_tokens).toBeGreaterThan(0);
    const text = data.filter((d) => d.type === 'content_block_delta').map((d) => d.delta.text).join('');
    expect(text).toBe('echo: a b c d e');
    const delta = data.find((d) => d.type === 'message_delta');
    expect(delta.delta.stop_reason).toBe('end_turn');
    expect(delta.usage.output_tokens).toBe(Math.ceil(text.length / 4));
  });

  it('tool_use with input_json_delta', async () => {
    const body = anthropicBody('use tool now', {
      stream: true,
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { q: { type: 'string' } } } }],
    });
    const data = dataJson((await call(sim, '/v1/messages', body, anthropicAuth('a1'))).events);
    expect(data[1].content_block).toMatchObject({ type: 'tool_use', name: 'lookup', input: {} });
    const json = data.filter((d) => d.delta?.type === 'input_json_delta').map((d) => d.delta.partial_json).join('');
    expect(JSON.parse(json)).toEqual({ q: 'use tool now' });
    expect(data.find((d) => d.type === 'message_delta').delta.stop_reason).toBe('tool_use');
  });

  it('count_tokens, models, version header, bad key', async () => {
    const c = await call(sim, '/v1/messages/count_tokens', anthropicBody('hello'), anthropicAuth('a1'));
    expect(c.json.input_tokens).toBeGreaterThan(0);
    const m = await call(sim, '/v1/models', undefined, anthropicAuth('a1'));
    expect(m.json.data[0].type).toBe('model');
    const v = await call(sim, '/v1/messages', anthropicBody('x'), { 'x-api-key': 'a1' });
    expect(v.status).toBe(400);
    const bad = await call(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('zzz'));
    expect(bad.status).toBe(401);
    expect(bad.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    expect(bad.json.request_id).toMatch(/^req_/);
  });
});

describe('simulator: Gemini native dialect', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ keys: { g1: {} } });
  });
  afterAll(() => sim.close());

  it('generateContent', async () => {
    const r = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('hi'), googAuth('g1'));
    expect(r.status).toBe(200);
    expect(r.json.candidates[0].content.parts[0].text).toBe('echo: hi');
    expect(r.json.candidates[0].finishReason).toBe('STOP');
    expect(r.json.usageMetadata.totalTokenCount).toBeGreaterThan(0);
    expect(sim.requests.at(-1)).toMatchObject({ model: 'gemini-2.5-flash', key: 'g1', status: 200, dialect: 'gemini' });
  });

  it('streamGenerateContent: SSE with alt=sse, a JSON array without', async () => {
    const s = await call(sim, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse&key=g1', geminiBody('one two three'));
    const chunks = dataJson(s.events);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe('echo: one two three');
    expect(chunks.at(-1).usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
    const a = await call(sim, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', geminiBody('one two three'), googAuth('g1'));
    expect(Array.isArray(a.json)).toBe(true);
    expect(a.json.at(-1).candidates[0].finishReason).toBe('STOP');
  });

  it('function call, countTokens, embedContent, models', async () => {
    const body = geminiBody('hi', {
      tools: [{ functionDeclarations: [{ name: 'f', parameters: { type: 'OBJECT', properties: { n: { type: 'NUMBER' } } } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
    });
    const f = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', body, googAuth('g1'));
    expect(f.json.candidates[0].content.parts[0].functionCall).toEqual({ name: 'f', args: { n: 42 } });
    const c = await call(sim, '/v1beta/models/gemini-2.5-flash:countTokens', geminiBody('hello'), googAuth('g1'));
    expect(c.json.totalTokens).toBeGreaterThan(0);
    const e = await call(sim, '/v1beta/models/text-embedding-004:embedContent', { content: { parts: [{ text: 'x' }] } }, googAuth('g1'));
    expect(e.json.embedding.values).toHaveLength(64);
    const m = await call(sim, '/v1beta/models', undefined, googAuth('g1'));
    expect(m.json.models[0].name).toBe('models/gemini-2.5-flash');
  });

  it('bad key → 400 API_KEY_INVALID', async () => {
    const r = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('hi'), googAuth('bad'));
    expect(r.status).toBe(400);
    expect(r.json.error.status).toBe('INVALID_ARGUMENT');
    expect(r.json.error.details[0]).toMatchObject({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' });
  });
});
