// A provider key echoed back by the provider never reaches the client unmasked (#13 item 11): not in a 200
// body, not in a forwarded response header, not in a stream event (even one whose bytes arrive split).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anthropicBody, call, chatBody, start, type Harness } from './helpers.js';
import { afterBody, completion, startUpstream, type TestUpstream } from './upstream-fixture.js';

const KEY = 'sk-echo-0123456789abcdef';
const chunk = (content: string) => JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });

let h: Harness;
let up: TestUpstream;
beforeAll(async () => {
  up = await startUpstream((req, res) =>
    afterBody(req, (body) => {
      const key = String(req.headers.authorization).replace(/^Bearer /, '');
      const streaming = body.includes('"stream":true');
      if (!streaming) {
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': `req-${key}` });
        res.end(completion(`you sent ${key}, thanks`));
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-request-id': `req-${key}` });
      // The first event's bytes end in the middle of the key; the rest follows a moment later.
      const first = `data: ${chunk(`key ${key} in a delta`)}\n\n`;
      const cut = first.indexOf(key) + 7;
      res.write(first.slice(0, cut));
      setTimeout(() => {
        res.write(first.slice(cut));
        res.end(`data: ${JSON.stringify({ error: { message: `Incorrect API key provided: ${key}`, type: 'invalid_request_error' } })}\n\n`);
      }, 20);
    }),
  );
  h = await start({ env: () => ({ OPENAI_API_KEYS: KEY, OPENAI_BASE_URL: `${up.url}/v1` }) });
});
afterAll(async () => {
  await h.close();
  await up.close();
});

describe('the key echoed by the provider is masked', () => {
  test('in a 200 body and in a forwarded header', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(r.text).not.toContain(KEY);
    expect(r.json.choices[0].message.content).toMatch(/^you sent sk-.*cdef, thanks$/);
    const rid = r.headers.get('x-request-id') ?? '';
    expect(rid).not.toContain(KEY);
    expect(rid).toMatch(/^req-sk-.*cdef$/);
  });

  test('in stream events, a content delta split across reads and a mid-stream error event', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.text).toContain('in a delta');
    expect(r.text).toContain('Incorrect API key provided');
    expect(r.text).not.toContain(KEY);
    expect(r.headers.get('x-request-id') ?? '').not.toContain(KEY);
  });

  test('in a translated stream (Anthropic client, OpenAI provider)', async () => {
    const r = await call(h.url, '/v1/messages', anthropicBody('x', { model: 'openai/gpt-4o-mini', stream: true }), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(r.status).toBe(200);
    expect(r.text).toContain('in a delta');
    expect(r.text).not.toContain(KEY);
  });
});
