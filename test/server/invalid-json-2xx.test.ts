// Issue #13 (16b), through the server: a 200 whose body is not JSON (a proxy's HTML page, nothing, a cut-off
// JSON) is the provider failing on that key — retried on another, counted as server_error, never a success.
import { expect, test } from 'vitest';
import { call, chatBody, keySnapshots, start } from './helpers.js';
import { afterBody, completion, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

test.each([
  ['an HTML page', '<html><body>502 Bad Gateway</body></html>', 'text/html'],
  ['an empty body', '', 'application/json'],
  ['a cut-off JSON', '{"id":"chatcmpl-1","choices":[{"mess', 'application/json'],
])('a 200 with %s on one key → retried on the other, which answers', async (_n, bad, type) => {
  const server = await startUpstream((req, res) =>
    afterBody(req, () => {
      const good = req.headers.authorization === 'Bearer sk-good-1111';
      res.writeHead(200, { 'content-type': good ? 'application/json' : type });
      res.end(good ? completion('fine') : bad);
    }),
  );
  t.up = server;
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-bad-0000,sk-good-1111', OPENAI_BASE_URL: `${server.url}/v1` }), file: 'strategy: round-robin\n' });
  // Round-robin starts with the first key, the one whose answers are broken.
  const r = await call(t.h.url, '/v1/chat/completions', chatBody('x'));
  expect(r.status).toBe(200);
  expect(r.json.choices[0].message.content).toBe('fine');
  expect(r.headers.get('x-keymux-attempts')).toBe('2');
  const [bad0, good] = keySnapshots(t.h.server);
  expect(bad0).toMatchObject({ successes: 0, failures: { server_error: 1 } });
  expect(good).toMatchObject({ successes: 1 });
});

test('a 200 that is not JSON on every key → 502 KMX_ERR_UPSTREAM, never the broken body as a success', async () => {
  const server = await startUpstream((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>502 Bad Gateway</body></html>');
    }),
  );
  t.up = server;
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-bad-0000,sk-bad-1111', OPENAI_BASE_URL: `${server.url}/v1` }) });
  const r = await call(t.h.url, '/v1/chat/completions', chatBody('x'));
  expect(r.status).toBe(502);
  expect(r.json.error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('could not read') });
  expect(JSON.stringify(r.json)).not.toContain('<html>');
});
