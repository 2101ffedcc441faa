// The SSE splitter looks at each byte once and holds at most one capped event (#13 item 8): an event that
// never ends is a broken stream (the client gets its dialect's error event), not a quadratic stall.
import { describe, expect, test } from 'vitest';
import { SseEventTooLarge, SseSplitter, type SseEvent } from '../../src/server/sse.js';
import { call, chatBody, dataJson, keySnapshots, start } from './helpers.js';
import { afterBody, startUpstream, closedAfterEach } from './upstream-fixture.js';

const enc = new TextEncoder();
const STREAM = [
  '\ufeffevent: message_start\r\ndata: {"a":1}\r\n\r\n',
  ': keep-alive\n\n',
  'data: {"text":"héllo wörld ✓ 😀"}\n\n',
  'data: line one\ndata: line two\r\n\r\n',
  'event: ping\rdata: {}\r\r',
  'data: [DONE]\n\n',
].join('');

function run(chunks: Uint8Array[], s = new SseSplitter()): SseEvent[] {
  return [...chunks.flatMap((c) => s.push(c)), ...s.flush()];
}

describe('SseSplitter', () => {
  const bytes = enc.encode(STREAM);
  const whole = run([bytes]);

  test('the events of one push', () => {
    expect(whole.map((e) => e.data)).toEqual(['{"a":1}', undefined, '{"text":"héllo wörld ✓ 😀"}', 'line one\nline two', '{}', '[DONE]']);
    expect(whole[0]).toEqual({ raw: 'event: message_start\ndata: {"a":1}\n\n', event: 'message_start', data: '{"a":1}' });
    expect(whole[4]!.event).toBe('ping');
  });

  test('the same events whatever the chunking: split at every byte, and one byte per push', () => {
    for (let i = 1; i < bytes.length; i++) expect(run([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(whole);
    expect(run([...bytes].map((b) => Uint8Array.of(b)))).toEqual(whole);
  });

  test('many small chunks of one growing event are scanned once, not again at every push', () => {
    const chunk = enc.encode('x'.repeat(100));
    const n = 2_000;
    const s = new SseSplitter();
    const indexOf = String.prototype.indexOf;
    const includes = String.prototype.includes;
    let scanned = 0;
    String.prototype.indexOf = function (this: string, search: string, from?: number) {
      scanned += this.length - Math.max(0, from ?? 0);
      return indexOf.call(this, search, from);
    };
    String.prototype.includes = function (this: string, search: string, from?: number) {
      scanned += this.length - Math.max(0, from ?? 0);
      return includes.call(this, search, from);
    };
    let events: SseEvent[];
    try {
      s.push(enc.encode('data: '));
      for (let i = 0; i < n; i++) s.push(chunk);
      events = s.push(enc.encode('\n\n'));
    } finally {
      String.prototype.indexOf = indexOf;
      String.prototype.includes = includes;
    }
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toHaveLength(100 * n);
    // Linear: a few looks per character at most (a re-scan per push would be ~n/2 looks per character).
    expect(scanned).toBeLessThan(4 * 100 * n);
  });

  test('an event past the cap throws SseEventTooLarge; one under it passes', () => {
    const s = new SseSplitter(1_000);
    expect(s.push(enc.encode(`data: ${'y'.repeat(900)}\n\n`))).toHaveLength(1);
    s.push(enc.encode('data: '));
    expect(() => {
      for (let i = 0; i < 20; i++) s.push(enc.encode('z'.repeat(100)));
    }).toThrow(SseEventTooLarge);
  });
});

describe('a 20 MB event without a separator, through the proxy', () => {
  const t = closedAfterEach();

  test('ends the client stream with its error event; the key is charged a network failure', async () => {
    const total = 20 * 1024 * 1024;
    t.up = await startUpstream((req, res) =>
      afterBody(req, () => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: {"id":"c","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"ok"}}]}\n\ndata: ');
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        let sent = 0;
        const pump = () => {
          while (!res.destroyed && sent < total) {
            sent += chunk.length;
            if (!res.write(chunk)) return;
          }
          if (!res.destroyed) res.end('\n\n');
        };
        res.on('drain', pump);
        pump();
      }),
    );
    const base = `${t.up.url}/v1`;
    t.h = await start({ file: 'retry:\n  maxAttempts: 1\n', env: () => ({ OPENAI_API_KEYS: 'sk-sse-cap-1', OPENAI_BASE_URL: base }) });
    const r = await call(t.h.url, '/v1/chat/completions', chatBody('x', { stream: true }));
    expect(r.status).toBe(200);
    expect(r.text.length).toBeLessThan(1024 * 1024);
    const chunks = dataJson(r.events);
    expect(chunks[0].choices[0].delta.content).toBe('ok');
    expect(chunks.at(-1).error).toMatchObject({ code: 'KMX_ERR_UPSTREAM', message: expect.stringContaining('event') });
    await t.up.closed(1);
    expect(keySnapshots(t.h.server)[0]!.failures.network).toBe(1);
  });
});

test('a \r at a chunk end, its \n alone in the next chunk, then a blank line: the event ends there', () => {
  const s = new SseSplitter();
  const events = ['data: a\r', '\n', '\n', 'data: b\n\n'].flatMap((c) => s.push(Buffer.from(c)));
  expect(events.map((e) => e.data)).toEqual(['a', 'b']);
});
