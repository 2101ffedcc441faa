// Open mode (no proxy keys) must not be reachable from web pages: DNS rebinding (a foreign Host), cross-origin
// browser requests (a foreign Origin) and "simple" form-like posts (text/plain from a browser) are refused.
// `server.cors` lets listed origins in, with preflight answers, in any mode.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { chatBody, openaiEnv, start, type Harness } from './helpers.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

/** node:http rather than fetch: fetch will not send a Host or Origin of our choosing, a browser under attack does. */
function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Raw> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: opts.method ?? (opts.body === undefined ? 'GET' : 'POST'), headers: opts.headers ?? {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const CHAT = JSON.stringify(chatBody('hello'));
const json = { 'content-type': 'application/json' };

describe('open mode (no proxy keys): loopback hosts and origins only', () => {
  let h: Harness;
  let port: string;
  beforeAll(async () => {
    h = await start({ env: openaiEnv('sk-a') });
    port = new URL(h.url).port;
  });
  afterAll(() => h.close());

  test('DNS rebinding: a text/plain POST with a foreign Origin and Host is refused (403), nothing goes upstream', async () => {
    const n = h.sim.requests.length;
    const r = await raw(h.url, '/v1/chat/completions', {
      headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'content-type': 'text/plain;charset=UTF-8' },
      body: CHAT,
    });
    expect(r.status).toBe(403);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_FORBIDDEN', type: 'permission_error' });
    expect(r.json.error.message).toContain('evil.example');
    expect(h.sim.requests.length).toBe(n);
  });

  test('a foreign Host alone is refused, in the client’s dialect', async () => {
    const r = await raw(h.url, '/v1/messages', { headers: { host: 'attacker.test', ...json }, body: '{}' });
    expect(r.status).toBe(403);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    const g = await raw(h.url, '/v1beta/models/gemini-2.5-flash:generateContent', { headers: { host: '192.168.1.20:8080', ...json }, body: '{}' });
    expect(g.status).toBe(403);
    expect(g.json.error).toMatchObject({ code: 403, status: 'PERMISSION_DENIED' });
  });

  test('loopback Host values pass, with or without a port', async () => {
    for (const host of [`localhost:${port}`, 'LOCALHOST', `127.0.0.1:${port}`, '127.0.0.1', `[::1]:${port}`, '[::1]']) {
      const r = await raw(h.url, '/v1/chat/completions', { headers: { host, ...json }, body: CHAT });
      expect(r.status, host).toBe(200);
    }
  });

  test('a cross-origin browser request (foreign Origin, loopback Host) is refused', async () => {
    const r = await raw(h.url, '/v1/chat/completions', { headers: { host: `127.0.0.1:${port}`, origin: 'https://example.com', ...json }, body: CHAT });
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe('KMX_ERR_FORBIDDEN');
    const nul = await raw(h.url, '/v1/models', { headers: { host: `127.0.0.1:${port}`, origin: 'null' } });
    expect(nul.status).toBe(403);
  });

  test('a browser must send JSON: text/plain or form posts from a page are refused with 415', async () => {
    const loopbackPage = { host: `localhost:${port}`, origin: 'http://localhost:3000' };
    expect((await raw(h.url, '/v1/chat/completions', { headers: { ...loopbackPage, 'content-type': 'text/plain' }, body: CHAT })).status).toBe(415);
    const form = await raw(h.url, '/v1/chat/completions', { headers: { ...loopbackPage, 'content-type': 'application/x-www-form-urlencoded' }, body: CHAT });
    expect(form.status).toBe(415);
    expect(form.json.error.code).toBe('KMX_ERR_UNSUPPORTED_MEDIA');
    // Sec-Fetch-Site alone marks a browser too (a same-origin page sends no Origin on some requests).
    const sfs = await raw(h.url, '/v1/chat/completions', { headers: { host: `localhost:${port}`, 'sec-fetch-site': 'same-origin', 'content-type': 'text/plain' }, body: CHAT });
    expect(sfs.status).toBe(415);
    const ok = await raw(h.url, '/v1/chat/completions', { headers: { ...loopbackPage, 'content-type': 'application/json; charset=utf-8' }, body: CHAT });
    expect(ok.status).toBe(200);
    // No CORS is configured: a loopback page may call, but is given no Access-Control-Allow-Origin to read it with.
    expect(ok.headers['access-control-allow-origin']).toBeUndefined();
  });

  test('curl-style requests (no Origin, no Sec-Fetch-Site) keep working without a JSON content type', async () => {
    const r = await raw(h.url, '/v1/chat/completions', { headers: { host: `127.0.0.1:${port}`, 'content-type': 'application/x-www-form-urlencoded' }, body: CHAT });
    expect(r.status).toBe(200);
  });

  test('health checks answer whatever the Host', async () => {
    expect((await raw(h.url, '/healthz', { headers: { host: 'kubelet.internal:8080' } })).status).toBe(200);
  });
});

describe('with proxy keys the key is the guard: any Host, no CORS headers for foreign origins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ env: openaiEnv('sk-a', { KEYMUX_PROXY_KEYS: 'kmx-secret' }) });
  });
  afterAll(() => h.close());

  test('a foreign Host with the key is served; a foreign Origin gets no Access-Control-Allow-Origin', async () => {
    const r = await raw(h.url, '/v1/chat/completions', {
      headers: { host: 'keymux.internal:8080', origin: 'https://example.com', authorization: 'Bearer kmx-secret', ...json },
      body: CHAT,
    });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('server.cors with proxy keys: preflights need no key (browsers send none), requests still do', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ env: openaiEnv('sk-a', { KEYMUX_PROXY_KEYS: 'kmx-secret' }), file: 'server:\n  cors: [ "https://app.example.com" ]\n' });
  });
  afterAll(() => h.close());

  test('preflight 204 without a key; the request itself 401 without, 200 with, both carrying Access-Control-Allow-Origin', async () => {
    const origin = 'https://app.example.com';
    const pre = await raw(h.url, '/v1/chat/completions', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-headers']).toBe('authorization');
    const denied = await raw(h.url, '/v1/chat/completions', { headers: { origin, ...json }, body: CHAT });
    expect(denied.status).toBe(401);
    // The page can read why it was refused.
    expect(denied.headers['access-control-allow-origin']).toBe(origin);
    const ok = await raw(h.url, '/v1/chat/completions', { headers: { origin, authorization: 'Bearer kmx-secret', ...json }, body: CHAT });
    expect(ok.status).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe(origin);
  });
});

describe('server.cors', () => {
  let h: Harness;
  let port: string;
  beforeAll(async () => {
    h = await start({ env: openaiEnv('sk-a'), file: 'server:\n  cors: [ "https://app.example.com", "http://localhost:5173/" ]\n' });
    port = new URL(h.url).port;
  });
  afterAll(() => h.close());

  test('a preflight from a listed origin is answered, with the requested headers allowed', async () => {
    const r = await raw(h.url, '/v1/chat/completions', {
      method: 'OPTIONS',
      headers: {
        host: `localhost:${port}`,
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization, content-type, x-stainless-os',
      },
    });
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-methods']).toContain('POST');
    expect(r.headers['access-control-allow-headers']).toBe('authorization, content-type, x-stainless-os');
    expect(r.headers.vary).toContain('Origin');
  });

  test('a listed origin may call, and gets Access-Control-Allow-Origin (a trailing slash in the list is fine)', async () => {
    const r = await raw(h.url, '/v1/chat/completions', { headers: { host: `localhost:${port}`, origin: 'http://localhost:5173', ...json }, body: CHAT });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(String(r.headers['access-control-expose-headers'])).toContain('x-keymux-provider');
    const app = await raw(h.url, '/v1/chat/completions', { headers: { host: `localhost:${port}`, origin: 'https://app.example.com', ...json }, body: CHAT });
    expect(app.status).toBe(200);
  });

  test('an unlisted origin: its preflight is refused, its request too (open mode)', async () => {
    const pre = await raw(h.url, '/v1/chat/completions', {
      method: 'OPTIONS',
      headers: { host: `localhost:${port}`, origin: 'https://other.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(403);
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    const r = await raw(h.url, '/v1/chat/completions', { headers: { host: `localhost:${port}`, origin: 'https://other.example.com', ...json }, body: CHAT });
    expect(r.status).toBe(403);
  });

  test('an entry that is not an origin is a configuration error', () => {
    expect(() => loadConfig({ cwd: '/nonexistent-keymux', env: { OPENAI_API_KEYS: 'sk-a' }, configPath: writeTmp('server:\n  cors: [ "https://a.example/path" ]\n') })).toThrow(
      /server\.cors.*origin/,
    );
  });
});

/** A config file in a fresh directory. */
function writeTmp(text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), 'keymux-guard-')), 'keymux.yaml');
  writeFileSync(p, text);
  return p;
}
