// The dashboard's files (issue #16): served at /dashboard without a key, from a fixed list (nothing else under
// /dashboard reaches the disk), with a strict Content-Security-Policy and an ETag.
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, openaiEnv, start, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await start({ env: openaiEnv('sk-a,sk-b', { KEYMUX_PROXY_KEYS: 'proxy-key-0123456789', KEYMUX_ADMIN_KEY: 'admin-key-0123456789' }) });
});
afterAll(() => h.close());

/** A GET with the path sent exactly as written (fetch would resolve `..` before sending). */
function rawGet(path: string): Promise<{ status: number; body: string }> {
  const u = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('dashboard files', () => {
  test('index at /dashboard and /dashboard/, assets with their types, no key needed, CSP without unsafe-inline', async () => {
    for (const path of ['/dashboard', '/dashboard/']) {
      const r = await call(h.url, path);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(r.text).toContain('<script type="module" src="/dashboard/app.js">');
      expect(r.text).toBe(readFileSync(new URL('../../web/index.html', import.meta.url), 'utf8'));
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'none'");
      expect(csp).not.toContain('unsafe');
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('cache-control')).toBe('no-cache');
    }
    const types: Record<string, string> = {
      'app.js': 'text/javascript; charset=utf-8',
      'style.css': 'text/css; charset=utf-8',
      'icon.svg': 'image/svg+xml',
    };
    for (const [file, type] of Object.entries(types)) {
      const r = await call(h.url, `/dashboard/${file}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(type);
    }
  });

  test('an ETag, and 304 for a browser that has the file', async () => {
    const first = await call(h.url, '/dashboard/app.js');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await call(h.url, '/dashboard/app.js', undefined, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
  });

  test('nothing but the listed files: traversal, other names and other methods are refused', async () => {
    for (const path of ['/dashboard/../package.json', '/dashboard/..%2Fpackage.json', '/dashboard/%2e%2e/package.json', '/dashboard/web/index.html', '/dashboard/constructor', '/dashboard/__proto__', '/dashboard//etc/passwd', '/dashboard/app.js/']) {
      const r = await rawGet(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('"name": "keymux"');
    }
    expect((await call(h.url, '/dashboardx')).status).toBe(401); // not the dashboard: a proxy route, which wants a key
    expect((await call(h.url, '/dashboard/app.js', {})).status).toBe(405);
  });
});
