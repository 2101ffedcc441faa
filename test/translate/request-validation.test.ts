// Malformed client requests: every request translator parses its body first and answers a wrong shape
// with KMX_ERR_BAD_REQUEST (400) whose message names the path, before any translation happens.
import { describe, expect, it } from 'vitest';
import { anthropicToOpenAIRequest, openAIToAnthropicRequest, openAIToGeminiRequest, TranslationError } from '../../src/translate/index.js';

function failure(run: () => unknown): TranslationError {
  try {
    run();
  } catch (e) {
    if (e instanceof TranslationError) return e;
    throw e;
  }
  throw new Error('expected a TranslationError, but the request was translated');
}

const expectBadRequest = (run: () => unknown, message: string | RegExp) => {
  const err = failure(run);
  expect(err).toMatchObject({ code: 'KMX_ERR_BAD_REQUEST', status: 400 });
  expect(err.message).toMatch(message);
};

const ANTHROPIC = { model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };

describe('anthropicToOpenAIRequest rejects malformed requests by path', () => {
  it.each([
    ['a body that is not an object', [], /^request body: expected an object, received an array$/],
    ['messages missing', { model: 'm' }, /^messages: an array is required$/],
    ['a message that is not an object', { messages: ['hi'] }, /^messages\[0\]: expected an object, received 'hi'$/],
    ['an unknown role', { messages: [{ role: 'bot', content: 'x' }] }, /^messages\[0\]\.role: expected one of 'user' \| 'assistant' \| 'system', received 'bot'$/],
    ['content of the wrong type', { messages: [{ role: 'user', content: 42 }] }, /^messages\[0\]\.content: expected a string or an array, received number 42$/],
    ['a block without a type', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }, /^messages\[0\]\.content\[0\]\.type: expected one of 'text' \| 'image'/],
    ['a text block without text', { messages: [{ role: 'user', content: [{ type: 'text' }] }] }, /^messages\[0\]\.content\[0\]\.text: a string is required$/],
    [
      'a block that is null',
      { messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: [null] }] },
      /^messages\[2\]\.content\[0\]: expected an object, received null$/,
    ],
    [
      'a tool_use id that is a number',
      { messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 7, name: 'f', input: {} }] }] },
      /^messages\[0\]\.content\[0\]\.id: expected a string, received number 7$/,
    ],
    [
      'a tool_result block inside a tool_result without text',
      { messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 1 }] }] }] },
      /^messages\[0\]\.content\[0\]\.content\[0\]\.text: expected a string/,
    ],
    [
      'a base64 image source without media_type',
      { messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', data: 'AA' } }] }] },
      /^messages\[0\]\.content\[0\]\.source\.media_type: a string is required$/,
    ],
    ['system blocks with non-string text', { ...ANTHROPIC, system: [{ type: 'text', text: null }] }, /^system\[0\]\.text: expected a string, received null$/],
    ['tools that are not an array', { ...ANTHROPIC, tools: { name: 'f' } }, /^tools: expected an array, received an object$/],
    ['a tool without a name', { ...ANTHROPIC, tools: [{ input_schema: { type: 'object' } }] }, /^tools\[0\]\.name: a string is required$/],
    ['an input_schema that is not an object', { ...ANTHROPIC, tools: [{ name: 'f', input_schema: 'object' }] }, /^tools\[0\]\.input_schema: expected an object/],
    ['an unknown tool_choice', { ...ANTHROPIC, tool_choice: { type: 'maybe' } }, /^tool_choice\.type: expected one of 'auto' \| 'any' \| 'tool' \| 'none', received 'maybe'$/],
    ['a tool_choice tool without a name', { ...ANTHROPIC, tool_choice: { type: 'tool' } }, /^tool_choice\.name: a string is required$/],
    ['max_tokens as a string', { ...ANTHROPIC, max_tokens: '5' }, /^max_tokens: expected a number, received '5'$/],
    ['stop_sequences with a number', { ...ANTHROPIC, stop_sequences: ['a', 2] }, /^stop_sequences\[1\]: expected a string, received number 2$/],
  ])('%s', (_name, body, message) => expectBadRequest(() => anthropicToOpenAIRequest(body), message));

  it('lets unknown fields through, at the top and inside blocks, and refuses unknown block types as untranslatable', () => {
    const { body, warnings } = anthropicToOpenAIRequest({
      ...ANTHROPIC,
      betas: ['x'],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' }, citations: null, future: 1 }] }],
    });
    expect(body.messages).toEqual([{ role: 'user', content: 'hi' }]);
    expect(warnings).toEqual(["dropped unsupported field 'betas'"]);
    const err = failure(() => anthropicToOpenAIRequest({ ...ANTHROPIC, messages: [{ role: 'user', content: [{ type: 'search_result' }] }] }));
    expect(err).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', message: expect.stringContaining("content block 'search_result' in a user turn") });
  });

  it('keeps null as "not set" for optional fields', () => {
    const { body } = anthropicToOpenAIRequest({ ...ANTHROPIC, temperature: null, system: null, tools: null, stop_sequences: null });
    expect(body).toEqual({ model: 'm', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  });
});

const OPENAI = { model: 'gpt', messages: [{ role: 'user', content: 'hi' }] };
const FUNCTION_TOOL = { type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } } };

/** Shapes both OpenAI-client translators parse alike. */
const OPENAI_MALFORMED: Array<[string, unknown, RegExp]> = [
  ['a body that is not an object', 'hello', /^request body: expected an object, received 'hello'$/],
  ['messages of the wrong type', { messages: { role: 'user' } }, /^messages: expected an array, received an object$/],
  ['a message without a role', { messages: [{ content: 'x' }] }, /^messages\[0\]\.role: expected one of 'system' \| 'developer' \| 'user' \| 'assistant' \| 'tool' \| 'function', received nothing$/],
  ['user content of the wrong type', { messages: [{ role: 'user', content: { text: 'x' } }] }, /^messages\[0\]\.content: expected a string or an array, received an object$/],
  ['a content part without a type', { messages: [{ role: 'user', content: [{ text: 'x' }] }] }, /^messages\[0\]\.content\[0\]\.type: expected one of 'text' \| 'image_url' \| 'input_audio' \| 'file', received nothing$/],
  ['a text part with a number', { messages: [{ role: 'user', content: [{ type: 'text', text: 3 }] }] }, /^messages\[0\]\.content\[0\]\.text: expected a string, received number 3$/],
  ['an image_url that is a bare string', { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: 'https://x.test/a.png' }] }] }, /^messages\[0\]\.content\[0\]\.image_url: expected an object, received 'https:/],
  [
    'tool-call arguments as an object',
    { messages: [OPENAI.messages[0], { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: { a: 1 } } }] }] },
    /^messages\[1\]\.tool_calls\[0\]\.function\.arguments: expected a string, received an object$/,
  ],
  ['a tool call without an id', { messages: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f', arguments: '{}' } }] }] }, /^messages\[0\]\.tool_calls\[0\]\.id: a string is required$/],
  ['a tool message without tool_call_id', { messages: [{ role: 'tool', content: 'x' }] }, /^messages\[0\]\.tool_call_id: a string is required$/],
  ['system content of the wrong type', { messages: [{ role: 'system', content: 5 }] }, /^messages\[0\]\.content: expected a string or an array, received number 5$/],
  ['tools that are not an array', { ...OPENAI, tools: FUNCTION_TOOL }, /^tools: expected an array, received an object$/],
  ['a function tool without its function', { ...OPENAI, tools: [{ type: 'function' }] }, /^tools\[0\]\.function: an object is required$/],
  ['a function without a name', { ...OPENAI, tools: [FUNCTION_TOOL, { type: 'function', function: { description: 'd' } }] }, /^tools\[1\]\.function\.name: a string is required$/],
  ['parameters that are not an object', { ...OPENAI, tools: [{ type: 'function', function: { name: 'f', parameters: [] } }] }, /^tools\[0\]\.function\.parameters: expected an object/],
  ['an unknown tool_choice string', { ...OPENAI, tools: [FUNCTION_TOOL], tool_choice: 'always' }, /^tool_choice: expected one of 'none' \| 'auto' \| 'required', received 'always'$/],
  ['a function tool_choice without a name', { ...OPENAI, tools: [FUNCTION_TOOL], tool_choice: { type: 'function', function: {} } }, /^tool_choice\.function\.name: a string is required$/],
  ['stop of the wrong type', { ...OPENAI, stop: 5 }, /^stop: expected a string or an array, received number 5$/],
  ['max_tokens as a string', { ...OPENAI, max_tokens: '100' }, /^max_tokens: expected a number, received '100'$/],
];

describe.each([
  ['openAIToAnthropicRequest', (body: unknown) => openAIToAnthropicRequest(body)],
  ['openAIToGeminiRequest', (body: unknown) => openAIToGeminiRequest(body)],
])('%s rejects malformed requests by path', (_name, translate) => {
  it.each(OPENAI_MALFORMED)('%s', (_case, body, message) => expectBadRequest(() => translate(body), message));

  it('lets unknown fields through and keeps null as "not set"', () => {
    const body = {
      ...OPENAI,
      temperature: null, max_tokens: null, stop: null, tools: null, tool_choice: null, response_format: null,
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Be brief.', cache_control: {} }] },
        { role: 'user', content: [{ type: 'text', text: 'hi', annotations: [] }], name: 'ann' },
        { role: 'assistant', content: null, refusal: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' }, extra: true }] },
        { role: 'tool', tool_call_id: 'c', content: 'ok' },
      ],
    };
    expect(() => translate(body)).not.toThrow();
  });

  it('still refuses unknown part and tool types as untranslatable', () => {
    const part = failure(() => translate({ messages: [{ role: 'user', content: [{ type: 'video_url', video_url: {} }] }] }));
    expect(part).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', message: expect.stringContaining("content part 'video_url'") });
    const tool = failure(() => translate({ ...OPENAI, tools: [{ type: 'custom', custom: { name: 'x' } }] }));
    expect(tool).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', message: expect.stringContaining("tool type 'custom'") });
  });
});
