// Issue #13 (2): a model id chosen by the client must not choose the upstream path. Through the real server and
// the simulator: every hostile id is a 400 naming it, and the simulator never sees a request outside the route's
// collection (/v1beta/models/… for Gemini) — with a pooled key or without.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, chatBody, geminiBody, start, type Harness } from './helpers.js';

const GKEY = 'AIzaSyA-one-1111111111111111111111111';

/** A request whose path goes out byte for byte (fetch would resolve `..` before sending). */
function rawPost(base: string, path: string, body: unknown): Promise<{ status: number; json: unknown }> {
  const u = new URL(base);
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method: 'POST', path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          json = data;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    req.end(text);
  });
}

describe('path injection through model ids', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim: { keys: { [GKEY]: {} } }, env: (s) => ({ GEMINI_API_KEYS: GKEY, GEMINI_BASE_URL: s.url }) });
  });
  afterAll(() => h.close());

  /** Nothing the simulator saw left Gemini's models or tunedModels collections, each id one segment. */
  function upstreamStayedInside(): void {
    for (const r of h.sim.requests) expect(r.path, `upstream saw ${r.method} ${r.path}`).toMatch(/^\/v1beta\/(models|tunedModels)\/[A-Za-z0-9._~-]+:[A-Za-z]+$/);
  }

  /**
   * Refused before any upstream call: a 400 naming the id (the URL builder's refusal), or a 404 when model
   * resolution already finds no provider in it (a leading `..` is no provider prefix).
   */
  function refused(status: number, text: string): void {
    expect([400, 404]).toContain(status);
    if (status === 400) expect(text).toMatch(/not a valid model name/);
  }

  const GEMINI_PATHS = [
    '/v1beta/models/tunedModels%2F..%2F..%2Fv1beta%2FtunedModels%23:generateContent',
    '/v1beta/models/tunedModels%2F..%2F..%2Fv1beta%2FcachedContents%23:streamGenerateContent',
    '/v1beta/models/..%2F..%2Fv1beta%2FcachedContents:generateContent',
    '/v1beta/models/%2e%2e:generateContent',
    '/v1beta/models/gemini%2F..:countTokens',
    '/v1beta/models/x%3Falt%3Djson%23:generateContent',
    '/v1beta/models/x%5C..%5Cy:generateContent',
    '/v1beta/models/x%0D%0AHost%3A%20evil:generateContent',
    '/v1beta/models/tunedModels%2Fa%2Fb:embedContent',
    '/v1beta/models/x%252F..%252Fy:generateContent',
  ];

  test.each(GEMINI_PATHS)('POST %s is refused and reaches no upstream', async (path) => {
    h.sim.reset();
    // A body of the action's own shape, so that only the model id can be what is refused.
    const body = path.includes(':embedContent') ? { content: { parts: [{ text: 'hi' }] } } : geminiBody('hi');
    const r = await rawPost(h.url, path, body);
    refused(r.status, JSON.stringify(r.json));
    expect(h.sim.requests).toHaveLength(0);
  });

  const CHAT_MODELS = [
    'gemini/tunedModels/../../v1beta/cachedContents#',
    'gemini/tunedModels/../../v1beta/tunedModels#',
    'gemini/../v1beta/cachedContents',
    'gemini/models/../../x',
    'gemini/x?key=1',
    'gemini/%2e%2e',
    'gemini/\uff0e\uff0e',
  ];

  test.each(CHAT_MODELS)('chat with model %j is refused and reaches no upstream', async (model) => {
    h.sim.reset();
    const chat = await call(h.url, '/v1/chat/completions', chatBody('hi', { model }));
    refused(chat.status, chat.text);
    // Named, escaped and short: the id is quoted as JSON, so a control character cannot split the message.
    if (chat.status === 400) expect(chat.json.error).toMatchObject({ code: 'KMX_ERR_BAD_REQUEST', message: expect.stringMatching(/model id ".*" is not a valid model name/) });
    expect(h.sim.requests).toHaveLength(0);
  });

  test('a long hostile id is named truncated', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('hi', { model: `gemini/x/../${'a'.repeat(5000)}` }));
    expect(r.status).toBe(400);
    expect(r.json.error.message.length).toBeLessThan(300);
  });

  test('legitimate ids still go through, each inside its collection', async () => {
    h.sim.reset();
    const a = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('ok'));
    expect(a.status).toBe(200);
    const b = await call(h.url, '/v1/chat/completions', chatBody('ok', { model: 'gemini/models/gemini-2.5-flash' }));
    expect(b.status).toBe(200);
    expect(h.sim.requests.map((r) => r.path)).toEqual(['/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-flash:generateContent']);
    upstreamStayedInside();
  });
});
