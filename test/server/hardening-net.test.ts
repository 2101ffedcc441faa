// Client sockets are bounded (#13 item 3): a client that dribbles its headers or its body is cut, an idle
// keep-alive connection is closed, connections past server.maxConnections are refused, and none of those
// timeouts cuts a long answer or a long stream.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { call, chatBody, openStream, openaiEnv, start, type Harness } from './helpers.js';

/** A raw TCP client: what it received, and a promise of its close. */
function rawClient(url: string): { socket: Socket; received: () => string; closed: Promise<void>; connected: Promise<void> } {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (text += d));
  socket.on('error', () => {}); // a reset is one way of being cut
  return {
    socket,
    received: () => text,
    closed: new Promise((resolve) => socket.on('close', () => resolve())),
    connected: new Promise((resolve) => socket.on('connect', () => resolve())),
  };
}

/** Writes `line` every few ms until the socket closes. */
function dribble(socket: Socket, line: string): void {
  const t = setInterval(() => {
    if (socket.destroyed || socket.writableEnded) clearInterval(t);
    else socket.write(line);
  }, 20);
  socket.on('close', () => clearInterval(t));
}

describe('timeouts (configured tiny)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'sk-slow': { chunkDelayMs: 300 }, 'sk-late': { latencyMs: 600 } } },
      file: 'server:\n  clientHeadersTimeoutMs: 200\n  clientRequestTimeoutMs: 200\n  keepAliveTimeoutMs: 200\n',
      env: openaiEnv('sk-slow,sk-late'),
    });
  });
  afterAll(() => h.close());

  test('a client that dribbles its headers is cut with a 408 after clientHeadersTimeoutMs', async () => {
    const c = rawClient(h.url);
    await c.connected;
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    dribble(c.socket, 'X-Slow: 1\r\n');
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('a client that dribbles its body is cut with a 408 after clientRequestTimeoutMs', async () => {
    const c = rawClient(h.url);
    await c.connected;
    c.socket.write('POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{');
    dribble(c.socket, ' ');
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  test('an idle keep-alive connection is closed after keepAliveTimeoutMs', async () => {
    const c = rawClient(h.url);
    await c.connected;
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 200 /);
  });

  test('a stream that lasts longer than every timeout is not cut', async () => {
    const s = await openStream(h.url, '/v1/chat/completions', chatBody('one two three four five six seven eight', { stream: true }));
    expect(s.res.status).toBe(200);
    const all = await s.readAll();
    expect(all.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  test('an answer slower than every timeout is not cut', async () => {
    // Both keys are tried in turn by the default strategy; each answer takes ≥ 600 ms in total.
    for (let i = 0; i < 2; i++) {
      const r = await call(h.url, '/v1/chat/completions', chatBody('slow one'));
      expect(r.status).toBe(200);
    }
  });
});

describe('server.maxConnections', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ file: 'server:\n  maxConnections: 2\n', env: openaiEnv() });
  });
  afterAll(() => h.close());

  test('connections past the cap are closed unanswered; /healthz answers on a fresh one once another closes', async () => {
    const accepted: Socket[] = [];
    h.server.http.on('connection', (s: Socket) => accepted.push(s));
    const a = rawClient(h.url);
    const b = rawClient(h.url);
    await Promise.all([a.connected, b.connected]);
    while (accepted.length < 2) await new Promise((r) => setTimeout(r, 5));

    const dropped = new Promise<void>((resolve) => h.server.http.once('drop', () => resolve()));
    const c = rawClient(h.url);
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await Promise.all([c.closed, dropped]);
    expect(c.received()).toBe('');

    const gone = new Promise<void>((resolve) => accepted[0]!.once('close', () => resolve()));
    a.socket.destroy();
    await gone;
    const r = await call(h.url, '/healthz', undefined, { headers: { connection: 'close' } });
    expect(r.status).toBe(200);
    b.socket.destroy();
  });
});
