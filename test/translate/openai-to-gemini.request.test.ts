import { describe, expect, it } from 'vitest';
import { openAIToGeminiRequest, toGeminiSchema, TranslationError } from '../../src/translate/index.js';
import { PNG_B64 } from './helpers.js';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: ['string', 'null'], enum: ['c', 'f', null] } },
      required: ['city', 'unit'],
      additionalProperties: false,
    },
    strict: true,
  },
};

const AGENT = {
  model: 'gemini-2.5-flash',
  messages: [
    { role: 'system', content: 'You are a weather bot.' },
    { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Tokyo? And this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } }] },
    { role: 'assistant', content: 'Checking.', tool_calls: [
      { id: 'call_p', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"c"}' } },
      { id: 'call_t', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Tokyo","unit":null}' } },
    ] },
    { role: 'tool', tool_call_id: 'call_p', content: '{"temp":18,"sky":"cloudy"}' },
    { role: 'tool', tool_call_id: 'call_t', content: '25°C, sunny' },
    { role: 'user', content: 'Which is warmer?' },
  ],
  tools: [WEATHER_TOOL],
  tool_choice: 'auto',
  max_tokens: 800,
  temperature: 0.4,
  top_p: 0.95,
  stop: ['END'],
  seed: 3,
  stream: true,
  stream_options: { include_usage: true },
};

describe('openAIToGeminiRequest', () => {
  it('translates an agent loop: systemInstruction, model turns, functionCall/functionResponse by name', () => {
    const { body, warnings } = openAIToGeminiRequest(AGENT);
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'You are a weather bot.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Weather in Paris and Tokyo? And this?' }, { inlineData: { mimeType: 'image/png', data: PNG_B64 } }] },
        { role: 'model', parts: [
          { text: 'Checking.' },
          { functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'c' } }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { name: 'get_weather', args: { city: 'Tokyo', unit: null } } },
        ] },
        { role: 'user', parts: [
          { functionResponse: { name: 'get_weather', response: { temp: 18, sky: 'cloudy' } } },
          { functionResponse: { name: 'get_weather', response: { result: '25°C, sunny' } } },
          { text: 'Which is warmer?' },
        ] },
      ],
      tools: [{ functionDeclarations: [{
        name: 'get_weather',
        description: 'Current weather',
        parameters: {
          type: 'OBJECT',
          properties: { city: { type: 'STRING' }, unit: { type: 'STRING', nullable: true, format: 'enum', enum: ['c', 'f'] } },
          required: ['city', 'unit'],
        },
      }] }],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
      generationConfig: { maxOutputTokens: 800, temperature: 0.4, topP: 0.95, stopSequences: ['END'], seed: 3 },
    });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
    [{ type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'get_weather' } }] } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('maps tool_choice %j', (choice, config) => {
    expect(openAIToGeminiRequest({ ...AGENT, tool_choice: choice }).body.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('declares an argument-less function without parameters (Gemini rejects an empty OBJECT)', () => {
    const { body } = openAIToGeminiRequest({ ...AGENT, tools: [{ type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } }] });
    expect(body.tools).toEqual([{ functionDeclarations: [{ name: 'now' }] }]);
  });

  it('maps response_format, reasoning_effort, n, penalties; warns for the rest', () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    const { body, warnings } = openAIToGeminiRequest({
      model: 'g', messages: [{ role: 'user', content: 'hi' }],
      response_format: { type: 'json_schema', json_schema: { name: 'a', schema, strict: true } },
      reasoning_effort: 'high', n: 2, presence_penalty: 0.5, frequency_penalty: 0, max_completion_tokens: 99,
      logit_bias: { 50256: -100 }, parallel_tool_calls: false, logprobs: true,
    });
    expect(body.generationConfig).toEqual({
      maxOutputTokens: 99, candidateCount: 2, presencePenalty: 0.5, responseMimeType: 'application/json',
      responseSchema: { type: 'OBJECT', properties: { answer: { type: 'STRING' } }, required: ['answer'] },
      thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
    });
    expect(warnings).toEqual([
      "dropped 'logit_bias': no Gemini equivalent",
      "dropped 'logprobs': not translated from Gemini",
      "dropped 'parallel_tool_calls: false': Gemini cannot limit a turn to one call",
    ]);
    expect(openAIToGeminiRequest({ model: 'g', messages: [], response_format: { type: 'json_object' }, reasoning_effort: 'none' }).body.generationConfig)
      .toEqual({ responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 } });
  });

  it('maps http images to fileData, audio and files to inlineData', () => {
    const { body } = openAIToGeminiRequest({ model: 'g', messages: [{ role: 'user', content: [
      { type: 'image_url', image_url: { url: 'https://example.com/cat.webp?x=1' } },
      { type: 'input_audio', input_audio: { data: 'AAA=', format: 'mp3' } },
      { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
    ] }] });
    expect(body.contents[0]?.parts).toEqual([
      { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/cat.webp?x=1' } },
      { inlineData: { mimeType: 'audio/mpeg', data: 'AAA=' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it.each([
    [{ messages: [{ role: 'tool', tool_call_id: 'nope', content: 'x' }] }, 'KMX_ERR_BAD_REQUEST', 'nope'],
    [{ functions: [{ name: 'f' }] }, 'KMX_ERR_UNTRANSLATABLE', 'legacy functions'],
    [{ modalities: ['audio'] }, 'KMX_ERR_UNTRANSLATABLE', 'audio output'],
    [{ web_search_options: {} }, 'KMX_ERR_UNTRANSLATABLE', 'web_search_options'],
    [{ messages: [{ role: 'user', content: [{ type: 'file', file: { file_id: 'file-1' } }] }] }, 'KMX_ERR_UNTRANSLATABLE', 'file_id'],
  ])('refuses %j', (patch, code, text) => {
    let err: unknown;
    try {
      openAIToGeminiRequest({ model: 'g', messages: [{ role: 'user', content: 'hi' }], ...patch });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TranslationError);
    expect(err).toMatchObject({ code, status: 400, message: expect.stringContaining(text) });
  });
});

describe('toGeminiSchema', () => {
  it('inlines $refs, merges allOf, turns oneOf/const/null unions into Gemini forms, drops what Gemini refuses', () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      $defs: { Point: { type: 'object', properties: { x: { type: 'number', format: 'double' }, y: { type: 'number', format: 'weird' } }, required: ['x', 'y'] } },
      properties: {
        at: { $ref: '#/$defs/Point', description: 'where' },
        shape: { oneOf: [{ type: 'string', const: 'circle' }, { type: 'integer', minimum: 3 }] },
        tags: { type: 'array', items: { type: 'string', format: 'uri' }, minItems: 1 },
        note: { anyOf: [{ type: 'string', maxLength: 40 }, { type: 'null' }] },
        level: { type: 'integer', enum: [1, 2, 3] },
        both: { allOf: [{ properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'boolean' } } }] },
      },
      required: ['at', 'ghost'],
      additionalProperties: false,
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'OBJECT',
      properties: {
        at: { type: 'OBJECT', description: 'where', properties: { x: { type: 'NUMBER', format: 'double' }, y: { type: 'NUMBER' } }, required: ['x', 'y'] },
        shape: { anyOf: [{ type: 'STRING', enum: ['circle'], format: 'enum' }, { type: 'INTEGER', minimum: 3 }] },
        tags: { type: 'ARRAY', items: { type: 'STRING' }, minItems: 1 },
        note: { type: 'STRING', maxLength: 40, nullable: true },
        level: { type: 'INTEGER' },
        both: { type: 'OBJECT', properties: { a: { type: 'STRING' }, b: { type: 'BOOLEAN' } }, required: ['a'] },
      },
      required: ['at'],
    });
  });

  it('cuts recursive $refs', () => {
    const tree = { $defs: { Node: { type: 'object', properties: { child: { $ref: '#/$defs/Node' } } } }, $ref: '#/$defs/Node' };
    let depth = 0;
    let node: Record<string, unknown> | undefined = toGeminiSchema(tree);
    while (node && (node.properties as Record<string, Record<string, unknown>> | undefined)?.child) {
      node = (node.properties as Record<string, Record<string, unknown>>).child;
      depth++;
    }
    expect(depth).toBe(12);
    expect(node).toEqual({ type: 'OBJECT' });
  });
});
