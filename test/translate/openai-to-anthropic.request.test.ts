import { describe, expect, it } from 'vitest';
import { openAIToAnthropicRequest, TranslationError } from '../../src/translate/index.js';
import { PNG_B64 } from './helpers.js';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
    strict: true,
  },
};

/** An OpenAI-SDK agent loop: developer prompt, image, two parallel calls answered, a follow-up question. */
const AGENT = {
  model: 'gpt-4o',
  messages: [
    { role: 'developer', content: 'You are a weather bot.' },
    { role: 'user', content: [
      { type: 'text', text: 'Weather in Paris and Tokyo? Also, what is this?' },
      { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}`, detail: 'low' } },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
    ] },
    { role: 'assistant', content: null, tool_calls: [
      { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_t', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo"}' } },
    ] },
    { role: 'tool', tool_call_id: 'call_p', content: '18°C, cloudy' },
    { role: 'tool', tool_call_id: 'call_t', content: [{ type: 'text', text: '25°C, sunny' }] },
    { role: 'user', content: 'Which is warmer?' },
  ],
  tools: [WEATHER_TOOL],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  max_completion_tokens: 1000,
  temperature: 0.2,
  top_p: 1,
  stop: 'END',
  stream: true,
  stream_options: { include_usage: true },
  user: 'user-42',
};

describe('openAIToAnthropicRequest', () => {
  it('translates an agent loop with merged tool results', () => {
    const { body, warnings } = openAIToAnthropicRequest(AGENT, { model: 'claude-sonnet-4-5' });
    expect(body).toEqual({
      model: 'claude-sonnet-4-5',
      max_tokens: 1000,
      system: 'You are a weather bot.',
      temperature: 0.2,
      stop_sequences: ['END'],
      stream: true,
      metadata: { user_id: 'user-42' },
      messages: [
        { role: 'user', content: [
          { type: 'text', text: 'Weather in Paris and Tokyo? Also, what is this?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } },
          { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
        ] },
        { role: 'assistant', content: [
          { type: 'tool_use', id: 'call_p', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_t', name: 'get_weather', input: { city: 'Tokyo' } },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 'call_p', content: '18°C, cloudy' },
          { type: 'tool_result', tool_use_id: 'call_t', content: '25°C, sunny' },
          { type: 'text', text: 'Which is warmer?' },
        ] },
      ],
      tools: [{ name: 'get_weather', description: 'Current weather', input_schema: WEATHER_TOOL.function.parameters, strict: true }],
      tool_choice: { type: 'auto' },
    });
    expect(warnings).toEqual([]);
  });

  it('defaults max_tokens to 4096 (configurable), prefers max_completion_tokens, clamps temperature', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect(openAIToAnthropicRequest(base).body.max_tokens).toBe(4096);
    expect(openAIToAnthropicRequest(base, { defaultMaxTokens: 1234 }).body.max_tokens).toBe(1234);
    expect(openAIToAnthropicRequest({ ...base, max_tokens: 50, max_completion_tokens: 70 }).body.max_tokens).toBe(70);
    const hot = openAIToAnthropicRequest({ ...base, temperature: 1.6, top_p: 0.8 });
    expect(hot.body).toMatchObject({ temperature: 1, top_p: 0.8 });
    expect(hot.warnings).toEqual(['temperature 1.6 clamped to 1 (Anthropic\'s maximum)']);
  });

  it.each([
    ['none', { type: 'none' }],
    ['required', { type: 'any' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { type: 'tool', name: 'get_weather' }],
  ])('maps tool_choice %j', (choice, expected) => {
    expect(openAIToAnthropicRequest({ ...AGENT, tool_choice: choice }).body.tool_choice).toEqual(expected);
  });

  it('maps parallel_tool_calls: false and allowed_tools', () => {
    expect(openAIToAnthropicRequest({ ...AGENT, tool_choice: undefined, parallel_tool_calls: false }).body.tool_choice)
      .toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(openAIToAnthropicRequest({ ...AGENT, tool_choice: 'required', parallel_tool_calls: false }).body.tool_choice)
      .toEqual({ type: 'any', disable_parallel_tool_use: true });
    const other = { type: 'function', function: { name: 'other', parameters: {} } };
    const { body } = openAIToAnthropicRequest({
      ...AGENT, tools: [WEATHER_TOOL, other],
      tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'other' } }] } },
    });
    expect(body.tools).toEqual([{ name: 'other', input_schema: { type: 'object', properties: {} } }]);
    expect(body.tool_choice).toEqual({ type: 'any' });
  });

  it('maps reasoning_effort to a thinking budget inside max_tokens, dropping sampling Anthropic refuses with thinking', () => {
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    expect(openAIToAnthropicRequest({ ...base, reasoning_effort: 'medium' }).body).toMatchObject({ max_tokens: 8192 + 4096, thinking: { type: 'enabled', budget_tokens: 8192 } });
    const tight = openAIToAnthropicRequest({ ...base, reasoning_effort: 'high', max_completion_tokens: 5000, temperature: 0.3, top_p: 0.5 });
    expect(tight.body).toMatchObject({ max_tokens: 5000, thinking: { budget_tokens: 4999 } });
    expect(tight.body.temperature).toBeUndefined();
    expect(tight.body.top_p).toBeUndefined();
    expect(tight.warnings).toHaveLength(2);
    expect(openAIToAnthropicRequest({ ...base, reasoning_effort: 'minimal' }).body.thinking).toBeUndefined();
    const tiny = openAIToAnthropicRequest({ ...base, reasoning_effort: 'low', max_tokens: 800 });
    expect(tiny.body.thinking).toBeUndefined();
    expect(tiny.warnings[0]).toMatch(/no room/);
    const forced = openAIToAnthropicRequest({ ...AGENT, reasoning_effort: 'low', tool_choice: 'required' });
    expect(forced.body.thinking).toBeUndefined();
    expect(forced.warnings[0]).toMatch(/forces a tool/);
  });

  it('maps response_format json_schema to output_config.format and drops json_object with a warning', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const base = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
    const js = openAIToAnthropicRequest({ ...base, response_format: { type: 'json_schema', json_schema: { name: 'a', schema, strict: true } } });
    expect(js.body.output_config).toEqual({ format: { type: 'json_schema', schema } });
    const jo = openAIToAnthropicRequest({ ...base, response_format: { type: 'json_object' } });
    expect(jo.body.output_config).toBeUndefined();
    expect(jo.warnings).toEqual(["dropped response_format 'json_object': Anthropic has no JSON mode without a schema"]);
  });

  it('collects system messages, merges same-role turns, trims a prefill and maps files', () => {
    const { body, warnings } = openAIToAnthropicRequest({
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'Rule 1.' }] },
        { role: 'user', content: 'a' },
        { role: 'user', content: [{ type: 'file', file: { filename: 'spec.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } }] },
        { role: 'system', content: 'Rule 2.' },
        { role: 'assistant', content: 'Sure: ' },
      ],
      seed: 7, frequency_penalty: 0.5, presence_penalty: 0, logit_bias: {}, store: true,
    });
    expect(body.system).toBe('Rule 1.\n\nRule 2.');
    expect(body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'document', title: 'spec.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Sure:' }] },
    ]);
    expect(warnings).toEqual([
      "dropped 'frequency_penalty': no Anthropic equivalent",
      "dropped 'seed': no Anthropic equivalent",
      'system messages after the conversation start were moved into the top-level system prompt',
      'the last message is from the assistant: Anthropic continues it (prefill) instead of answering anew',
    ]);
  });

  it('keeps invalid tool-call JSON in __raw_arguments rather than failing the conversation', () => {
    const { body } = openAIToAnthropicRequest({ model: 'm', messages: [
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{oops' } }] },
      { role: 'tool', tool_call_id: 'c', content: 'bad input' },
    ] });
    expect(body.messages[0]?.content).toEqual([{ type: 'tool_use', id: 'c', name: 'f', input: { __raw_arguments: '{oops' } }]);
  });

  it.each([
    [{ n: 2 }, 'n > 1'],
    [{ functions: [{ name: 'f' }] }, 'legacy functions'],
    [{ modalities: ['text', 'audio'], audio: { voice: 'alloy', format: 'mp3' } }, 'audio output'],
    [{ web_search_options: {} }, 'web_search_options'],
    [{ tools: [{ type: 'custom', custom: { name: 'x' } }] }, "tool type 'custom'"],
    [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AA', format: 'wav' } }] }] }, 'audio input'],
    [{ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/tiff;base64,AA' } }] }] }, "image type 'image/tiff'"],
    [{ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, 'file_id'],
    [{ messages: [{ role: 'function', name: 'f', content: 'x' }] }, "legacy 'function' role"],
  ])('refuses %j with KMX_ERR_UNTRANSLATABLE', (patch, feature) => {
    const req = { model: 'm', messages: [{ role: 'user', content: 'hi' }], ...patch };
    let err: unknown;
    try {
      openAIToAnthropicRequest(req);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect(err).toMatchObject({ code: 'KMX_ERR_UNTRANSLATABLE', status: 400, message: expect.stringContaining(feature) });
  });
});
