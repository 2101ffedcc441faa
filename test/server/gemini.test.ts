// Gemini-dialect endpoints: generateContent, streamGenerateContent (SSE and the JSON-array form), countTokens,
// embedContent, GET /v1beta/models; proxy keys presented the Gemini way.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, dataJson, geminiBody, start, type Harness } from './helpers.js';

const GKEY_1 = 'AIzaSyA-one-1111111111111111111111111';
const GKEY_2 = 'AIzaSyB-two-2222222222222222222222222';

describe('Gemini endpoints', () => {
  let h: Harness;
  const goog = { 'x-goog-api-key': 'proxy-secret' };
  beforeAll(async () => {
    h = await start({
      sim: { keys: { [GKEY_1]: {}, [GKEY_2]: {} } },
      env: (s) => ({ GEMINI_API_KEYS: `${GKEY_1},${GKEY_2}`, GEMINI_BASE_URL: s.url, KEYMUX_PROXY_KEYS: 'proxy-secret' }),
    });
  });
  afterAll(() => h.close());

  test('POST /v1beta/models/{m}:generateContent', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('hi gemini'), { headers: goog });
    expect(r.status).toBe(200);
    expect(r.json.candidates[0].content.parts[0].text).toBe('echo: hi gemini');
    const rec = h.sim.requests.at(-1)!;
    expect(rec.path).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect([GKEY_1, GKEY_2]).toContain(rec.key);
  });

  test('the gemini/ prefix in the path is accepted', async () => {
    const r = await call(h.url, '/v1beta/models/gemini%2Fgemini-2.5-flash:generateContent', geminiBody('prefixed'), { headers: goog });
    expect(r.status).toBe(200);
    expect(h.sim.requests.at(-1)!.model).toBe('gemini-2.5-flash');
  });

  test('POST :streamGenerateContent?alt=sse relays SSE events with usage', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', geminiBody('stream sse'), { headers: goog });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const chunks = dataJson(r.events);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.map((c) => c.candidates[0].content.parts[0].text).join('')).toBe('echo: stream sse');
    expect(chunks.at(-1).usageMetadata.candidatesTokenCount).toBeGreaterThan(0);
  });

  test('POST :streamGenerateContent without alt=sse answers one JSON array', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:streamGenerateContent', geminiBody('stream array'), { headers: goog });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Array.isArray(r.json)).toBe(true);
    expect(r.json.map((c: { candidates: Array<{ content: { parts: Array<{ text: string }> } }> }) => c.candidates[0]!.content.parts[0]!.text).join('')).toBe(
      'echo: stream array',
    );
  });

  test('POST :countTokens', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:countTokens', geminiBody('count these'), { headers: goog });
    expect(r.status).toBe(200);
    expect(r.json.totalTokens).toBeGreaterThan(0);
    expect(h.sim.requests.at(-1)!.path).toBe('/v1beta/models/gemini-2.5-flash:countTokens');
  });

  test('POST :embedContent', async () => {
    const r = await call(
      h.url,
      '/v1beta/models/text-embedding-004:embedContent',
      { content: { parts: [{ text: 'embed me' }] }, outputDimensionality: 16 },
      { headers: goog },
    );
    expect(r.status).toBe(200);
    expect(r.json.embedding.values).toHaveLength(16);
  });

  test('GET /v1beta/models lists the Gemini models in Gemini shape', async () => {
    const r = await call(h.url, '/v1beta/models', undefined, { headers: goog });
    expect(r.status).toBe(200);
    const names = r.json.models.map((m: { name: string }) => m.name);
    expect(names).toContain('models/gemini-2.5-flash');
  });

  test('GET /v1beta/models/{m} describes one model; an unknown one is a Gemini 404', async () => {
    const one = await call(h.url, '/v1beta/models/gemini-2.5-flash', undefined, { headers: goog });
    expect(one.status).toBe(200);
    expect(one.json.name).toBe('models/gemini-2.5-flash');
    const none = await call(h.url, '/v1beta/models/nope-1', undefined, { headers: goog });
    expect(none.status).toBe(404);
    expect(none.json.error).toMatchObject({ code: 404, status: 'NOT_FOUND' });
  });

  test('the proxy key is accepted as ?key= and refused when wrong, in Gemini shape', async () => {
    const ok = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent?key=proxy-secret', geminiBody('q'));
    expect(ok.status).toBe(200);
    const bad = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent?key=wrong', geminiBody('q'));
    expect(bad.status).toBe(401);
    expect(bad.json.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' });
  });

  test('an unknown action is a 404 in Gemini shape', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:fly', geminiBody('q'), { headers: goog });
    expect(r.status).toBe(404);
    expect(r.json.error.status).toBe('NOT_FOUND');
  });

  test('an upstream 400 passes through in Gemini shape and is not retried', async () => {
    const n = h.sim.requests.length;
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', { contents: [] }, { headers: goog });
    expect(r.status).toBe(400);
    expect(r.json.error.status).toBe('INVALID_ARGUMENT');
    expect(h.sim.requests.length).toBe(n + 1);
  });
});
