import { describe, expect, it } from 'vitest';
import { OpenAIToAnthropicStream } from '../../src/translate/index.js';
import { anthropicFinal, oaChunk, oaUsageChunk } from './helpers.js';

const run = (chunks: unknown[], opts = {}) => {
  const s = new OpenAIToAnthropicStream(opts);
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
};

/** Two parallel tool calls whose arguments arrive in fragments, as OpenAI and vLLM-based NIM stream them. */
const PARALLEL_TOOLS = [
  oaChunk({ role: 'assistant', content: '' }),
  oaChunk({ content: 'Checking both' }),
  oaChunk({ content: ' cities.' }),
  oaChunk({ tool_calls: [{ index: 0, id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  oaChunk({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] }),
  oaChunk({ tool_calls: [{ index: 0, function: { arguments: 'ty": "Par' } }] }),
  oaChunk({ tool_calls: [{ index: 0, function: { arguments: 'is", "unit": "c"}' } }] }),
  oaChunk({ tool_calls: [{ index: 1, id: 'call_tokyo', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  oaChunk({ tool_calls: [{ index: 1, function: { arguments: '{"city": ' } }] }),
  oaChunk({ tool_calls: [{ index: 1, function: { arguments: '"Tokyo"}' } }] }),
  oaChunk({}, 'tool_calls'),
  oaUsageChunk(120, 41, 20),
  '[DONE]',
];

describe('OpenAIToAnthropicStream', () => {
  it('turns parallel fragmented tool calls into the exact Anthropic event sequence', () => {
    const events = run(PARALLEL_TOOLS);
    const d = (index: number, delta: object) => ({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } });
    const stop = (index: number) => ({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
    expect(events).toEqual([
      {
        event: 'message_start',
        data: {
          type: 'message_start',
          message: {
            id: 'msg_9xQ2', type: 'message', role: 'assistant', model: 'meta/llama-3.3-70b-instruct', content: [],
            stop_reason: null, stop_sequence: null,
            usage: { input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
          },
        },
      },
      { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
      d(0, { type: 'text_delta', text: 'Checking both' }),
      d(0, { type: 'text_delta', text: ' cities.' }),
      stop(0),
      { event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_paris', name: 'get_weather', input: {} } } },
      d(1, { type: 'input_json_delta', partial_json: '{"ci' }),
      d(1, { type: 'input_json_delta', partial_json: 'ty": "Par' }),
      d(1, { type: 'input_json_delta', partial_json: 'is", "unit": "c"}' }),
      stop(1),
      { event: 'content_block_start', data: { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_tokyo', name: 'get_weather', input: {} } } },
      d(2, { type: 'input_json_delta', partial_json: '{"city": ' }),
      d(2, { type: 'input_json_delta', partial_json: '"Tokyo"}' }),
      stop(2),
      {
        event: 'message_delta',
        data: {
          type: 'message_delta',
          delta: { stop_reason: 'tool_use', stop_sequence: null },
          usage: { input_tokens: 100, output_tokens: 41, cache_read_input_tokens: 20, cache_creation_input_tokens: 0 },
        },
      },
      { event: 'message_stop', data: { type: 'message_stop' } },
    ]);
    // The fragments of each block concatenate to valid JSON.
    for (const index of [1, 2]) {
      const json = events
        .filter((e) => e.event === 'content_block_delta' && (e.data as { index: number }).index === index)
        .map((e) => (e.data as { delta: { partial_json: string } }).delta.partial_json)
        .join('');
      expect(() => JSON.parse(json)).not.toThrow();
    }
  });

  it('produces a stream the Anthropic SDK assembles into the right message', async () => {
    const msg = await anthropicFinal(run(PARALLEL_TOOLS));
    expect(msg.content).toEqual([
      { type: 'text', text: 'Checking both cities.' },
      { type: 'tool_use', id: 'call_paris', name: 'get_weather', input: { city: 'Paris', unit: 'c' } },
      { type: 'tool_use', id: 'call_tokyo', name: 'get_weather', input: { city: 'Tokyo' } },
    ]);
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage.output_tokens).toBe(41);
  });

  it('streams reasoning_content as a thinking block before the text block', () => {
    const events = run([
      oaChunk({ role: 'assistant', content: null, reasoning_content: '' }),
      oaChunk({ reasoning_content: 'The user wants' }),
      oaChunk({ reasoning_content: ' a greeting.' }),
      oaChunk({ content: 'Hello!' }),
      oaChunk({}, 'stop', { usage: { prompt_tokens: 12, completion_tokens: 9, total_tokens: 21 } }),
    ]);
    expect(events.map((e) => e.event)).toEqual([
      'message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events[1]?.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(events[2]?.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'The user wants' } });
    expect(events[6]?.data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Hello!' } });
    expect(events[8]?.data).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 12, output_tokens: 9 } });
  });

  it('accepts OpenRouter/Groq `reasoning` deltas too', async () => {
    const msg = await anthropicFinal(run([oaChunk({ reasoning: 'hmm' }), oaChunk({ content: 'ok' }), oaChunk({}, 'stop')]));
    expect(msg.content.map((b) => b.type)).toEqual(['thinking', 'text']);
  });

  it.each([
    ['length', undefined, 'max_tokens', null],
    ['content_filter', undefined, 'refusal', null],
    ['stop', 'END', 'stop_sequence', 'END'],
    ['stop', 128009, 'end_turn', null], // vLLM reports a stop *token* id as a number: not a stop sequence
    [null, undefined, 'end_turn', null],
  ])('maps finish_reason %s (stop_reason %s) to %s', (finish, vllmStop, stopReason, stopSequence) => {
    const last = oaChunk({}, finish as string | null);
    if (vllmStop !== undefined) (last.choices[0] as Record<string, unknown>).stop_reason = vllmStop;
    const events = run([oaChunk({ content: 'x' }), last]);
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: stopReason, stop_sequence: stopSequence } });
  });

  it('uses message_start input tokens from a provider that reports usage early, or the estimate given', () => {
    const early = run([oaChunk({ content: 'x' }, null, { usage: { prompt_tokens: 50, completion_tokens: 1, total_tokens: 51 } })]);
    expect(early[0]?.data).toMatchObject({ message: { usage: { input_tokens: 50 } } });
    const estimated = run([oaChunk({ content: 'x' })], { inputTokens: 777, model: 'claude-sonnet-4-5' });
    expect(estimated[0]?.data).toMatchObject({ message: { model: 'claude-sonnet-4-5', usage: { input_tokens: 777 } } });
    expect(estimated.at(-2)?.data).toMatchObject({ usage: { output_tokens: 0 } });
  });

  it('opens a tool block only once the name is known, and handles calls without an index', async () => {
    const events = run([
      oaChunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { arguments: '{"q":' } }] }),
      oaChunk({ tool_calls: [{ index: 0, function: { name: 'search', arguments: '"a"}' } }] }),
      oaChunk({ tool_calls: [{ id: 'call_2', type: 'function', function: { name: 'search', arguments: '{"q":"b"}' } }] }),
      oaChunk({}, 'tool_calls'),
    ]);
    const msg = await anthropicFinal(events);
    expect(msg.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'search', input: { q: 'a' } },
      { type: 'tool_use', id: 'call_2', name: 'search', input: { q: 'b' } },
    ]);
  });

  it('still reports tool_use when the upstream says stop after tool calls', () => {
    const events = run([oaChunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{}' } }] }), oaChunk({}, 'stop')]);
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' } });
  });

  it('gives a complete (empty) message for an empty stream, and end() is idempotent', async () => {
    const s = new OpenAIToAnthropicStream();
    const events = s.end();
    expect(events.map((e) => e.event)).toEqual(['message_start', 'message_delta', 'message_stop']);
    expect(s.end()).toEqual([]);
    expect(s.push(oaChunk({ content: 'late' }))).toEqual([]);
    expect((await anthropicFinal(events)).content).toEqual([]);
  });

  it('emits an error event and no message_stop when the stream breaks', () => {
    const s = new OpenAIToAnthropicStream();
    s.push(oaChunk({ content: 'partial' }));
    expect(s.error('upstream reset', 'overloaded_error')).toEqual([
      { event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'upstream reset' } } },
    ]);
    expect(s.end()).toEqual([]);
  });

  it("turns an OpenRouter in-stream error chunk into Anthropic's error event", () => {
    const s = new OpenAIToAnthropicStream();
    s.push(oaChunk({ content: 'partial' }));
    const out = s.push({ ...oaChunk({}, 'error'), error: { code: 502, message: 'Provider returned error' } });
    expect(out).toEqual([{ event: 'error', data: { type: 'error', error: { type: 'api_error', message: 'Provider returned error' } } }]);
  });

  it('passes a refusal as text with stop_reason refusal', () => {
    const events = run([oaChunk({ refusal: "I can't help with that." }), oaChunk({}, 'stop')]);
    expect(events[2]?.data).toMatchObject({ delta: { type: 'text_delta', text: "I can't help with that." } });
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'refusal' } });
  });

  it('accepts raw JSON strings and ignores [DONE] and garbage', () => {
    const s = new OpenAIToAnthropicStream();
    expect(s.push(JSON.stringify(oaChunk({ content: 'hi' }))).map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta']);
    expect(s.push('[DONE]')).toEqual([]);
    expect(s.push('{not json')).toEqual([]);
  });
});

