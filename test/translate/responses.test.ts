// Responses API ⇄ chat completions: the request's items as messages, the refusals and warnings, the answer as a
// `response`, the chat stream as response.* events, and the bounded response store.
import { describe, expect, it } from 'vitest';
import { ChatToResponsesStream, MemoryResponseStore, parseResponsesRequest, responsesOverChat, TranslationError } from '../../src/translate/index.js';
import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import { oaChunk } from './helpers.js';

const over = (body: Record<string, unknown>, history: any[] = []) =>
  responsesOverChat(parseResponsesRequest(body), body, { upstream: 'openai', model: 'up-model', reportedModel: 'nim/m', history });

describe('Responses request → chat', () => {
  it('instructions, a string input, function tools, tool_choice, text.format, max_output_tokens, stream', () => {
    const { body, warnings } = over({
      model: 'nim/m',
      instructions: 'be brief',
      input: 'hi',
      tools: [{ type: 'function', name: 'f', description: 'd', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      max_output_tokens: 50,
      stream: true,
    });
    expect(warnings).toEqual([]);
    expect(body).toEqual({
      model: 'up-model',
      messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object' }, strict: true } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      max_tokens: 50,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('items: messages with parts, function calls joined to the assistant turn, outputs as tool messages; history first', () => {
    const history = [{ role: 'user', content: 'earlier' }];
    const { body } = over(
      {
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,AA' }] },
          { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'calling' }] },
          { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{"a":1}' },
          { type: 'function_call', call_id: 'c2', name: 'g', arguments: '' },
          { type: 'function_call_output', call_id: 'c1', output: 'one' },
          { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
        ],
      },
      history,
    );
    expect((body as any).messages).toEqual([
      { role: 'user', content: 'earlier' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AA', detail: 'auto' } }] },
      {
        role: 'assistant',
        content: 'calling',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'c2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
  });

  it.each([
    [{ tools: [{ type: 'web_search' }] }, "the built-in tool 'web_search'"],
    [{ input: [{ type: 'item_reference', id: 'x' }] }, 'item_reference'],
    [{ input: [{ type: 'computer_call_output', call_id: 'x' }] }, "'computer_call_output'"],
    [{ background: true }, 'background mode'],
    [{ conversation: 'conv_1' }, 'conversation'],
    [{ tool_choice: { type: 'web_search' } }, 'tool_choice'],
  ])('refuses %j naming the feature', (patch, feature) => {
    const err = (() => {
      try {
        over({ input: 'x', ...patch });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(TranslationError);
    expect(err).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', message: expect.stringContaining(feature) });
  });

  it('lists what it drops', () => {
    const { warnings } = over({
      input: [{ type: 'reasoning', summary: [] }, { role: 'user', content: 'x' }],
      include: ['reasoning.encrypted_content'],
      prompt_cache_key: 'k',
      reasoning: { effort: 'low', summary: 'auto' },
      store: false,
    });
    expect(warnings).toEqual(expect.arrayContaining(['include dropped', 'prompt_cache_key dropped', expect.stringContaining('reasoning input items'), expect.stringContaining('reasoning.summary')]));
    expect(warnings.join()).not.toContain('store');
  });

  it('a body that is not a Responses request is a 400 (KMX_ERR_BAD_REQUEST), not a crash', () => {
    expect(() => parseResponsesRequest({ input: 5 })).toThrow(TranslationError);
    expect(() => over({ input: [] })).toThrow(/input/);
  });
});

describe('chat completion → response', () => {
  it('text and tool calls become items; length becomes incomplete; usage renamed; the turn is stored', () => {
    const stored: any[] = [];
    const body = { input: 'q' };
    const ro = responsesOverChat(parseResponsesRequest(body), body, { upstream: 'openai', model: 'm', reportedModel: 'nim/m', onDone: (id, c) => stored.push({ id, c }) });
    const r: any = ro.response({
      choices: [{ index: 0, finish_reason: 'length', message: { role: 'assistant', content: 'partial', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] } }],
      usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } },
    });
    expect(r).toMatchObject({ id: ro.id, object: 'response', model: 'nim/m', status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(r.output.map((o: any) => o.type)).toEqual(['message', 'function_call']);
    expect(r.output[1]).toMatchObject({ call_id: 'c1', name: 'f', arguments: '{}' });
    expect(r.usage).toEqual({ input_tokens: 3, input_tokens_details: { cached_tokens: 1 }, output_tokens: 4, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 });
    expect(stored).toEqual([{ id: ro.id, c: [{ role: 'user', content: 'q' }, { role: 'assistant', content: 'partial', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] }] }]);
  });
});

describe('chat stream → response.* events', () => {
  const env = { id: 'resp_1', model: 'm', createdAt: 1, req: parseResponsesRequest({ input: 'x' }) };
  const types = (items: Array<{ event?: string }>) => items.map((i) => i.event);

  it('text then a tool call: items open and close in order, sequence numbers count up, completed carries usage', () => {
    const s = new ChatToResponsesStream(env);
    const items = [
      ...s.push(oaChunk({ role: 'assistant', content: 'hel' })),
      ...s.push(oaChunk({ content: 'lo' })),
      ...s.push(oaChunk({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] })),
      ...s.push(oaChunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }, 'tool_calls')),
      ...s.push({ id: 'x', choices: [], usage: { prompt_tokens: 2, completion_tokens: 5 } }),
      ...s.end(),
    ];
    expect(types(items)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.output_item.added', 'response.function_call_arguments.delta', 'response.function_call_arguments.delta',
      'response.function_call_arguments.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(items.map((i: any) => i.data.sequence_number)).toEqual(items.map((_, n) => n));
    const done: any = items.at(-1)?.data;
    expect(done.response.output).toEqual([
      expect.objectContaining({ type: 'message', status: 'completed', content: [expect.objectContaining({ type: 'output_text', text: 'hello' })] }),
      expect.objectContaining({ type: 'function_call', status: 'completed', call_id: 'c1', name: 'f', arguments: '{"a":1}' }),
    ]);
    expect(done.response.usage).toMatchObject({ input_tokens: 2, output_tokens: 5, total_tokens: 7 });
    expect(s.end()).toEqual([]);
  });

  it('reasoning_content (NIM, DeepSeek) or reasoning (OpenRouter, Groq) becomes a reasoning item before the message', () => {
    const s = new ChatToResponsesStream(env);
    const items = [...s.push(oaChunk({ reasoning_content: 'think' })), ...s.push(oaChunk({ reasoning: 'ing' })), ...s.push(oaChunk({ content: 'ok' }, 'stop')), ...s.end()];
    expect(types(items).slice(2, 8)).toEqual([
      'response.output_item.added', 'response.content_part.added', 'response.reasoning_text.delta', 'response.reasoning_text.delta',
      'response.reasoning_text.done', 'response.content_part.done',
    ]);
    const done: any = items.at(-1)?.data;
    expect(done.response.output.map((o: any) => o.type)).toEqual(['reasoning', 'message']);
    // The openai SDK's own accumulator (what responses.stream() runs) takes every event and builds the same output.
    let snap: any;
    for (const it of items.slice(0, -1)) snap = accumulateResponse(it.data as any, snap);
    expect(snap.output).toEqual(done.response.output);
    expect(done.response.output[0].content).toEqual([{ type: 'reasoning_text', text: 'thinking' }]);
    const r: any = over({ input: 'x' }).response({ choices: [{ finish_reason: 'stop', message: { content: 'a', reasoning_content: 'why' } }] });
    expect(r.output.map((o: any) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('an in-stream error chunk, or a broken upstream: error then response.failed, and nothing after', () => {
    const s = new ChatToResponsesStream(env);
    s.push(oaChunk({ content: 'a' }));
    const items = s.push({ error: { message: 'boom' } });
    expect(types(items)).toEqual(['error', 'response.failed']);
    expect((items[1]?.data as any).response).toMatchObject({ status: 'failed', error: { message: 'boom' } });
    expect(s.end()).toEqual([]);
    expect(types(new ChatToResponsesStream(env).error('cut'))).toEqual(['response.created', 'response.in_progress', 'error', 'response.failed']);
  });
});

describe('MemoryResponseStore', () => {
  it('is bounded by count and by age', async () => {
    let now = 0;
    const s = new MemoryResponseStore({ maxEntries: 2, maxAgeMs: 1000, now: () => now });
    await s.put('a', { conversation: [] });
    await s.put('b', { conversation: [] });
    await s.put('c', { conversation: [] });
    expect(await s.get('a')).toBeUndefined();
    expect(await s.get('c')).toEqual({ conversation: [] });
    now = 1500;
    expect(await s.get('c')).toBeUndefined();
    expect(s.size).toBe(0);
  });

  it('is bounded by bytes', async () => {
    const s = new MemoryResponseStore({ maxBytes: 150 });
    await s.put('a', { conversation: [{ role: 'user', content: 'x'.repeat(60) }] });
    await s.put('b', { conversation: [{ role: 'user', content: 'y'.repeat(60) }] });
    expect(await s.get('a')).toBeUndefined();
    expect(await s.get('b')).toBeDefined();
  });
});
