// Upstreams that misbehave after their headers (#13 items 6, 7, 15): a body that stalls or is reset mid-way is
// a network failure (retried on another key, then 504/502 as docs/errors.md says), a body past the buffering
// cap is a 502 and never a truncated 200, and an encoded body is asked not to come and decoded when it does.
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { call, chatBody, dataJson, keySnapshots, start, type Harness } from './helpers.js';
import { afterBody, completion, startUpstream, type UpstreamHandler, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

async function front(handler: UpstreamHandler, file = '', keys = 'sk-aaaaaaaa,sk-bbbbbbbb'): Promise<Harness> {
  t.up = await startUpstream(handler);
  const base = `${t.up.url}/v1`;
  t.h = await start({ file, env: () => ({ OPENAI_API_KEYS: keys, OPENAI_BASE_URL: base }) });
  return t.h;
}

const keysSeen = () => new Set(t.up!.requests.map((r) => r.headers.authorization)).size;

describe('a body that fails after the headers (item 6)', () => {
  test('stalls after the headers → retried on the other key, then 504 KMX_ERR_UPSTREAM_TIMEOUT', async () => {
    const hh = await front(
      (req, res) =>
        afterBody(req, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"id":');
        }),
      'server:\n  requestTimeoutMs: 200\nretry:\n  maxAttempts: 2\n',
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(504);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM_TIMEOUT', message: expect.stringContaining('UND_ERR_BODY_TIMEOUT') });
    expect(t.up!.requests).toHaveLength(2);
    expect(keysSeen()).toBe(2);
    for (const k of keySnapshots(hh.server)) expect(k.failures.network).toBe(1);
  });

  test('reset mid-body → retried on the other key, then 502 KMX_ERR_UPSTREAM_UNREACHABLE', async () => {
    const hh = await front(
      (req, res) =>
        afterBody(req, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"id":', () => res.socket?.destroy());
        }),
      'retry:\n  maxAttempts: 2\n',
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe('KMX_ERR_UPSTREAM_UNREACHABLE');
    expect(r.text).not.toContain('    at '); // no stack
    expect(keysSeen()).toBe(2);
  });

  test('a reset on the first key and a good answer on the second → 200 after 2 attempts', async () => {
    const hh = await front((req, res, n) =>
      afterBody(req, () => {
        if (n === 1) {
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
          res.write('{"id":', () => res.socket?.destroy());
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(completion('second key'));
      }),
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('second key');
    expect(r.headers.get('x-keymux-attempts')).toBe('2');
  });
});

describe('a body past server.maxUpstreamBodyBytes (item 7)', () => {
  /** Writes 64 KiB chunks for as long as the reader takes them, and stops when the connection closes. */
  const endless: UpstreamHandler = (req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on('drain', pump);
      pump();
    });

  test('an endless 200 body → 502 KMX_ERR_UPSTREAM, counted against the provider, never a truncated 200', async () => {
    const hh = await front(endless, 'server:\n  maxUpstreamBodyBytes: 1mb\nretry:\n  maxAttempts: 1\n', 'sk-aaaaaaaa');
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('1048576 bytes') });
    await t.up!.closed(1); // the proxy hung up on the endless body
    const k = keySnapshots(hh.server)[0]!;
    expect(k.successes).toBe(0);
    expect(k.failures.network).toBe(1);
  });
});

describe('encoded upstream bodies (item 15)', () => {
  const body = completion('unzipped');

  test('keymux asks for identity, and decodes a gzip body sent anyway', async () => {
    const hh = await front((req, res) =>
      afterBody(req, () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        res.end(gzipSync(body));
      }),
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(t.up!.requests[0]!.headers['accept-encoding']).toBe('identity');
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('unzipped');
    expect(r.headers.get('content-encoding')).toBeNull();
  });

  test('a brotli error body is decoded before it is classified and relayed', async () => {
    const hh = await front((req, res) =>
      afterBody(req, () => {
        res.writeHead(400, { 'content-type': 'application/json', 'content-encoding': 'br' });
        res.end(brotliCompressSync(JSON.stringify({ error: { message: 'bad thing', type: 'invalid_request_error', code: null } })));
      }),
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(400);
    expect(r.json.error.message).toBe('bad thing');
  });

  test('a gzip stream is decoded event by event', async () => {
    const events = ['{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"zipped "}}]}', '{"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"stream"},"finish_reason":"stop"}]}'];
    const hh = await front((req, res) =>
      afterBody(req, () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'content-encoding': 'gzip' });
        res.end(gzipSync(events.map((e) => `data: ${e}\n\n`).join('') + 'data: [DONE]\n\n'));
      }),
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    expect(r.status).toBe(200);
    expect(dataJson(r.events).map((c) => c.choices[0].delta.content).join('')).toBe('zipped stream');
  });

  test('a gzip body that decodes past the buffering cap → 502 KMX_ERR_UPSTREAM, however small it came', async () => {
    // 2 MB of spaces inside a valid completion squeeze to ~2 KB: the cap is on what keymux would hold, decoded.
    const bomb = gzipSync(completion(`${' '.repeat(2 * 1024 * 1024)}x`));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const hh = await front(
      (req, res) =>
        afterBody(req, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
          res.end(bomb);
        }),
      'server:\n  maxUpstreamBodyBytes: 1mb\nretry:\n  maxAttempts: 1\n',
      'sk-aaaaaaaa',
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('1048576 bytes') });
    expect(keySnapshots(hh.server)[0]!.successes).toBe(0);
  });

  test('an encoding keymux cannot decode → 502 KMX_ERR_UPSTREAM, not mangled text', async () => {
    const hh = await front(
      (req, res) =>
        afterBody(req, () => {
          res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'x-squash' });
          res.end('\x00\x01\x02 definitely not JSON');
        }),
      'retry:\n  maxAttempts: 1\n',
    );
    const r = await call(hh.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('x-squash') });
  });
});
