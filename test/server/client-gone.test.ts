// The "client went away" signal belongs to the client's connection (sockets.ts clientGone): made at its first
// request, shared by the requests of a keep-alive connection, aborted when the connection closes. These tests
// talk to a node:http server on 127.0.0.1 that records each request's signal.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { clientGone } from '../../src/server/sockets.js';

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

/** Resolves when the signal has aborted (at once if it has). */
const abortOf = (s: AbortSignal): Promise<void> => new Promise((r) => (s.aborted ? r() : s.addEventListener('abort', () => r())));

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  close = () => {
    server.closeAllConnections();
    return new Promise((r) => server.close(() => r()));
  };
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('clientGone', () => {
  it('gives the requests of one keep-alive connection one signal, not aborted while the connection lives', async () => {
    const signals: AbortSignal[] = [];
    const url = await serve((_req, res) => {
      signals.push(clientGone(res));
      res.end('ok');
    });
    const agent = new Agent({ connections: 1 });
    for (let i = 0; i < 3; i++) expect(await (await request(url, { dispatcher: agent })).body.text()).toBe('ok');
    await agent.close();
    expect(signals).toHaveLength(3);
    expect(signals[1]).toBe(signals[0]);
    expect(signals[2]).toBe(signals[0]);
    // The connection is closed now: its signal aborts (the next request would come on a new one).
    await abortOf(signals[0]!);
    expect(signals[0]!.aborted).toBe(true);
  });

  it('aborts while the request is in flight when the client closes its connection', async () => {
    let arrived!: (s: AbortSignal) => void;
    const got = new Promise<AbortSignal>((r) => (arrived = r));
    const url = await serve((_req, res) => arrived(clientGone(res))); // never answers
    const ac = new AbortController();
    const pending = request(url, { signal: ac.signal }).catch(() => undefined);
    const gone = await got;
    expect(gone.aborted).toBe(false);
    ac.abort();
    await pending;
    await abortOf(gone);
    expect(gone.aborted).toBe(true);
  });

  it('two connections get two signals; closing one leaves the other alone', async () => {
    const signals: AbortSignal[] = [];
    const url = await serve((_req, res) => {
      signals.push(clientGone(res));
      res.end('ok');
    });
    const a = new Agent({ connections: 1 });
    const b = new Agent({ connections: 1 });
    await (await request(url, { dispatcher: a })).body.text();
    await (await request(url, { dispatcher: b })).body.text();
    await a.destroy();
    await abortOf(signals[0]!);
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals[0]!.aborted).toBe(true);
    expect(signals[1]!.aborted).toBe(false);
    await b.close();
  });
});
