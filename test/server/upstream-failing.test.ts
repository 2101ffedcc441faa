// Issue #13 (16a): after a streak of 5xx answers or timeouts every key backs off, and the next client is told the
// true reason — the provider is failing, with the last answer it gave — as a gateway error with Retry-After,
// never "every key is cooling down after rate limits".
import { afterEach, describe, expect, test } from 'vitest';
import { call, chatBody, openaiEnv, start, type Harness } from './helpers.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Config: no queue wait (the refusal comes at once), three attempts per request. */
const FILE = 'queue:\n  timeoutMs: 0\nretry:\n  maxAttempts: 3\n';

describe('a failing provider is not a rate limit', () => {
  test('a streak of 500s: the provider’s errors are relayed, then 502 KMX_ERR_UPSTREAM naming the last answer', async () => {
    h = await start({ sim: { keys: { 'sk-f1': { failRate: 1 }, 'sk-f2': { failRate: 1 } } }, env: openaiEnv('sk-f1,sk-f2'), file: FILE });
    // Three failures per key put both in backoff: 3 attempts per request, two requests.
    for (let i = 0; i < 2; i++) expect((await call(h.url, '/v1/chat/completions', chatBody('x'))).status).toBe(500);
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(502);
    expect(r.json.error.code).toBe('KMX_ERR_UPSTREAM');
    expect(r.json.error.message).toMatch(/the provider is failing: last answer 500/);
    expect(r.json.error.message).not.toMatch(/rate limit/);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  test('timeouts: 504 KMX_ERR_UPSTREAM_TIMEOUT naming the timeout', async () => {
    h = await start({
      sim: { keys: { 'sk-h1': { hangMs: 5_000 } } },
      env: openaiEnv('sk-h1'),
      file: `${FILE}server:\n  headersTimeoutMs: 100\n`,
    });
    const first = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(first.json.error.code).toBe('KMX_ERR_UPSTREAM_TIMEOUT');
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(504);
    expect(r.json.error.message).toMatch(/the provider is failing: last attempt: UND_ERR_HEADERS_TIMEOUT/);
    expect(r.headers.get('retry-after')).not.toBeNull();
  });
});
