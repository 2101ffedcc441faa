// The official @google/genai SDK against keymux, whose Gemini pool points at the simulator (same dialect).
import type { GoogleGenAI } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiClient, keysSeen, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;
let client: GoogleGenAI;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'AIza-one': {}, 'AIza-two': {} },
    env: (sim) => ({ GEMINI_API_KEYS: 'AIza-one,AIza-two', GEMINI_BASE_URL: sim }),
  });
  client = geminiClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

describe('@google/genai → keymux → Gemini (same dialect)', () => {
  it('models.generateContent: text and usage metadata; the key travels in x-goog-api-key upstream', async () => {
    const r = await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'hello gemini',
      config: { systemInstruction: 'be brief', maxOutputTokens: 100 },
    });
    expect(r.text).toBe('echo: hello gemini');
    expect(r.usageMetadata?.totalTokenCount).toBeGreaterThan(0);
    expect(r.candidates?.[0]?.finishReason).toBe('STOP');
    const [q] = upstream(stack.sim, ':generateContent');
    expect(q?.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(q?.body).toMatchObject({ systemInstruction: { parts: [{ text: 'be brief' }] }, generationConfig: { maxOutputTokens: 100 } });
  });

  it('models.generateContentStream: chunks (SSE) that add up to the reply, with final usage', async () => {
    let text = '';
    let chunks = 0;
    let total: number | undefined;
    for await (const ch of await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'one two three' })) {
      chunks++;
      text += ch.text ?? '';
      total = ch.usageMetadata?.totalTokenCount ?? total;
    }
    expect(text).toBe('echo: one two three');
    expect(chunks).toBeGreaterThan(1);
    expect(total).toBeGreaterThan(0);
    expect(upstream(stack.sim, ':streamGenerateContent')[0]?.stream).toBe(true);
  });

  it('models.generateContent with a function declaration: the SDK sees the functionCall', async () => {
    const r = await client.models.generateContent({
      model: 'gemini-2.5-flash',
      contents: 'call the function find_city',
      config: { tools: [{ functionDeclarations: [{ name: 'find_city', parametersJsonSchema: { type: 'object', properties: { n: { type: 'integer' } } } }] }] },
    });
    expect(r.functionCalls?.[0]).toMatchObject({ name: 'find_city', args: { n: 42 } });
  });

  it('models.countTokens', async () => {
    const c = await client.models.countTokens({ model: 'gemini-2.5-flash', contents: 'count these tokens' });
    expect(c.totalTokens).toBeGreaterThan(0);
    expect(upstream(stack.sim, ':countTokens')).toHaveLength(1);
  });

  it('models.embedContent: the SDK calls :batchEmbedContents, which keymux relays', async () => {
    const e = await client.models.embedContent({ model: 'text-embedding-004', contents: ['embed me', 'and me'], config: { outputDimensionality: 16 } });
    expect(e.embeddings).toHaveLength(2);
    expect(e.embeddings?.[0]?.values).toHaveLength(16);
    expect(upstream(stack.sim, ':batchEmbedContents').map((r) => r.path)).toEqual(['/v1beta/models/text-embedding-004:batchEmbedContents']);
  });

  it('models.list: the Gemini shape (models/{id})', async () => {
    const names: string[] = [];
    for await (const m of await client.models.list()) names.push(m.name ?? '');
    expect(names).toEqual(expect.arrayContaining(['models/gemini-2.5-flash', 'models/gemini-2.5-pro', 'models/text-embedding-004']));
  });

  it('rotation: the simulator sees both keys over several requests', async () => {
    for (let i = 0; i < 4; i++) await client.models.generateContent({ model: 'gemini-2.5-flash', contents: `n${i}` });
    expect(keysSeen(stack.sim, (r) => r.path.endsWith(':generateContent'))).toEqual(['AIza-one', 'AIza-two']);
  });
});
