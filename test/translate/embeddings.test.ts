// Embeddings between OpenAI and Gemini, both ways: bodies, vectors (float and base64), refusals and drops.
import { describe, expect, it } from 'vitest';
import { float32Base64, geminiEmbedToOpenAI, geminiToOpenAIEmbeddings, openAIEmbeddingsToGemini, openAIToGeminiEmbeddings, TranslationError } from '../../src/translate/index.js';

describe('OpenAI embeddings → Gemini batchEmbedContents', () => {
  it('every input one request, dimensions → outputDimensionality, the model in Gemini form', () => {
    const t = openAIEmbeddingsToGemini({ model: 'g/x', input: ['a', 'b'], dimensions: 8, user: 'u' }, { model: 'text-embedding-004' });
    expect(t.body.requests).toEqual([
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] }, outputDimensionality: 8 },
      { model: 'models/text-embedding-004', content: { parts: [{ text: 'b' }] }, outputDimensionality: 8 },
    ]);
    expect(t.base64).toBe(false);
    expect(t.warnings).toEqual([expect.stringContaining('user dropped')]);
  });

  it('refuses token ids; rejects an empty input', () => {
    expect(() => openAIEmbeddingsToGemini({ input: [[1, 2]] }, { model: 'm' })).toThrow(/token-id input/);
    expect(() => openAIEmbeddingsToGemini({ input: [] }, { model: 'm' })).toThrow(TranslationError);
    expect(() => openAIEmbeddingsToGemini({ input: 'x', encoding_format: 'int8' }, { model: 'm' })).toThrow(TranslationError);
  });

  it('the answer: float, or base64 float32 little-endian as OpenAI sends it', () => {
    const up = { embeddings: [{ values: [0.5, -0.25] }, { values: [1, 2] }] };
    expect(geminiToOpenAIEmbeddings(up, { model: 'gemini/x', base64: false })).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.5, -0.25] }, { object: 'embedding', index: 1, embedding: [1, 2] }],
      model: 'gemini/x',
      usage: { prompt_tokens: 0, total_tokens: 0 },
    });
    const b64: any = geminiToOpenAIEmbeddings(up, { model: 'm', base64: true });
    expect(b64.data[0].embedding).toBe(float32Base64([0.5, -0.25]));
  });
});

describe('Gemini embedContent / batchEmbedContents → OpenAI embeddings', () => {
  it('one call; texts joined per content; taskType and title dropped with warnings', () => {
    const t = geminiEmbedToOpenAI({ requests: [{ content: { parts: [{ text: 'a' }, { text: 'b' }] }, taskType: 'X', title: 'T', outputDimensionality: 4 }, { content: { parts: [{ text: 'c' }] }, outputDimensionality: 4 }] }, { model: 'm', batch: true });
    expect(t.body).toEqual({ model: 'm', input: ['a\nb', 'c'], encoding_format: 'float', dimensions: 4 });
    expect(t.warnings).toEqual([expect.stringContaining('taskType'), expect.stringContaining('title')]);
  });

  it('refuses non-text parts and mixed sizes', () => {
    expect(() => geminiEmbedToOpenAI({ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'AA' } }] } }, { model: 'm', batch: false })).toThrow(/non-text part/);
    expect(() =>
      geminiEmbedToOpenAI({ requests: [{ content: { parts: [{ text: 'a' }] }, outputDimensionality: 4 }, { content: { parts: [{ text: 'b' }] } }] }, { model: 'm', batch: true }),
    ).toThrow(/different outputDimensionality/);
  });

  it('the answer, in index order; base64 decoded', () => {
    const up = { data: [{ index: 1, embedding: [3] }, { index: 0, embedding: float32Base64([0.5]) }] };
    expect(openAIToGeminiEmbeddings(up, { batch: true })).toEqual({ embeddings: [{ values: [0.5] }, { values: [3] }] });
    expect(openAIToGeminiEmbeddings(up, { batch: false })).toEqual({ embedding: { values: [0.5] } });
  });
});
