// A whole answer relayed unchanged leaves as the bytes the provider sent (proxy.ts respond: `bytes`), with a
// content-length that counts them; one that is not valid UTF-8 still goes out as its decoding, as before, and a
// 2xx judged from its tail (json-tail.ts) still counts the usage its body reports.
import { expect, test } from 'vitest';
import { keySnapshots, start, type Harness } from './helpers.js';
import { afterBody, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

async function serveBody(body: Buffer): Promise<Harness> {
  const server = await startUpstream((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_bytes' });
      res.end(body);
    }),
  );
  t.up = server;
  return start({ env: () => ({ OPENAI_API_KEYS: 'sk-only-0000', OPENAI_BASE_URL: `${server.url}/v1` }) });
}

async function post(base: string): Promise<{ status: number; bytes: Buffer; length: string | null }> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }),
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()), length: res.headers.get('content-length') };
}

test('a 2xx answer goes to the client byte for byte (spacing, member order, multi-byte text), its usage counted', async () => {
  const text = '{ "id" : "chatcmpl-1",\n  "choices": [{"index":0,"message":{"role":"assistant","content":"héllo — 世界 \\u00e9"},"finish_reason":"stop"}],\n  "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},\n  "system_fingerprint": "fp_x" }\n';
  t.h = await serveBody(Buffer.from(text, 'utf8'));
  const r = await post(t.h.url);
  expect(r.status).toBe(200);
  expect(r.bytes.equals(Buffer.from(text, 'utf8'))).toBe(true);
  expect(r.length).toBe(String(Buffer.byteLength(text)));
  const [k] = keySnapshots(t.h.server);
  expect(k).toMatchObject({ successes: 1 });
  expect(JSON.stringify(k)).toContain('"inputTokens":7');
});

test('an answer that is not valid UTF-8 goes out as its decoding (U+FFFD), as it did before', async () => {
  const body = Buffer.concat([Buffer.from('{"id":"x","choices":[{"message":{"content":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}}],"usage":{"prompt_tokens":1}}')]);
  t.h = await serveBody(body);
  const r = await post(t.h.url);
  expect(r.status).toBe(200);
  const decoded = body.toString('utf8');
  expect(r.bytes.toString('utf8')).toBe(decoded);
  expect(r.bytes.equals(body)).toBe(false);
  expect(r.length).toBe(String(Buffer.byteLength(decoded)));
});

test("a stream request goes upstream as the client's own bytes, with include_usage added before the last brace", async () => {
  const seen: string[] = [];
  t.up = await startUpstream((req, res) =>
    afterBody(req, (body) => {
      seen.push(body);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"id":"c","choices":[],"usage":{"prompt_tokens":2,"completion_tokens":1,"total_tokens":3}}\n\ndata: [DONE]\n\n');
    }),
  );
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-only-0000', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
  // Spacing, member order and multi-byte text that a re-serialisation would change; white space after the brace.
  const sent = '{ "model" : "gpt-4o-mini", "stream":true,\n "messages": [{"role":"user","content":"héllo — 世界 \\u00e9"}] }\n  ';
  const res = await fetch(`${t.h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent });
  expect(res.status).toBe(200);
  // keymux asked for the usage chunk, so the client (which did not) does not see it.
  expect(await res.text()).toBe('data: [DONE]\n\n');
  expect(seen).toEqual([`{ "model" : "gpt-4o-mini", "stream":true,\n "messages": [{"role":"user","content":"héllo — 世界 \\u00e9"}] ,"stream_options":{"include_usage":true}}`]);
});
