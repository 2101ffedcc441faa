// Random answers from the provider, whatever it sends: any status, content type and coding (applied, claimed
// and not applied, or unknown), rate-limit and retry headers of any text, bodies whole, cut off, empty, not JSON
// or SSE where JSON was asked. keymux relays the answer or says in its own words why it cannot, and never with a
// 500 of its own (KMX_ERR_INTERNAL); the server keeps serving.
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, chatBody, start, type Harness } from './helpers.js';
import { afterBody, completion, startUpstream, type TestUpstream } from './upstream-fixture.js';

interface Answer {
  status: number;
  contentType: string | undefined;
  coding: string | undefined;
  /** Whether the body is encoded as the coding claims (else it is sent as it is). */
  encoded: boolean;
  body: string;
  headers: Record<string, string>;
}

const ENCODE: Readonly<Record<string, (b: Buffer) => Buffer>> = {
  gzip: gzipSync,
  br: brotliCompressSync,
  deflate: deflateSync,
  identity: (b) => b,
  'gzip, gzip': (b) => gzipSync(gzipSync(b)),
};

const sse = (events: string[]): string => events.map((e) => `data: ${e}\n\n`).join('') + 'data: [DONE]\n\n';
const chunk = (content: string) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });

const text = fc.string({ maxLength: 40 });
const body: fc.Arbitrary<string> = fc.oneof(
  text.map(completion),
  text.map((t) => completion(t).slice(0, Math.max(0, completion(t).length - 7))),
  text.map((t) => JSON.stringify({ error: { message: t, type: 'invalid_request_error', code: t } })),
  fc.json({ maxDepth: 3 }),
  fc.array(text.map(chunk), { maxLength: 3 }).map(sse),
  text,
  fc.constant(''),
  fc.constant('<html><body>Bad Gateway</body></html>'),
);
const headerValue = fc.oneof(text, fc.integer().map(String), fc.constantFrom('6m0s', '1e308', '-1', 'NaN', '0', '2026-11-25T12:00:03Z', 'Wed, 25 Nov 2026 12:00:30 GMT', '1.5'));
const answer: fc.Arbitrary<Answer> = fc.record({
  status: fc.constantFrom(200, 200, 201, 204, 400, 401, 402, 403, 404, 408, 413, 422, 429, 500, 502, 503, 529),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/event-stream', 'text/html', 'text/plain', undefined),
  coding: fc.constantFrom(undefined, undefined, 'gzip', 'br', 'deflate', 'identity', 'gzip, gzip', 'x-squash'),
  encoded: fc.boolean(),
  body,
  headers: fc.dictionary(
    fc.constantFrom('retry-after', 'retry-after-ms', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens', 'x-request-id'),
    // Header values must be visible ASCII to be sent at all.
    headerValue.map((v) => v.replace(/[^\x20-\x7e]/g, '?').trim() || '?'),
    { maxKeys: 5 },
  ),
});

let up: TestUpstream;
let h: Harness;
let next: Answer | undefined;
beforeAll(async () => {
  up = await startUpstream((req, res) =>
    afterBody(req, () => {
      const a = next!;
      const headers: Record<string, string> = { ...a.headers };
      if (a.contentType !== undefined) headers['content-type'] = a.contentType;
      if (a.coding !== undefined) headers['content-encoding'] = a.coding;
      const raw = Buffer.from(a.body);
      const encode = a.coding !== undefined && a.encoded ? ENCODE[a.coding] : undefined;
      res.writeHead(a.status, headers);
      res.end(a.status === 204 ? undefined : encode ? encode(raw) : raw);
    }),
  );
  h = await keymux();
});

/**
 * A fresh keymux when the last one no longer called the provider: an answer may leave every key cooling, disabled
 * or over a limit it stated. Nothing waits for a key (timeoutMs 0): such a request is refused at once.
 */
const keymux = () => start({ file: 'retry:\n  maxAttempts: 1\nqueue:\n  timeoutMs: 0\n', env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa,sk-bbbbbbbb', OPENAI_BASE_URL: `${up.url}/v1` }) });
afterAll(async () => {
  await h.close();
  await up.close();
});

describe('fuzz: whatever the provider answers, keymux never answers with a 500 of its own', () => {
  for (const stream of [false, true]) {
    test(stream ? 'streamed requests' : 'whole requests', async () => {
      let cases = 0;
      let reached = 0;
      await fc.assert(
        fc.asyncProperty(answer, async (a) => {
          next = a;
          const before = up.requests.length;
          const r = await call(h.url, '/v1/chat/completions', chatBody('x', stream ? { stream: true } : {}));
          expect(r.status).toBeGreaterThanOrEqual(200);
          const code = (r.json as { error?: { code?: unknown } } | undefined)?.error?.code;
          expect(code).not.toBe('KMX_ERR_INTERNAL');
          expect((await call(h.url, '/healthz')).status).toBe(200);
          cases++;
          if (up.requests.length > before) reached++;
          else {
            await h.close();
            h = await keymux();
          }
        }),
        { numRuns: 150 },
      );
      // Most answers were the provider's to judge, not a pool that no longer called it.
      expect(reached).toBeGreaterThan(cases / 2);
    }, 60_000);
  }
});
