import { describe, expect, it } from 'vitest';
import { anthropicToOpenAIResponse, AnthropicToOpenAIStream } from '../../src/translate/index.js';
import { openAIFinal } from './helpers.js';

const ev = (event: string, data: object) => ({ event, data: { type: event, ...data } });

/** The event sequence Anthropic documents for thinking + text + a tool call, with pings. */
const ANTHROPIC_STREAM = [
  ev('message_start', { message: {
    id: 'msg_014p7gG3wDgGV9EUtLvnow3U', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5-20250929', content: [],
    stop_reason: null, stop_sequence: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 2048, output_tokens: 2 },
  } }),
  ev('ping', {}),
  ev('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Need the weather.' } }),
  ev('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'EqQBCgIYAhIM1gbcDa9GJwZA2b3h' } }),
  ev('content_block_stop', { index: 0 }),
  ev('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Okay, checking' } }),
  ev('content_block_delta', { index: 1, delta: { type: 'text_delta', text: ' now.' } }),
  ev('content_block_stop', { index: 1 }),
  ev('content_block_start', { index: 2, content_block: { type: 'tool_use', id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', name: 'get_weather', input: {} } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"location": "San Fra' } }),
  ev('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: 'ncisco, CA"}' } }),
  ev('content_block_stop', { index: 2 }),
  ev('message_delta', { delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 89 } }),
  ev('message_stop', {}),
];

const run = (events: Array<{ event: string; data: object }>, includeUsage = true) => {
  const s = new AnthropicToOpenAIStream({ includeUsage });
  return [...events.flatMap((e) => s.push(e.event, e.data)), ...s.end()];
};

describe('AnthropicToOpenAIStream', () => {
  it('emits role, reasoning, content, tool_calls (id+name, then fragments), finish and usage chunks', () => {
    const chunks = run(ANTHROPIC_STREAM);
    const deltas = chunks.map((c) => ('choices' in c ? (c.choices[0]?.delta ?? null) : c));
    expect(deltas).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'Need the weather.' },
      { content: 'Okay, checking' },
      { content: ' now.' },
      { tool_calls: [{ index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"location": "San Fra' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'ncisco, CA"}' } }] },
      {},
      null, // the usage chunk has no choices
    ]);
    expect(chunks[7]).toMatchObject({ choices: [{ finish_reason: 'tool_calls' }] });
    expect(chunks[8]).toEqual({
      id: 'chatcmpl-014p7gG3wDgGV9EUtLvnow3U', object: 'chat.completion.chunk', created: expect.any(Number), model: 'claude-sonnet-4-5-20250929',
      choices: [], usage: { prompt_tokens: 2520, completion_tokens: 89, total_tokens: 2609, prompt_tokens_details: { cached_tokens: 2048 } },
    });
    for (const c of chunks) expect(c).toMatchObject({ id: 'chatcmpl-014p7gG3wDgGV9EUtLvnow3U', object: 'chat.completion.chunk' });
  });

  it('produces a stream the OpenAI SDK assembles into the right completion', async () => {
    const completion = await openAIFinal(run(ANTHROPIC_STREAM, false));
    expect(completion.choices[0]?.message).toMatchObject({
      role: 'assistant',
      content: 'Okay, checking now.',
      tool_calls: [{ id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '{"location": "San Francisco, CA"}' } }],
    });
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('numbers parallel tool calls 0, 1 by order, whatever their Anthropic block index', async () => {
    const events = [
      ev('message_start', { message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 5, output_tokens: 1 } } }),
      ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_a', name: 'f', input: {} } }),
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"x":1}' } }),
      ev('content_block_stop', { index: 0 }),
      ev('content_block_start', { index: 1, content_block: { type: 'tool_use', id: 'toolu_b', name: 'g', input: {} } }),
      ev('content_block_delta', { index: 1, delta: { type: 'input_json_delta', partial_json: '{"y":2}' } }),
      ev('content_block_stop', { index: 1 }),
      ev('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } }),
      ev('message_stop', {}),
    ];
    const completion = await openAIFinal(run(events, false));
    expect(completion.choices[0]?.message.tool_calls?.map((t) => [t.id, t.type === 'function' ? t.function.arguments : ''])).toEqual([
      ['toolu_a', '{"x":1}'],
      ['toolu_b', '{"y":2}'],
    ]);
  });

  it.each([
    ['end_turn', 'stop'], ['stop_sequence', 'stop'], ['max_tokens', 'length'], ['refusal', 'content_filter'],
    ['pause_turn', 'stop'], ['model_context_window_exceeded', 'length'],
  ])('maps stop_reason %s to finish_reason %s', (stopReason, finish) => {
    const chunks = run([
      ev('message_start', { message: { id: 'msg_x', usage: { input_tokens: 1, output_tokens: 1 } } }),
      ev('message_delta', { delta: { stop_reason: stopReason }, usage: { output_tokens: 3 } }),
      ev('message_stop', {}),
    ], false);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ delta: {}, finish_reason: finish }] });
  });

  it('turns an Anthropic error event into an OpenAI in-stream error and stops', () => {
    const s = new AnthropicToOpenAIStream();
    s.push('message_start', ANTHROPIC_STREAM[0]?.data);
    expect(s.push('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toEqual([
      { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } },
    ]);
    expect(s.push('message_stop', { type: 'message_stop' })).toEqual([]);
  });

  it('invents no finish chunk for a stream cut before message_stop', () => {
    const chunks = run(ANTHROPIC_STREAM.slice(0, 9));
    expect(chunks.some((c) => 'choices' in c && c.choices[0]?.finish_reason)).toBe(false);
  });
});

describe('anthropicToOpenAIResponse', () => {
  it('maps text, thinking, tool_use, stop_reason and usage', () => {
    const out = anthropicToOpenAIResponse({
      id: 'msg_01Aq9w938a90dw8q', type: 'message', role: 'assistant', model: 'claude-opus-4-5',
      content: [
        { type: 'thinking', thinking: 'Hmm.', signature: 'sig' },
        { type: 'redacted_thinking', data: 'xyz' },
        { type: 'text', text: 'Calling ', citations: null },
        { type: 'text', text: 'the tool.' },
        { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Oslo' } },
      ],
      stop_reason: 'tool_use', stop_sequence: null,
      usage: { input_tokens: 100, output_tokens: 20, cache_creation_input_tokens: 50, cache_read_input_tokens: 10 },
    });
    expect(out).toEqual({
      id: 'chatcmpl-01Aq9w938a90dw8q', object: 'chat.completion', created: expect.any(Number), model: 'claude-opus-4-5',
      choices: [{
        index: 0, logprobs: null, finish_reason: 'tool_calls',
        message: {
          role: 'assistant', content: 'Calling the tool.', refusal: null, reasoning_content: 'Hmm.',
          tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        },
      }],
      usage: { prompt_tokens: 160, completion_tokens: 20, total_tokens: 180, prompt_tokens_details: { cached_tokens: 10 } },
    });
  });

  it('gives content null with tool calls only, and the raw text back for __raw_arguments inputs', () => {
    const out = anthropicToOpenAIResponse({
      id: 'msg_2', model: 'c', stop_reason: 'max_tokens',
      content: [{ type: 'tool_use', id: 't', name: 'f', input: { __raw_arguments: '{"a":' } }], usage: { input_tokens: 1, output_tokens: 2 },
    });
    expect(out.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: null, tool_calls: [{ function: { arguments: '{"a":' } }] } });
  });
});
