// The three pairs the hub added (#15): Anthropic → Gemini, Gemini → OpenAI, Gemini → Anthropic — requests,
// responses, streams and refusals, with Gemini's schema subset and its functionCall/functionResponse pairing.
import { describe, expect, it } from 'vitest';
import { translatorFor, TranslationError, type Translator } from '../../src/translate/index.js';
import { PNG_B64 } from './helpers.js';

const tr = (client: 'anthropic' | 'gemini', upstream: 'openai' | 'anthropic' | 'gemini', o = {}): Translator => {
  const t = translatorFor(client, upstream, o);
  if (!t) throw new Error(`${client}->${upstream} is not translated`);
  return t;
};

const refusal = (f: () => unknown): TranslationError => {
  try {
    f();
  } catch (e) {
    if (e instanceof TranslationError) return e;
    throw e;
  }
  throw new Error('expected a TranslationError');
};

const weather = { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string', format: 'hostname' } }, required: ['city'], examples: [{}] } };

describe('anthropic → gemini request', () => {
  it('maps system, thinking, top_k, tools with their dropped schema keywords, tool_choice and parallel results in call order', () => {
    const { body, warnings } = tr('anthropic', 'gemini').request({
      model: 'claude', max_tokens: 2000, system: [{ type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } }], top_k: 5,
      thinking: { type: 'enabled', budget_tokens: 1500 }, tools: [weather], tool_choice: { type: 'any', disable_parallel_tool_use: true },
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Paris and Rome?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] },
        { role: 'assistant', content: [
          { type: 'thinking', thinking: 'two calls', signature: 'sig-anthropic' },
          { type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 't2', name: 'get_weather', input: { city: 'Rome' } },
        ] },
        { role: 'user', content: [
          { type: 'tool_result', tool_use_id: 't2', content: '{"temp":20}' },
          { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'sunny' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_B64 } }] },
        ] },
      ],
    }, { model: 'gemini-2.5-flash' });
    expect(body).toEqual({
      systemInstruction: { parts: [{ text: 'Be brief.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Paris and Rome?' }, { inlineData: { mimeType: 'image/png', data: PNG_B64 } }] },
        // Anthropic's thinking means nothing to Gemini; the first call carries Google's placeholder signature.
        { role: 'model', parts: [
          { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' },
          { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
        ] },
        { role: 'user', parts: [
          { functionResponse: { name: 'get_weather', response: { result: 'sunny' } } },
          { functionResponse: { name: 'get_weather', response: { temp: 20 } } },
          { text: '[content returned by tool call t1]' },
          { inlineData: { mimeType: 'image/png', data: PNG_B64 } },
        ] },
      ],
      tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING' } }, required: ['city'] } }] }],
      toolConfig: { functionCallingConfig: { mode: 'ANY' } },
      generationConfig: { maxOutputTokens: 2000, topK: 5, thinkingConfig: { thinkingBudget: 1500, includeThoughts: true } },
    });
    expect(warnings).toEqual([
      "dropped 'parallel_tool_calls: false': Gemini cannot limit a turn to one call",
      "tool 'get_weather' parameters: dropped examples, format 'hostname' (Gemini's schema subset)",
    ]);
  });

  it('refuses what Gemini cannot take, by name', () => {
    const t = tr('anthropic', 'gemini');
    const base = { model: 'c', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] };
    expect(refusal(() => t.request({ ...base, tools: [{ type: 'web_search_20250305', name: 'web_search' }] }, { model: 'g' })).message)
      .toContain("Anthropic-defined tool 'web_search_20250305'");
    const r = refusal(() => t.request({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'nope', content: 'x' }] }] }, { model: 'g' }));
    expect(r.code).toBe('KMX_ERR_BAD_REQUEST');
  });
});

describe('gemini → anthropic / openai requests', () => {
  const history = {
    systemInstruction: { parts: [{ text: 'Be brief.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'Weather in Paris and Rome?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_weather', args: { city: 'Rome' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }, { functionResponse: { name: 'get_weather', response: { temp: 20 } } }] },
    ],
    tools: [{ functionDeclarations: [{ name: 'get_weather', parameters: { type: 'OBJECT', properties: { city: { type: 'STRING', nullable: true } }, required: ['city'] } }] }],
    toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } },
    generationConfig: { maxOutputTokens: 300, topK: 3, stopSequences: ['END'], candidateCount: 2, responseMimeType: 'application/json', responseSchema: { type: 'OBJECT', properties: { a: { type: 'INTEGER' } } } },
  };

  it('to OpenAI: id-less calls get ids, each response tied to the oldest open call of its name; schemas become JSON Schema', () => {
    const { body, warnings } = tr('gemini', 'openai').request(history, { model: 'meta/llama', stream: true });
    const b = body as Record<string, any>;
    const [c1, c2] = b.messages[2].tool_calls;
    expect(b.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather in Paris and Rome?' },
      { role: 'assistant', content: null, tool_calls: [c1, c2] },
      { role: 'tool', tool_call_id: c1.id, content: 'sunny' },
      { role: 'tool', tool_call_id: c2.id, content: '{"temp":20}' },
    ]);
    expect(c1.id).not.toBe(c2.id);
    expect(b).toMatchObject({
      model: 'meta/llama', max_tokens: 300, stop: ['END'], n: 2, stream: true, stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: ['string', 'null'] } }, required: ['city'] } } }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      response_format: { type: 'json_schema', json_schema: { schema: { type: 'object', properties: { a: { type: 'integer' } } } } },
    });
    expect(warnings).toEqual(["dropped 'top_k': no OpenAI equivalent"]);
  });

  it('to Anthropic: tool_use/tool_result pairs, max_tokens, top_k; candidateCount > 1 is refused by name', () => {
    const t = tr('gemini', 'anthropic');
    expect(refusal(() => t.request(history, { model: 'claude' })).message).toContain('n > 1');
    const { body } = t.request({ ...history, generationConfig: { maxOutputTokens: 300, topK: 3 } }, { model: 'claude' });
    const b = body as Record<string, any>;
    const uses = b.messages[1].content;
    expect(b).toMatchObject({ model: 'claude', max_tokens: 300, top_k: 3, system: 'Be brief.', tool_choice: { type: 'tool', name: 'get_weather' } });
    expect(b.messages[2].content).toEqual([
      { type: 'tool_result', tool_use_id: uses[0].id, content: 'sunny' },
      { type: 'tool_result', tool_use_id: uses[1].id, content: '{"temp":20}' },
    ]);
  });

  it('refuses Gemini-only features by name, and a functionResponse that answers no call', () => {
    const t = tr('gemini', 'openai');
    const hi = [{ role: 'user', parts: [{ text: 'hi' }] }];
    expect(refusal(() => t.request({ contents: hi, tools: [{ googleSearch: {} }] }, { model: 'm' })).message).toContain("Gemini tool 'googleSearch'");
    expect(refusal(() => t.request({ contents: hi, cachedContent: 'cachedContents/1' }, { model: 'm' })).feature).toContain('cachedContent');
    expect(refusal(() => t.request({ contents: hi, generationConfig: { responseModalities: ['IMAGE'] } }, { model: 'm' })).code).toBe('KMX_ERR_UNTRANSLATABLE');
    const file = { contents: [{ role: 'user', parts: [{ fileData: { mimeType: 'application/pdf', fileUri: 'https://generativelanguage.googleapis.com/v1beta/files/abc' } }] }] };
    expect(refusal(() => t.request(file, { model: 'm' })).message).toContain('Gemini Files API');
    const orphan = refusal(() => t.request({ contents: [{ role: 'user', parts: [{ functionResponse: { name: 'f', response: {} } }] }] }, { model: 'm' }));
    expect(orphan.message).toContain("contents[0].parts[0].functionResponse 'f' answers no earlier functionCall");
  });
});

describe('responses and streams to Gemini clients', () => {
  it('an Anthropic answer with signed thinking comes back as a thought part; sent back, it is Anthropic thinking again', () => {
    const t = tr('gemini', 'anthropic');
    const res = t.response({
      id: 'msg_1', type: 'message', role: 'assistant', model: 'claude', stop_reason: 'tool_use', stop_sequence: null,
      content: [{ type: 'thinking', thinking: 'plan', signature: 'SIG' }, { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } }],
      usage: { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 4, cache_creation_input_tokens: 0 },
    }, { model: 'anthropic/claude' }) as Record<string, any>;
    expect(res).toEqual({
      candidates: [{ content: { role: 'model', parts: [
        { text: 'plan', thought: true, thoughtSignature: 'kmx-anthropic:SIG' },
        { functionCall: { id: 'toolu_1', name: 'f', args: { a: 1 } } },
      ] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 14, candidatesTokenCount: 5, cachedContentTokenCount: 4, totalTokenCount: 19 },
      modelVersion: 'anthropic/claude',
      responseId: 'msg_1',
    });
    const { body } = t.request({
      contents: [{ role: 'user', parts: [{ text: 'go' }] }, res.candidates[0].content, { role: 'user', parts: [{ functionResponse: { id: 'toolu_1', name: 'f', response: { ok: true } } }] }],
      generationConfig: { thinkingConfig: { thinkingBudget: 2048 } },
    }, { model: 'claude' });
    expect((body as Record<string, any>).messages[1].content).toEqual([
      { type: 'thinking', thinking: 'plan', signature: 'SIG' },
      { type: 'tool_use', id: 'toolu_1', name: 'f', input: { a: 1 } },
    ]);
  });

  it('an OpenAI stream of fragmented tool calls becomes whole functionCalls, then finishReason and usage', () => {
    const s = tr('gemini', 'openai').stream({ model: 'nim/llama' });
    const chunk = (delta: object, finish: string | null = null, usage?: object) => ({ id: 'c1', model: 'llama', choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) });
    const items = [
      ...s.push(undefined, chunk({ role: 'assistant', content: 'Checking.' })),
      ...s.push(undefined, chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '{"x":' } }] })),
      ...s.push(undefined, chunk({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] })),
      ...s.push(undefined, chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] }, 'tool_calls')),
      ...s.push(undefined, chunk({}, null, { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 })),
      ...s.end(),
    ].map((i) => i.data as Record<string, any>);
    expect(items.map((i) => i.candidates[0])).toEqual([
      { content: { role: 'model', parts: [{ text: 'Checking.' }] }, index: 0 },
      { content: { role: 'model', parts: [{ functionCall: { id: 'call_a', name: 'f', args: { x: 1 } } }] }, index: 0 },
      { content: { role: 'model', parts: [{ functionCall: { id: 'call_b', name: 'g', args: {} } }] }, index: 0 },
      { content: { role: 'model', parts: [{ text: '' }] }, finishReason: 'STOP', index: 0 },
    ]);
    expect(items.at(-1)).toMatchObject({ usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 }, modelVersion: 'nim/llama', responseId: 'c1' });
  });

  it('an Anthropic stream error mid-way becomes a Gemini error chunk, and nothing follows it', () => {
    const s = tr('gemini', 'anthropic').stream();
    s.push('message_start', { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { input_tokens: 3, output_tokens: 0 } } });
    expect(s.push('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })).toEqual([
      { data: { error: { code: 529, message: 'Overloaded', status: 'UNAVAILABLE' } } },
    ]);
    expect(s.end()).toEqual([]);
  });
});

describe('Gemini thought signatures through an Anthropic client', () => {
  it('ride in the thinking block signature and go back to Gemini as they came', () => {
    const t = tr('anthropic', 'gemini');
    const msg = t.response({
      candidates: [{ content: { role: 'model', parts: [{ text: 'plan', thought: true, thoughtSignature: 'G1' }, { text: 'Done.' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 2, thoughtsTokenCount: 1 },
    }) as Record<string, any>;
    expect(msg.content).toEqual([{ type: 'thinking', thinking: 'plan', signature: 'kmx-gemini:G1' }, { type: 'text', text: 'Done.' }]);
    expect(msg.usage).toMatchObject({ input_tokens: 3, output_tokens: 3 });
    const { body } = t.request({ model: 'c', max_tokens: 50, messages: [{ role: 'user', content: 'go' }, { role: 'assistant', content: msg.content }, { role: 'user', content: 'more' }] }, { model: 'g' });
    expect((body as Record<string, any>).contents[1]).toEqual({ role: 'model', parts: [{ text: 'plan', thought: true, thoughtSignature: 'G1' }, { text: 'Done.' }] });
  });
});

describe('streams from Gemini to Anthropic clients', () => {
  it('thoughts, text and a whole function call become sequential blocks with input_json_delta', () => {
    const s = tr('anthropic', 'gemini').stream({ model: 'gemini/flash' });
    const events = [
      ...s.push(undefined, { candidates: [{ content: { role: 'model', parts: [{ text: 'Hmm.', thought: true }] }, index: 0 }], usageMetadata: { promptTokenCount: 7 }, responseId: 'r1' }),
      ...s.push(undefined, { candidates: [{ content: { role: 'model', parts: [{ text: 'Calling.' }, { functionCall: { name: 'f', args: { a: 1 } }, thoughtSignature: 'gsig' }] }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 5, thoughtsTokenCount: 2 } }),
      ...s.end(),
    ];
    expect(events.map((e) => (e.event === 'content_block_start' ? `start:${(e.data as any).content_block.type}` : e.event === 'content_block_delta' ? `delta:${(e.data as any).delta.type}` : e.event))).toEqual([
      'message_start', 'start:thinking', 'delta:thinking_delta', 'content_block_stop', 'start:text', 'delta:text_delta', 'content_block_stop',
      'start:tool_use', 'delta:input_json_delta', 'content_block_stop', 'message_delta', 'message_stop',
    ]);
    expect(events.at(-2)?.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { input_tokens: 7, output_tokens: 7 } });
  });
});
