// A client that stops reading a stream holds the provider back (src/server/stream-body.ts): keymux keeps no
// more than its buffers, the upstream's writes stall, and when the client reads again every event arrives, in
// order, to the end. Plain and gzip-coded streams (the decoders sit between undici's parser and the relay).
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { createGzip } from 'node:zlib';
import type { Writable } from 'node:stream';
import { expect, test } from 'vitest';
import { chatBody, eventually, inFlight, start } from './helpers.js';
import { afterBody, startUpstream, closedAfterEach } from './upstream-fixture.js';

const t = closedAfterEach();

const EVENTS = 40_000;
/** Random text (base64 of random bytes): a gzip-coded stream stays about as large as the plain one. */
const PADS = Array.from({ length: 64 }, () => randomBytes(600).toString('base64'));
const event = (i: number) => `data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"${i} ${PADS[i % 64]}"}}]}\n\n`;
/** ~36 MB: more than every buffer on the way (sockets' and keymux's) can hold. */
const TOTAL = EVENTS * event(0).length;

/** The provider: writes the events as fast as its reader takes them; says how far it got and whether it waits. */
function provider(gzip: boolean) {
  const state = { written: 0, waitingSince: 0, done: false };
  const handler = (req: Parameters<typeof afterBody>[0], res: import('node:http').ServerResponse) =>
    afterBody(req, () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', ...(gzip && { 'content-encoding': 'gzip' }) });
      let out: Writable = res;
      if (gzip) {
        const z = createGzip();
        z.pipe(res);
        out = z;
      }
      let i = 0;
      const pump = (): void => {
        state.waitingSince = 0;
        while (i < EVENTS) {
          const e = event(i++);
          state.written += e.length;
          if (!out.write(e)) {
            state.waitingSince = performance.now();
            out.once('drain', pump);
            return;
          }
        }
        state.done = true;
        out.end('data: [DONE]\n\n');
      };
      pump();
    });
  return { state, handler };
}

async function holdsBack(gzip: boolean): Promise<void> {
  const p = provider(gzip);
  t.up = await startUpstream(p.handler);
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
  const body = JSON.stringify(chatBody('x', { stream: true }));
  const text = await new Promise<string>((resolve, reject) => {
    const req = request(`${t.h!.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' } }, (res) => {
      const parts: Buffer[] = [];
      res.once('data', (c: Buffer) => {
        parts.push(c);
        res.pause();
        // The client reads nothing more until the provider has been waiting on its writes for a while.
        const check = setInterval(() => {
          if (p.state.done) {
            clearInterval(check);
            reject(new Error('the provider wrote the whole stream while the client read nothing: keymux buffered it'));
            return;
          }
          if (p.state.waitingSince === 0 || performance.now() - p.state.waitingSince < 300) return;
          clearInterval(check);
          try {
            expect(p.state.written).toBeGreaterThan(0);
            expect(p.state.written).toBeLessThan(TOTAL / 2);
          } catch (e) {
            reject(e as Error);
            return;
          }
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
          res.resume();
        }, 50);
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
  const ids = [...text.matchAll(/"content":"(\d+) /g)].map((m) => Number(m[1]));
  expect(ids).toHaveLength(EVENTS);
  expect(ids.every((v, i) => v === i)).toBe(true);
  expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
}

test('a client that stops reading stalls the provider; reading again gets every event, in order', { timeout: 60_000 }, async () => {
  await holdsBack(false);
});

test('the same through a gzip-coded stream, decoded on the way', { timeout: 60_000 }, async () => {
  await holdsBack(true);
});

test('a client that stops reading and then leaves frees the key and ends the upstream request', { timeout: 60_000 }, async () => {
  const p = provider(false);
  t.up = await startUpstream(p.handler);
  t.h = await start({ env: () => ({ OPENAI_API_KEYS: 'sk-aaaaaaaa', OPENAI_BASE_URL: `${t.up!.url}/v1` }) });
  const req = request(`${t.h.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' } }, (res) => {
    res.once('data', () => res.pause());
  });
  req.on('error', () => {});
  req.end(JSON.stringify(chatBody('x', { stream: true })));
  // keymux waits for the client's socket to drain, with the provider stalled behind it.
  await eventually(() => p.state.waitingSince > 0 && performance.now() - p.state.waitingSince > 300, 20_000);
  expect(inFlight(t.h.server)).toBe(1);
  req.destroy();
  await t.up.closed(1);
  await eventually(() => inFlight(t.h!.server) === 0);
  expect(p.state.done).toBe(false);
});
