import { describe, expect, it } from 'vitest';
import { geminiToOpenAIResponse, GeminiToOpenAIStream } from '../../src/translate/index.js';
import { openAIFinal } from './helpers.js';

const META = { modelVersion: 'gemini-2.5-flash', responseId: 'mFZxaPe2Ls6' };

/** What `:streamGenerateContent?alt=sse` sends with includeThoughts: thought summary, text, then the last chunk with usage. */
const TEXT_STREAM = [
  { candidates: [{ content: { parts: [{ text: 'Comparing temperatures.', thought: true }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 51, totalTokenCount: 51 }, ...META },
  { candidates: [{ content: { parts: [{ text: 'Tokyo is' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 51, totalTokenCount: 51 }, ...META },
  {
    candidates: [{ content: { parts: [{ text: ' warmer.' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 51, candidatesTokenCount: 4, thoughtsTokenCount: 30, totalTokenCount: 85, cachedContentTokenCount: 10 },
    ...META,
  },
];

/** Gemini sends function calls whole; parallel calls come as parts of one chunk. */
const TOOL_STREAM = [
  {
    candidates: [{
      content: { role: 'model', parts: [
        { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'CpcCAdHtim9' },
        { functionCall: { name: 'get_weather', args: { city: 'Tokyo' } } },
      ] },
      finishReason: 'STOP', index: 0,
    }],
    usageMetadata: { promptTokenCount: 70, candidatesTokenCount: 20, totalTokenCount: 90 },
    ...META,
  },
];

const run = (chunks: unknown[], includeUsage = true) => {
  const s = new GeminiToOpenAIStream({ includeUsage });
  return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
};

describe('GeminiToOpenAIStream', () => {
  it('emits role, reasoning, content, finish and usage chunks', () => {
    const chunks = run(TEXT_STREAM);
    expect(chunks.map((c) => ('choices' in c ? c.choices[0] ?? null : c))).toEqual([
      { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null },
      { index: 0, delta: { reasoning_content: 'Comparing temperatures.' }, finish_reason: null, logprobs: null },
      { index: 0, delta: { content: 'Tokyo is' }, finish_reason: null, logprobs: null },
      { index: 0, delta: { content: ' warmer.' }, finish_reason: null, logprobs: null },
      { index: 0, delta: {}, finish_reason: 'stop', logprobs: null },
      null,
    ]);
    expect(chunks[0]).toMatchObject({ id: 'chatcmpl-mFZxaPe2Ls6', model: 'gemini-2.5-flash', object: 'chat.completion.chunk' });
    expect(chunks.at(-1)).toMatchObject({
      choices: [],
      usage: { prompt_tokens: 51, completion_tokens: 34, total_tokens: 85, prompt_tokens_details: { cached_tokens: 10 }, completion_tokens_details: { reasoning_tokens: 30 } },
    });
  });

  it('gives parallel function calls indexes and ids, and finish_reason tool_calls; the OpenAI SDK assembles them', async () => {
    const chunks = run(TOOL_STREAM, false);
    expect(chunks[1]).toMatchObject({ choices: [{ delta: { tool_calls: [
      { index: 0, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { index: 1, id: expect.stringMatching(/^call_/), type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
    ] } }] });
    const completion = await openAIFinal(chunks);
    expect(completion.choices[0]?.finish_reason).toBe('tool_calls');
    expect(completion.choices[0]?.message.tool_calls?.map((t) => (t.type === 'function' ? t.function.arguments : ''))).toEqual(['{"city":"Paris"}', '{"city":"Tokyo"}']);
  });

  it.each([
    ['MAX_TOKENS', 'length'], ['SAFETY', 'content_filter'], ['RECITATION', 'content_filter'], ['PROHIBITED_CONTENT', 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', 'stop'], ['OTHER', 'stop'],
  ])('maps finishReason %s to %s', (reason, finish) => {
    const chunks = run([{ candidates: [{ content: { parts: [{ text: 'x' }], role: 'model' }, finishReason: reason, index: 0 }] }], false);
    expect(chunks.at(-1)).toMatchObject({ choices: [{ finish_reason: finish }] });
  });

  it('reports a blocked prompt as content_filter', () => {
    const chunks = run([{ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } }], false);
    expect(chunks.map((c) => ('choices' in c ? c.choices[0]?.finish_reason : undefined))).toEqual([null, 'content_filter']);
  });

  it('keeps candidates apart (n > 1) and takes the non-SSE array form', () => {
    const chunks = run([[
      { candidates: [{ content: { parts: [{ text: 'A' }] }, index: 0 }, { content: { parts: [{ text: 'B' }] }, index: 1 }] },
      { candidates: [{ content: { parts: [] }, finishReason: 'STOP', index: 0 }, { content: { parts: [] }, finishReason: 'MAX_TOKENS', index: 1 }] },
    ]], false);
    const by = (i: number) => chunks.filter((c) => 'choices' in c && c.choices[0]?.index === i).map((c) => ('choices' in c ? c.choices[0]?.delta.content ?? c.choices[0]?.finish_reason : ''));
    expect(by(0)).toEqual(['', 'A', 'stop']);
    expect(by(1)).toEqual(['', 'B', 'length']);
  });

  it('turns an in-stream Gemini error into an OpenAI error object; a cut stream gets no finish chunk', () => {
    const s = new GeminiToOpenAIStream();
    s.push(TEXT_STREAM[0]);
    expect(s.push({ error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } })).toEqual([
      { error: { message: 'The model is overloaded.', type: 'server_error', param: null, code: 'UNAVAILABLE' } },
    ]);
    expect(run(TEXT_STREAM.slice(0, 2), false).some((c) => 'choices' in c && c.choices[0]?.finish_reason)).toBe(false);
  });
});

describe('geminiToOpenAIResponse', () => {
  it('maps text, thoughts, function calls, finish and usage', () => {
    const out = geminiToOpenAIResponse({
      candidates: [{
        content: { role: 'model', parts: [
          { text: 'Weighing options.', thought: true },
          { text: 'Calling the tool.' },
          { functionCall: { id: 'fc-1', name: 'get_weather', args: { city: 'Oslo' } }, thoughtSignature: 'Cs4B' },
        ] },
        finishReason: 'STOP', index: 0, safetyRatings: [],
      }],
      usageMetadata: { promptTokenCount: 100, candidatesTokenCount: 12, thoughtsTokenCount: 40, totalTokenCount: 152 },
      ...META,
    });
    expect(out).toEqual({
      id: 'chatcmpl-mFZxaPe2Ls6', object: 'chat.completion', created: expect.any(Number), model: 'gemini-2.5-flash',
      choices: [{
        index: 0, logprobs: null, finish_reason: 'tool_calls',
        message: {
          role: 'assistant', content: 'Calling the tool.', refusal: null, reasoning_content: 'Weighing options.',
          tool_calls: [{ id: 'fc-1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }],
        },
      }],
      usage: { prompt_tokens: 100, completion_tokens: 52, total_tokens: 152, completion_tokens_details: { reasoning_tokens: 40 } },
    });
  });

  it('answers a blocked prompt with one content_filter choice', () => {
    const out = geminiToOpenAIResponse({ promptFeedback: { blockReason: 'SAFETY' }, usageMetadata: { promptTokenCount: 5, totalTokenCount: 5 } });
    expect(out.choices).toEqual([{ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'content_filter', logprobs: null }]);
    expect(out.usage).toEqual({ prompt_tokens: 5, completion_tokens: 0, total_tokens: 5 });
  });

  it('maps MAX_TOKENS and several candidates', () => {
    const out = geminiToOpenAIResponse({ candidates: [
      { content: { parts: [{ text: 'a' }] }, finishReason: 'MAX_TOKENS', index: 0 },
      { content: { parts: [{ text: 'b' }] }, finishReason: 'STOP', index: 1 },
    ] });
    expect(out.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([[0, 'a', 'length'], [1, 'b', 'stop']]);
  });
});
