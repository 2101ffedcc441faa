// Embeddings across dialects with the official clients, unmodified but for base URL and key: the openai SDK on
// Gemini keys (float and base64, the SDK's default) and @google/genai on OpenAI-compatible keys.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { geminiClient, openaiClient, rejection, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'AIza-a': {}, 'sk-a': {}, 'sk-ant-a': {} },
    env: (sim) => ({
      GEMINI_API_KEYS: 'AIza-a',
      GEMINI_BASE_URL: sim,
      OPENAI_API_KEYS: 'sk-a',
      OPENAI_BASE_URL: `${sim}/v1`,
      ANTHROPIC_API_KEYS: 'sk-ant-a',
      ANTHROPIC_BASE_URL: sim,
    }),
  });
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

describe('openai SDK embeddings.create → keymux → Gemini keys', () => {
  const model = 'gemini/text-embedding-004';

  it('float: one vector per input, of the asked dimensions, sent as one :batchEmbedContents', async () => {
    const e = await openaiClient(stack.url).embeddings.create({ model, input: ['alpha', 'beta'], dimensions: 8, encoding_format: 'float' });
    expect(e.object).toBe('list');
    expect(e.model).toBe(model);
    expect(e.data.map((d) => d.index)).toEqual([0, 1]);
    expect(e.data[0]?.embedding).toHaveLength(8);
    expect(e.data[0]?.embedding).not.toEqual(e.data[1]?.embedding);
    const up = upstream(stack.sim, ':batchEmbedContents');
    expect(up.map((r) => r.path)).toEqual(['/v1beta/models/text-embedding-004:batchEmbedContents']);
    expect(up[0]?.key).toBe('AIza-a');
    expect(up[0]?.body).toEqual({
      requests: ['alpha', 'beta'].map((text) => ({ model: 'models/text-embedding-004', content: { parts: [{ text }] }, outputDimensionality: 8 })),
    });
  });

  it('base64 (the SDK default): the SDK decodes the same vector keymux got as floats', async () => {
    const c = openaiClient(stack.url);
    const f = await c.embeddings.create({ model, input: 'alpha', dimensions: 8, encoding_format: 'float' });
    const b = await c.embeddings.create({ model, input: 'alpha', dimensions: 8 });
    expect(b.data[0]?.embedding).toHaveLength(8);
    b.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(f.data[0]!.embedding[i]!, 5));
  });

  it('token-id input is refused, naming the feature', async () => {
    const err = await rejection(openaiClient(stack.url).embeddings.create({ model, input: [[1, 2, 3]] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('token-id input');
    expect(upstream(stack.sim, 'Embed')).toHaveLength(0);
  });
});

describe('@google/genai embedContent → keymux → OpenAI-compatible keys', () => {
  it('models.embedContent: the batch becomes one /v1/embeddings call; vectors come back in order', async () => {
    const e = await geminiClient(stack.url).models.embedContent({
      model: 'openai/text-embedding-3-small',
      contents: ['embed me', 'and me'],
      config: { outputDimensionality: 16, taskType: 'RETRIEVAL_DOCUMENT' },
    });
    expect(e.embeddings).toHaveLength(2);
    expect(e.embeddings?.[0]?.values).toHaveLength(16);
    expect(e.embeddings?.[0]?.values).not.toEqual(e.embeddings?.[1]?.values);
    const up = upstream(stack.sim, '/embeddings');
    expect(up.map((r) => r.path)).toEqual(['/v1/embeddings']);
    expect(up[0]?.body).toEqual({ model: 'text-embedding-3-small', input: ['embed me', 'and me'], encoding_format: 'float', dimensions: 16 });
  });

  it(':embedContent (REST) answers {embedding}, with the dropped taskType in x-keymux-warnings', async () => {
    const res = await fetch(`${stack.url}/v1beta/models/openai/text-embedding-3-small:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': 'unused' },
      body: JSON.stringify({ content: { parts: [{ text: 'one' }] }, taskType: 'RETRIEVAL_QUERY', outputDimensionality: 4 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-keymux-warnings')).toContain('taskType dropped');
    const body = (await res.json()) as { embedding: { values: number[] } };
    expect(body.embedding.values).toHaveLength(4);
  });

  it('an Anthropic model has no embeddings: refused with a Gemini error body', async () => {
    const res = await fetch(`${stack.url}/v1beta/models/anthropic/claude-sonnet-4-6:embedContent`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ content: { parts: [{ text: 'one' }] } }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { status: string; message: string } };
    expect(body.error.message).toContain('embedContent is not translated');
  });
});
