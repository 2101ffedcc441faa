// Bad input and broken upstreams: every failure is an answer in the client's dialect, and nothing crashes.
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEAD_PORT, anthropicBody, call, chatBody, geminiBody, openaiEnv, start, startThreeProviders, type Harness } from './helpers.js';

describe('bad requests', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startThreeProviders('server:\n  bodyLimit: 1kb\n');
  });
  afterAll(() => h.close());

  test('malformed JSON → 400 in the OpenAI shape', async () => {
    const r = await call(h.url, '/v1/chat/completions', undefined, { raw: '{"model": "openai/gpt-4o-mini",', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'KMX_ERR_BAD_JSON', message: expect.stringContaining('not valid JSON') });
  });

  test('malformed JSON → 400 in the Anthropic shape', async () => {
    const r = await call(h.url, '/v1/messages', undefined, { raw: '{nope', headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.any(String) } });
  });

  test('malformed JSON → 400 in the Gemini shape', async () => {
    const r = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', undefined, { raw: '[1,', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: 400, message: expect.any(String), status: 'INVALID_ARGUMENT' } });
  });

  test('a JSON array or an empty body is a 400, not a crash', async () => {
    const arr = await call(h.url, '/v1/chat/completions', undefined, { raw: '[]', headers: { 'content-type': 'application/json' } });
    expect(arr.status).toBe(400);
    const empty = await call(h.url, '/v1/chat/completions', undefined, { raw: '', headers: { 'content-type': 'application/json' } });
    expect(empty.status).toBe(400);
  });

  test('a JSON body sent as application/x-www-form-urlencoded (curl -d) is accepted', async () => {
    const r = await call(h.url, '/v1/chat/completions', undefined, {
      raw: JSON.stringify(chatBody('curl style', { model: 'openai/gpt-4o-mini' })),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: curl style');
  });

  test('a body over the limit → 413 from the Content-Length header alone, before the body is sent', async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(`${h.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) },
      });
      req.on('response', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders(); // headers only: not one byte of the body is ever written
    });
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe('KMX_ERR_BODY_TOO_LARGE');
  });

  test('a body that grows past the limit without a Content-Length → 413', async () => {
    const big = JSON.stringify(chatBody('x'.repeat(4096)));
    const stream = new ReadableStream({
      start(c) {
        c.enqueue(new TextEncoder().encode(big));
        c.close();
      },
    });
    const res = await fetch(`${h.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    await res.text();
  });

  test('method not allowed → 405', async () => {
    const get = await call(h.url, '/v1/chat/completions');
    expect(get.status).toBe(405);
    expect(get.json.error.code).toBe('KMX_ERR_METHOD');
    const del = await call(h.url, '/v1/models', undefined, { method: 'DELETE' });
    expect(del.status).toBe(405);
    const put = await call(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', undefined, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.json.error.status).toBe('UNIMPLEMENTED');
  });

  test('unknown route → 404', async () => {
    const r = await call(h.url, '/v2/whatever', { a: 1 });
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('KMX_ERR_NOT_FOUND');
    const g = await call(h.url, '/nope');
    expect(g.status).toBe(404);
  });

  test('a broken percent-encoding in a Gemini path is a 400, not a crash', async () => {
    const r = await call(h.url, '/v1beta/models/gem%E0%A4%A:generateContent', geminiBody('x'));
    expect(r.status).toBe(400);
    expect(r.json.error.status).toBe('INVALID_ARGUMENT');
    const g = await call(h.url, '/v1beta/models/gem%E0%A4%A');
    expect(g.status).toBe(400);
  });

  test('an OpenAI model on the Gemini route is translated (#15), no longer refused', async () => {
    const r = await call(h.url, '/v1beta/models/openai%2Fgpt-4o-mini:generateContent', geminiBody('x'));
    expect(r.status).toBe(200);
    expect(r.json.candidates[0].content.parts[0].text).toBe('echo: x');
  });

  test('the server is still healthy after all of that', async () => {
    const r = await call(h.url, '/healthz');
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('ok');
    const m = await call(h.url, '/v1/messages', anthropicBody('still here'), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(m.status).toBe(200);
  });
});

describe('proxy keys', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim: { keys: { 'sk-a': {} } }, env: openaiEnv('sk-a', { KEYMUX_PROXY_KEYS: 'kmx-one,kmx-two' }) });
  });
  afterAll(() => h.close());

  test('missing proxy key → 401', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(401);
    expect(r.json.error).toMatchObject({ type: 'authentication_error', code: 'KMX_ERR_UNAUTHORIZED' });
    expect(h.sim.requests).toHaveLength(0);
  });

  test('wrong proxy key → 401, in the dialect of the route', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: 'Bearer nope' } });
    expect(r.status).toBe(401);
    const a = await call(h.url, '/v1/messages', anthropicBody('x'), { headers: { 'x-api-key': 'nope', 'anthropic-version': '2023-06-01' } });
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    // A provider key is no proxy key.
    const p = await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: 'Bearer sk-a' } });
    expect(p.status).toBe(401);
  });

  test.each([
    ['Authorization: Bearer', { authorization: 'Bearer kmx-one' }, ''],
    ['x-api-key', { 'x-api-key': 'kmx-two' }, ''],
    ['x-goog-api-key', { 'x-goog-api-key': 'kmx-one' }, ''],
    ['?key=', {}, '?key=kmx-two'],
  ])('the proxy key is accepted as %s', async (_name, headers, query) => {
    const r = await call(h.url, `/v1/chat/completions${query}`, chatBody('x'), { headers });
    expect(r.status).toBe(200);
  });

  test('/healthz and /readyz need no proxy key; /v1/models does', async () => {
    expect((await call(h.url, '/healthz')).status).toBe(200);
    expect((await call(h.url, '/readyz')).status).toBe(200);
    expect((await call(h.url, '/v1/models')).status).toBe(401);
  });
});

describe('broken upstreams', () => {
  test('an upstream that does not answer within server.headersTimeoutMs → 504', async () => {
    const h = await start({
      sim: { keys: { 'sk-slow': { hangMs: 10_000 } } },
      file: 'server:\n  headersTimeoutMs: 300\nretry:\n  maxAttempts: 1\n',
      env: openaiEnv('sk-slow'),
    });
    try {
      const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
      expect(r.status).toBe(504);
      expect(r.json.error).toMatchObject({ type: 'timeout_error', code: 'KMX_ERR_UPSTREAM_TIMEOUT' });
      // The upstream request was given up, not left hanging.
      await h.sim.waitFor((q) => q.aborted, 10_000);
    } finally {
      await h.close();
    }
  });

  test('a dead upstream (closed port) → 502', async () => {
    // Port 1 (tcpmux) has no listener here: a port freed by closing a server could be taken by another test
    // file's server before keymux dials it (files run in parallel), and that one would answer or hang.
    const port = DEAD_PORT;
    const h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-a,sk-b', OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1` }) });
    try {
      const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
      expect(r.status).toBe(502);
      expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM_UNREACHABLE', message: expect.stringContaining('ECONNREFUSED') });
      const s = await call(h.url, '/v1/chat/completions', chatBody('x', { stream: true }));
      expect(s.status).toBe(502);
      expect((await call(h.url, '/healthz')).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});
