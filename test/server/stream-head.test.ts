// A stream's head leaves keymux with its first events when they came together (relay.ts), and alone, at once,
// when the provider is slow to its first token: a client sees the 200 and keymux's headers while the provider
// is still thinking, as it would talking to the provider itself.
import { expect, test } from 'vitest';
import { chatBody, openStream, start } from './helpers.js';
import { afterBody, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

const event = (content: string) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${content}"}}]}\n\n`;

test('the head reaches the client before a slow first event, and the events follow', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  t.up = await startUpstream((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.flushHeaders();
      void held.then(() => res.end(event('late') + 'data: [DONE]\n\n'));
    }),
  );
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
  // fetch resolves at the response's head: it cannot while keymux holds the head back for the first event.
  const s = await openStream(t.h.url, '/v1/chat/completions', chatBody('x', { stream: true }), { authorization: 'Bearer x' });
  expect(s.res.status).toBe(200);
  expect(s.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
  expect(s.res.headers.get('x-keymux-provider')).toBe('openai');
  expect(s.text).toBe('');
  release();
  const text = await s.readAll();
  expect(text).toContain('"content":"late"');
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
});

test('a head that comes with the whole stream goes out with it: every event, in order, once', async () => {
  const events = Array.from({ length: 50 }, (_, i) => event(`e${i}`)).join('');
  t.up = await startUpstream((req, res) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(events + 'data: [DONE]\n\n');
    }),
  );
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
  const s = await openStream(t.h.url, '/v1/chat/completions', chatBody('x', { stream: true }), { authorization: 'Bearer x' });
  expect(s.res.status).toBe(200);
  const text = await s.readAll();
  expect(text).toBe(events + 'data: [DONE]\n\n');
});
