import type { Dialect } from '../../src/dialects/index.js';
import { describe, expect, it } from 'vitest';
import {
  anthropicToOpenAIRequest, anthropicToOpenAIResponse, AnthropicToOpenAIStream, openAIToAnthropicRequest, openAIToAnthropicResponse,
  OpenAIToAnthropicStream, translatorFor,
} from '../../src/translate/index.js';
import { anthropicFinal, oaChunk, oaUsageChunk, openAIFinal, PNG_B64 } from './helpers.js';

const ANTHROPIC_REQ = {
  model: 'claude-sonnet-4-5',
  max_tokens: 2048,
  system: 'Be terse.',
  temperature: 0.5,
  stop_sequences: ['STOP'],
  tools: [{ name: 'Read', description: 'Read a file', input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] } }],
  tool_choice: { type: 'auto', disable_parallel_tool_use: true },
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Read a.ts' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] },
    { role: 'assistant', content: [{ type: 'text', text: 'Reading.' }, { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { path: 'a.ts' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'export {}' }, { type: 'text', text: 'Explain.' }] },
  ],
};

describe('round trips', () => {
  it('anthropic request → openai → anthropic keeps its meaning', () => {
    const there = anthropicToOpenAIRequest(ANTHROPIC_REQ).body;
    const back = openAIToAnthropicRequest(there).body;
    expect(back).toEqual({
      ...ANTHROPIC_REQ,
      messages: [
        ANTHROPIC_REQ.messages[0],
        ANTHROPIC_REQ.messages[1],
        // A string tool_result content stays a string; the text after it stays in the same user turn.
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'export {}' }, { type: 'text', text: 'Explain.' }] },
      ],
    });
  });

  it('openai request → anthropic → openai keeps its meaning', () => {
    const req = {
      model: 'gpt-4o', max_tokens: 300, temperature: 0.3, stop: ['x'],
      messages: [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Calling.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'ok' },
      ],
      tools: [{ type: 'function', function: { name: 'f', description: 'F', parameters: { type: 'object', properties: { a: { type: 'number' } } } } }],
      tool_choice: 'required',
    };
    expect(anthropicToOpenAIRequest(openAIToAnthropicRequest(req).body).body).toEqual(req);
  });

  it('anthropic message → openai completion → anthropic message keeps content, stop reason and usage', () => {
    const msg = {
      id: 'msg_01', type: 'message', role: 'assistant', model: 'claude-haiku-4-5',
      content: [
        { type: 'thinking', thinking: 'Plan.', signature: '' },
        { type: 'text', text: 'Here.' },
        { type: 'tool_use', id: 'toolu_9', name: 'Read', input: { path: 'b.ts', opts: { lines: [1, 2] } } },
      ],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 0 },
    };
    expect(openAIToAnthropicResponse(anthropicToOpenAIResponse(msg))).toEqual(msg);
  });

  it('an OpenAI stream through Anthropic events and back assembles to the same completion', async () => {
    const chunks = [
      oaChunk({ role: 'assistant', content: '' }),
      oaChunk({ content: 'Two calls.' }),
      oaChunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":' } }] }),
      oaChunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      oaChunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      oaChunk({}, 'tool_calls'),
      oaUsageChunk(10, 7),
    ];
    const toAnthropic = new OpenAIToAnthropicStream();
    const events = [...chunks.flatMap((c) => toAnthropic.push(c)), ...toAnthropic.end()];
    const toOpenAI = new AnthropicToOpenAIStream({ includeUsage: true });
    const again = [...events.flatMap((e) => toOpenAI.push(e.event, e.data)), ...toOpenAI.end()];
    const [direct, roundTripped] = await Promise.all([openAIFinal(chunks), openAIFinal(again)]);
    expect(roundTripped.choices).toEqual(direct.choices);
    expect(roundTripped.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 7 });
    expect((await anthropicFinal(events)).content.map((b) => b.type)).toEqual(['text', 'tool_use', 'tool_use']);
  });
});

describe('translatorFor', () => {
  it.each([
    ['anthropic', 'openai', true], ['openai', 'anthropic', true], ['openai', 'gemini', true],
    // #15: every pair of different dialects is translated through the hub; same-dialect traffic passes through.
    ['openai', 'openai', false], ['anthropic', 'anthropic', false], ['gemini', 'gemini', false],
    ['anthropic', 'gemini', true], ['gemini', 'openai', true], ['gemini', 'anthropic', true],
  ])('%s client over %s upstream: %s', (client, upstream, supported) => {
    expect(translatorFor(client as Dialect, upstream as Dialect) !== undefined).toBe(supported);
  });

  it('anthropic → openai: request with options, response, stream, error', () => {
    const tr = translatorFor('anthropic', 'openai', { reasoningEffort: true })!;
    const { body, warnings } = tr.request({ ...ANTHROPIC_REQ, stream: true, thinking: { type: 'enabled', budget_tokens: 10000 } }, { model: 'nvidia/llama' });
    expect(body).toMatchObject({ model: 'nvidia/llama', reasoning_effort: 'medium', stream: true, stream_options: { include_usage: true } });
    expect(warnings).toEqual([]);
    expect(tr.response({ id: 'chatcmpl-1', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }))
      .toMatchObject({ type: 'message', content: [{ type: 'text', text: 'hi' }], stop_reason: 'end_turn' });
    const s = tr.stream({ model: 'claude-sonnet-4-5' });
    const items = [...s.push(undefined, oaChunk({ content: 'x' })), ...s.push(undefined, '[DONE]'), ...s.end(), ...s.end()];
    expect(items.map((i) => i.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
    expect(items[0]?.data).toMatchObject({ message: { model: 'claude-sonnet-4-5' } });
    expect(tr.error(429, { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } }))
      .toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } });
    const broken = tr.stream();
    broken.push(undefined, oaChunk({ content: 'x' }));
    expect(broken.error('reset')).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'reset' } } }]);
  });

  it('openai → anthropic: remembers include_usage from the request and ends with one [DONE]', () => {
    const tr = translatorFor('openai', 'anthropic')!;
    tr.request({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }, { model: 'claude-haiku-4-5' });
    const s = tr.stream();
    const items = [
      ...s.push('message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude-haiku-4-5', usage: { input_tokens: 3, output_tokens: 1 } } }),
      ...s.push('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ...s.push('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'yo' } }),
      ...s.push('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }),
      ...s.push('message_stop', { type: 'message_stop' }),
      ...s.end(),
      ...s.end(),
    ];
    expect(items.map((i) => (typeof i.data === 'string' ? i.data : 'chunk'))).toEqual(['chunk', 'chunk', 'chunk', 'chunk', '[DONE]']);
    expect(items[3]?.data).toMatchObject({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
    expect(items.every((i) => i.event === undefined)).toBe(true);
    expect(tr.error(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))
      .toEqual({ error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } });
    const noUsage = translatorFor('openai', 'anthropic')!;
    noUsage.request({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] }, { model: 'c' });
    const s2 = noUsage.stream();
    s2.push('message_start', { type: 'message_start', message: { id: 'msg_2' } });
    expect(s2.push('message_stop', { type: 'message_stop' }).some((i) => (i.data as { usage?: unknown }).usage)).toBe(false);
    expect(s2.error('reset')).toEqual([
      { data: { error: { message: 'reset', type: 'server_error', param: null, code: 'KMX_ERR_UPSTREAM' } } },
      { data: '[DONE]' },
    ]);
  });

  it('openai → gemini: body without model or stream flag; stream, response, error', () => {
    const tr = translatorFor('openai', 'gemini')!;
    const { body } = tr.request({ model: 'gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }, { model: 'gemini-2.5-flash' });
    expect(body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    const s = tr.stream();
    const items = [
      ...s.push(undefined, { candidates: [{ content: { parts: [{ text: 'hey' }], role: 'model' }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 2, candidatesTokenCount: 1, totalTokenCount: 3 } }),
      ...s.end(),
    ];
    expect(items.map((i) => (typeof i.data === 'string' ? i.data : 'chunk'))).toEqual(['chunk', 'chunk', 'chunk', 'chunk', '[DONE]']);
    expect(tr.response({ candidates: [{ content: { parts: [{ text: 'hey' }] }, finishReason: 'STOP' }] })).toMatchObject({ choices: [{ message: { content: 'hey' } }] });
    expect(tr.error(429, { error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED' } }))
      .toEqual({ error: { message: 'quota', type: 'rate_limit_error', param: null, code: 'RESOURCE_EXHAUSTED' } });
  });
});
