import { describe, expect, it } from 'vitest';
import { createUsageTracker } from '../../src/providers/index.js';

const chunk = (content: string, finish: string | null = null) => ({
  id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1764072000, model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }], usage: null,
});

describe('OpenAI stream usage', () => {
  it('takes the final choices: [] chunk (include_usage)', () => {
    const t = createUsageTracker('openai');
    for (const c of [chunk(''), chunk('Hel'), chunk('lo'), chunk('', 'stop')]) t.onEvent(c);
    expect(t.usage()).toBeUndefined();
    t.onEvent({ id: 'chatcmpl-123', object: 'chat.completion.chunk', choices: [], usage: {
      prompt_tokens: 9, completion_tokens: 12, total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 },
    } });
    expect(t.usage()).toEqual({ inputTokens: 9, outputTokens: 12, totalTokens: 21, cachedTokens: 0, reasoningTokens: 0 });
    expect(t.error()).toBeUndefined();
  });

  it('an interrupted stream has no usage and no error', () => {
    const t = createUsageTracker('openai');
    t.onEvent(chunk('Hel'));
    t.onEvent(chunk('lo'));
    expect(t.usage()).toBeUndefined();
    expect(t.error()).toBeUndefined();
  });

  it('Groq puts the usage in x_groq', () => {
    const t = createUsageTracker('openai');
    t.onEvent({ ...chunk('', 'stop'), x_groq: { id: 'req_01', usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } } });
    expect(t.usage()).toEqual({ inputTokens: 20, outputTokens: 5, totalTokens: 25 });
  });

  it('Responses API: response.completed', () => {
    const t = createUsageTracker('openai');
    t.onEvent({ type: 'response.created', response: { id: 'resp_1', status: 'in_progress', usage: null } }, 'response.created');
    t.onEvent({ type: 'response.output_text.delta', delta: 'Hi' }, 'response.output_text.delta');
    t.onEvent({ type: 'response.completed', response: { id: 'resp_1', status: 'completed', usage: {
      input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123,
    } } }, 'response.completed');
    expect(t.usage()).toEqual({ inputTokens: 36, outputTokens: 87, cachedTokens: 0, reasoningTokens: 0, totalTokens: 123 });
  });

  it('OpenRouter’s mid-stream error chunk (finish_reason "error")', () => {
    const t = createUsageTracker('openai');
    t.onEvent(chunk('partial'));
    t.onEvent({ id: 'gen-1', object: 'chat.completion.chunk', error: { code: 502, message: 'Provider disconnected' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] });
    expect(t.error()).toEqual({ message: 'Provider disconnected' });
  });
});

describe('Anthropic stream usage', () => {
  const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5',
    stop_reason: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 2 } } };

  it('input from message_start, output from the LAST message_delta (cumulative, not added)', () => {
    const t = createUsageTracker('anthropic');
    t.onEvent(start, 'message_start');
    t.onEvent({ type: 'ping' }, 'ping');
    t.onEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
    t.onEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }, 'content_block_delta');
    t.onEvent({ type: 'ping' }, 'ping');
    t.onEvent({ type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 89 } }, 'message_delta');
    t.onEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: null, output_tokens: 120 } }, 'message_delta');
    t.onEvent({ type: 'message_stop' }, 'message_stop');
    expect(t.usage()).toEqual({ inputTokens: 572, outputTokens: 120, cachedTokens: 100, totalTokens: 692 });
    expect(t.error()).toBeUndefined();
  });

  it('notes event: error (and keeps what it knew)', () => {
    const t = createUsageTracker('anthropic');
    t.onEvent(start, 'message_start');
    t.onEvent({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error');
    expect(t.error()).toEqual({ message: 'Overloaded' });
    expect(t.usage()).toMatchObject({ inputTokens: 572, outputTokens: 2 });
  });

  it('nothing before message_start', () => expect(createUsageTracker('anthropic').usage()).toBeUndefined());
});

describe('Gemini stream usage', () => {
  it('takes usageMetadata from the last chunk', () => {
    const t = createUsageTracker('gemini');
    t.onEvent({ candidates: [{ content: { parts: [{ text: 'Hel' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
    t.onEvent({ candidates: [{ content: { parts: [{ text: 'lo' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 12, thoughtsTokenCount: 30, cachedContentTokenCount: 4, totalTokenCount: 50 } });
    expect(t.usage()).toEqual({ inputTokens: 8, outputTokens: 42, reasoningTokens: 30, cachedTokens: 4, totalTokens: 50 });
  });

  it('accepts a whole JSON-array body and notes an error chunk', () => {
    const t = createUsageTracker('gemini');
    t.onEvent([{ usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } }, { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } }]);
    expect(t.usage()).toEqual({ inputTokens: 3, totalTokens: 3 });
    expect(t.error()).toEqual({ message: 'Internal error' });
  });
});
