// The official @google/genai SDK talks to keymux's Gemini routes, whose pools are NVIDIA NIM keys (OpenAI
// dialect) and Anthropic keys (simulated): generateContent ⇄ chat.completions / Messages through the hub (#15).
import { FunctionCallingConfigMode, Type, type Content, type FunctionDeclaration, type GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiClient, startStack, upstream, type Stack } from './helpers.js';

const weather: FunctionDeclaration = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: Type.OBJECT, properties: { city: { type: Type.STRING }, days: { type: Type.INTEGER, nullable: true } }, required: ['city'] },
};

interface Case {
  name: string;
  model: string;
  path: string;
  env: (sim: string) => Record<string, string>;
  keys: string[];
  flavor?: 'nvidia_nim';
  /** The upstream body's tool list and the tool result, in the upstream's dialect. */
  tools: (body: Record<string, any>) => unknown;
  toolResult: (body: Record<string, any>) => unknown;
}

const CASES: Case[] = [
  {
    name: 'NVIDIA NIM (OpenAI dialect)',
    model: 'nvidia_nim/meta/llama-3.1-70b-instruct',
    path: '/v1/chat/completions',
    env: (sim) => ({ NVIDIA_NIM_API_KEYS: 'nvapi-a,nvapi-b', NVIDIA_NIM_BASE_URL: `${sim}/v1` }),
    keys: ['nvapi-a', 'nvapi-b'],
    flavor: 'nvidia_nim',
    tools: (b) => b.tools,
    toolResult: (b) => b.messages.at(-1),
  },
  {
    name: 'Anthropic',
    model: 'anthropic/claude-sonnet-4-5',
    path: '/v1/messages',
    env: (sim) => ({ ANTHROPIC_API_KEYS: 'sk-ant-a,sk-ant-b', ANTHROPIC_BASE_URL: sim }),
    keys: ['sk-ant-a', 'sk-ant-b'],
    tools: (b) => b.tools,
    toolResult: (b) => b.messages.at(-1),
  },
];

describe.each(CASES)('@google/genai → keymux → $name', (c) => {
  let stack: Stack;
  let client: GoogleGenAI;
  beforeAll(async () => {
    stack = await startStack({ keys: Object.fromEntries(c.keys.map((k) => [k, {}])), ...(c.flavor ? { sim: { flavor: c.flavor } } : {}), env: c.env });
    client = geminiClient(stack.url);
  });
  afterAll(() => stack.close());
  beforeEach(() => stack.sim.reset());
  const sent = (i = 0): Record<string, any> => upstream(stack.sim, c.path)[i]?.body as Record<string, any>;

  it('models.generateContent: text, STOP, usage metadata; the upstream got its own dialect', async () => {
    const r = await client.models.generateContent({
      model: c.model,
      contents: 'hello there',
      config: { systemInstruction: 'be brief', maxOutputTokens: 100, stopSequences: ['END'] },
    });
    expect(r.text).toBe('echo: hello there');
    expect(r.candidates?.[0]?.finishReason).toBe('STOP');
    expect(r.usageMetadata?.promptTokenCount).toBeGreaterThan(0);
    expect(r.usageMetadata?.totalTokenCount).toBeGreaterThan(r.usageMetadata?.promptTokenCount ?? 0);
    expect(r.modelVersion).toBe(c.model);
    const body = sent();
    expect(body.model).toBe(c.model.slice(c.model.indexOf('/') + 1));
    expect(body.max_tokens).toBe(100);
    expect(JSON.stringify(body)).toContain('be brief');
    expect(body.stop ?? body.stop_sequences).toEqual(['END']);
  });

  it('models.generateContentStream (SSE): chunks that add up to the reply, a finishReason and usage at the end', async () => {
    let text = '';
    let finish: string | undefined;
    let total: number | undefined;
    for await (const ch of await client.models.generateContentStream({ model: c.model, contents: 'one two three four' })) {
      text += ch.text ?? '';
      finish = ch.candidates?.[0]?.finishReason ?? finish;
      total = ch.usageMetadata?.totalTokenCount ?? total;
    }
    expect(text).toBe('echo: one two three four');
    expect(finish).toBe('STOP');
    expect(total).toBeGreaterThan(0);
    expect(sent().stream).toBe(true);
  });

  it('streamGenerateContent without alt=sse answers one JSON array', async () => {
    const r = await fetch(`${stack.url}/v1beta/models/${encodeURIComponent(c.model)}:streamGenerateContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'unused' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'array form' }] }] }),
    });
    expect(r.status).toBe(200);
    const chunks = (await r.json()) as Array<{ candidates?: Array<{ content?: { parts?: Array<{ text?: string }> }; finishReason?: string }> }>;
    expect(chunks.map((ch) => ch.candidates?.[0]?.content?.parts?.map((p) => p.text ?? '').join('')).join('')).toBe('echo: array form');
    expect(chunks.at(-1)?.candidates?.[0]?.finishReason).toBe('STOP');
  });

  it('a function-call round trip: functionCall from a tool call, the functionResponse back tied to its call', async () => {
    const tools = [{ functionDeclarations: [weather] }];
    const question: Content = { role: 'user', parts: [{ text: 'please use tool get_weather for Paris' }] };
    const first = await client.models.generateContent({
      model: c.model,
      contents: [question],
      config: { tools, toolConfig: { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: ['get_weather'] } } },
    });
    const call = first.functionCalls?.[0];
    expect(call?.name).toBe('get_weather');
    expect(call?.args).toMatchObject({ city: expect.any(String) });
    expect(JSON.stringify(c.tools(sent(0)))).toContain('"city":{"type":"string"}');
    const model = first.candidates?.[0]?.content;
    expect(model).toBeDefined();
    const second = await client.models.generateContent({
      model: c.model,
      contents: [question, model ?? {}, { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { result: 'sunny' } } }] }],
      config: { tools },
    });
    expect(second.text).toContain('sunny');
    expect(second.candidates?.[0]?.finishReason).toBe('STOP');
    // The result reaches the upstream tied to the call's id, as its dialect needs.
    const result = JSON.stringify(c.toolResult(sent(1)));
    expect(result).toContain(call?.id ?? 'no id');
    expect(result).toContain('sunny');
  });

  it('countTokens answers an estimate (these providers cannot count)', async () => {
    const n = await client.models.countTokens({ model: c.model, contents: 'how many tokens is this?' });
    expect(n.totalTokens).toBeGreaterThan(0);
  });

  it('an untranslatable feature is refused by name (KMX_ERR_UNTRANSLATABLE)', async () => {
    const err = await client.models
      .generateContent({ model: c.model, contents: 'x', config: { tools: [{ googleSearch: {} }] } })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 400 });
    expect(String((err as Error).message)).toContain("Gemini tool 'googleSearch'");
  });
});
