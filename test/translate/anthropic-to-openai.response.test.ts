import { describe, expect, it } from 'vitest';
import { openAIToAnthropicResponse } from '../../src/translate/index.js';

/** A NIM / DeepSeek-style completion with reasoning_content and two tool calls. */
const COMPLETION = {
  id: 'chatcmpl-a1b2c3',
  object: 'chat.completion',
  created: 1_750_000_000,
  model: 'deepseek-ai/deepseek-r1',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Let me look.',
        reasoning_content: 'Two files to read.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/a.ts"}' } },
          { id: 'call_2', type: 'function', function: { name: 'Read', arguments: '{"file_path":"/b.ts"' } },
        ],
      },
      logprobs: null,
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 1500, completion_tokens: 80, total_tokens: 1580, prompt_tokens_details: { cached_tokens: 1024 } },
};

describe('openAIToAnthropicResponse', () => {
  it('maps reasoning, text, tool calls, stop reason and usage', () => {
    expect(openAIToAnthropicResponse(COMPLETION)).toEqual({
      id: 'msg_a1b2c3',
      type: 'message',
      role: 'assistant',
      model: 'deepseek-ai/deepseek-r1',
      content: [
        { type: 'thinking', thinking: 'Two files to read.', signature: '' },
        { type: 'text', text: 'Let me look.' },
        { type: 'tool_use', id: 'call_1', name: 'Read', input: { file_path: '/a.ts' } },
        // Invalid JSON (here: truncated) is kept, so the client's validation fails visibly and the model sees it.
        { type: 'tool_use', id: 'call_2', name: 'Read', input: { __raw_arguments: '{"file_path":"/b.ts"' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 476, output_tokens: 80, cache_read_input_tokens: 1024, cache_creation_input_tokens: 0 },
    });
  });

  it.each([
    ['stop', {}, 'end_turn', null],
    ['length', {}, 'max_tokens', null],
    ['content_filter', {}, 'refusal', null],
    ['tool_calls', {}, 'tool_use', null],
    ['function_call', {}, 'tool_use', null],
    ['stop', { stop_reason: '###' }, 'stop_sequence', '###'], // vLLM / NVIDIA NIM say which stop matched
    ['stop', { matched_stop: 'END' }, 'stop_sequence', 'END'], // SGLang
  ])('maps finish_reason %s %j', (finish, extra, stopReason, stopSequence) => {
    const body = { ...COMPLETION, choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, finish_reason: finish, ...extra }] };
    expect(openAIToAnthropicResponse(body)).toMatchObject({ stop_reason: stopReason, stop_sequence: stopSequence, content: [{ type: 'text', text: 'x' }] });
  });

  it('maps OpenRouter `reasoning`, refusals, empty arguments and missing ids', () => {
    const msg = openAIToAnthropicResponse({
      id: 'gen-1', model: 'x', choices: [{ index: 0, finish_reason: 'stop', message: {
        role: 'assistant', content: null, reasoning: 'think', refusal: null,
        tool_calls: [{ type: 'function', function: { name: 'now', arguments: '' } }],
      } }],
    }, { model: 'claude-haiku-4-5' });
    expect(msg.model).toBe('claude-haiku-4-5');
    expect(msg.id).toBe('msg_gen-1');
    expect(msg.content[0]).toEqual({ type: 'thinking', thinking: 'think', signature: '' });
    expect(msg.content[1]).toMatchObject({ type: 'tool_use', name: 'now', input: {}, id: expect.stringMatching(/^toolu_/) });
    expect(msg.stop_reason).toBe('tool_use');
    expect(msg.usage).toEqual({ input_tokens: 0, output_tokens: 0, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    const refusal = openAIToAnthropicResponse({ id: 'c', model: 'x', choices: [{ finish_reason: 'stop', message: { role: 'assistant', content: null, refusal: 'No.' } }] });
    expect(refusal).toMatchObject({ content: [{ type: 'text', text: 'No.' }], stop_reason: 'refusal' });
  });

  it('gives an empty message for a completion without choices', () => {
    expect(openAIToAnthropicResponse({ id: 'x', model: 'm', choices: [] })).toMatchObject({ content: [], stop_reason: 'end_turn' });
  });
});
