import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { letGo, readBody } from '../../src/server/body.js';
import { once } from 'node:events';

/** A server whose every request's body is read by readBody; the outcome of each read, in order. */
function serve(limit: number): Promise<{ server: Server; port: number; reads: Promise<Buffer | Error>[] }> {
  const reads: Promise<Buffer | Error>[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    const read = readBody(req, limit).catch((e: unknown) => e as Error);
    reads.push(read);
    void read.then((b) => res.end(b instanceof Error ? `error: ${b.message}` : `read ${b.length}`));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port, reads })));
}

/** Sends `parts` on one connection, `gapMs` apart, and returns everything the server wrote back. */
function raw(port: number, parts: string[], gapMs: number, end = true): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.on('connect', async () => {
      for (const p of parts) {
        s.write(p);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      if (end) s.end();
      else s.destroy();
    });
  });
}

const head = (length: number) => `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n`;

let server: Server | undefined;
afterEach(() => server?.close());

describe('readBody', () => {
  it('a body that came with its headers, small or 32 KB, is read whole and exactly', async () => {
    const s = await serve(1 << 20);
    server = s.server;
    for (const size of [2, 91, 32_768]) {
      const body = `"${'x'.repeat(size - 2)}"`;
      expect(await raw(s.port, [head(size) + body], 0)).toContain(`read ${size}`);
    }
    const bodies = await Promise.all(s.reads);
    expect(bodies.map((b) => (b instanceof Error ? b.message : b.length))).toEqual([2, 91, 32_768]);
  });

  it('a body taken in one read ends only when let go, once the answer is out', async () => {
    const ends: string[] = [];
    server = createServer((req, res) => {
      void (async () => {
        const body = await readBody(req, 1 << 20);
        req.once('end', () => ends.push('end'));
        // Turns pass (the upstream call would go out here): the request's end is not run among them.
        await new Promise((r) => setImmediate(r));
        ends.push('answered');
        res.end(`read ${body.length}`);
        letGo(req);
        await once(req, 'close');
        ends.push('closed');
      })();
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    expect(await raw(port, [head(13) + '{"a":1,"b":2}'], 0)).toContain('read 13');
    await expect.poll(() => ends).toEqual(['answered', 'end', 'closed']);
  });

  it('a body that comes after its headers, in pieces, is read as it streams in', async () => {
    const s = await serve(1 << 20);
    server = s.server;
    expect(await raw(s.port, [head(13), '{"a":', '1,"b":2}'], 30)).toContain('read 13');
    expect(((await s.reads[0]!) as Buffer).toString()).toBe('{"a":1,"b":2}');
  });

  it('a body over the limit is refused, whether it came with its headers or later', async () => {
    const s = await serve(10);
    server = s.server;
    // Declared too large: refused from the header alone.
    expect(await raw(s.port, [head(11) + 'x'.repeat(11)], 0)).toContain('larger than the limit of 10 bytes');
    // Undeclared (chunked) and too large.
    const chunked = 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n';
    expect(await raw(s.port, [chunked, 'b\r\nxxxxxxxxxxx\r\n', '0\r\n\r\n'], 20)).toContain('larger than the limit of 10 bytes');
  });

  it('a client that leaves mid-upload fails the read (nobody is answered)', async () => {
    const s = await serve(1 << 20);
    server = s.server;
    await raw(s.port, [head(100), 'x'.repeat(10)], 30, false);
    const err = await s.reads[0]!;
    expect(err).toBeInstanceOf(Error);
    expect((err as Error & { code?: string }).code).toBe('ECONNRESET');
  });
});
