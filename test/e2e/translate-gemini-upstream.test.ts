// The official @anthropic-ai/sdk talks to keymux, whose pool is Gemini keys (simulated): Messages ⇄ generateContent
// through the hub, streams and a tool round trip included (#15).
import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicClient, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'AIza-one': {}, 'AIza-two': {} },
    env: (sim) => ({ GEMINI_API_KEYS: 'AIza-one,AIza-two', GEMINI_BASE_URL: sim }),
  });
  client = anthropicClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

const geminiBody = (i = 0): Record<string, any> => upstream(stack.sim, ':')[i]?.body as Record<string, any>;

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: {
    type: 'object',
    additionalProperties: { type: 'string' },
    properties: { city: { type: 'string' }, when: { type: 'string', format: 'date' } },
    required: ['city'],
  },
};

describe('@anthropic-ai/sdk → keymux → Gemini', () => {
  it('messages.create: text, end_turn, usage; upstream got generateContent with systemInstruction and maxOutputTokens', async () => {
    const m = await client.messages.create({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 256,
      system: 'You are terse.',
      stop_sequences: ['THE END'],
      messages: [{ role: 'user', content: 'hello gemini' }],
    });
    expect(m.id).toMatch(/^msg_/);
    expect(m.model).toBe('gemini/gemini-2.5-flash');
    expect(m.content).toEqual([{ type: 'text', text: 'echo: hello gemini' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const [r] = upstream(stack.sim, ':generateContent');
    expect(r?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(r?.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hello gemini' }] }],
      systemInstruction: { parts: [{ text: 'You are terse.' }] },
      generationConfig: { maxOutputTokens: 256, stopSequences: ['THE END'] },
    });
  });

  it('messages.stream(): the Anthropic event sequence, the text, the final usage and stop_reason', async () => {
    const s = client.messages.stream({ model: 'gemini/gemini-2.5-flash', max_tokens: 256, messages: [{ role: 'user', content: 'stream these words now' }] });
    const events: string[] = [];
    s.on('streamEvent', (e) => events.push(e.type === 'content_block_delta' ? `delta:${e.delta.type}` : e.type));
    let text = '';
    s.on('text', (t) => (text += t));
    const final = await s.finalMessage();
    expect(text).toBe('echo: stream these words now');
    expect(final.content).toEqual([{ type: 'text', text }]);
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    expect(events[0]).toBe('message_start');
    expect(events.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(upstream(stack.sim, ':streamGenerateContent')[0]?.path).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent');
  });

  it('a tool round trip: tool_use from a functionCall, the tool_result back as a functionResponse by name', async () => {
    const first = await client.messages.create({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 256,
      tools: [weather],
      tool_choice: { type: 'tool', name: 'get_weather' },
      messages: [{ role: 'user', content: 'please use tool get_weather for Paris' }],
    });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(use?.name).toBe('get_weather');
    expect(use?.input).toMatchObject({ city: expect.any(String) });
    const sent = geminiBody(0);
    expect(sent.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    // Gemini's schema subset: extra properties' schema and the date format are dropped, and the client is told.
    expect(sent.tools[0].functionDeclarations[0].parameters).toEqual({
      type: 'OBJECT',
      properties: { city: { type: 'STRING' }, when: { type: 'STRING' } },
      required: ['city'],
    });

    const second = await client.messages.create({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 256,
      tools: [weather],
      messages: [
        { role: 'user', content: 'please use tool get_weather for Paris' },
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.id ?? '', content: 'sunny, 21°C' }] },
      ],
    });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('sunny, 21°C') });
    const contents = geminiBody(1).contents;
    expect(contents[1]).toEqual({
      role: 'model',
      parts: [{ functionCall: { name: 'get_weather', args: use?.input }, thoughtSignature: 'skip_thought_signature_validator' }],
    });
    expect(contents[2]).toEqual({ role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny, 21°C' } } }] });
  });

  it('the dropped schema keywords are named in x-keymux-warnings', async () => {
    const { response } = await client.messages
      .create({ model: 'gemini/gemini-2.5-flash', max_tokens: 64, tools: [weather], messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(response.headers.get('x-keymux-warnings')).toContain("tool 'get_weather' parameters: dropped additionalProperties, format 'date'");
  });

  it('a streamed tool call arrives as a tool_use block with input_json_delta', async () => {
    const s = client.messages.stream({
      model: 'gemini/gemini-2.5-flash',
      max_tokens: 256,
      tools: [weather],
      messages: [{ role: 'user', content: 'call the function get_weather for Rome' }],
    });
    const deltas: string[] = [];
    s.on('streamEvent', (e) => e.type === 'content_block_delta' && deltas.push(e.delta.type));
    const final = await s.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([expect.objectContaining({ type: 'tool_use', name: 'get_weather', input: expect.objectContaining({ city: expect.any(String) }) })]);
    expect(deltas).toContain('input_json_delta');
  });

  it('an upstream error comes back in the Anthropic error shape with the upstream status', async () => {
    stack.sim.setKey('AIza-one', { revoked: true });
    stack.sim.setKey('AIza-two', { revoked: true });
    const err = await client.messages.create({ model: 'gemini/gemini-2.5-flash', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: expect.any(Number), error: { type: 'error', error: { type: expect.any(String) } } });
    stack.sim.setKey('AIza-one', { revoked: false });
    stack.sim.setKey('AIza-two', { revoked: false });
  });
});
