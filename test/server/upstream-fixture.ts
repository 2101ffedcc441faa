// A hand-written upstream for the hardening tests: a node:http server on 127.0.0.1 that misbehaves on purpose
// (stalls, resets, endless or encoded bodies, echoed keys), where the simulator behaves.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';
import type { Harness } from './helpers.js';

export interface TestUpstream {
  /** e.g. http://127.0.0.1:1234 (the OpenAI base URL is this + '/v1'). */
  url: string;
  /** Every request seen, in order: method, path, headers. */
  requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }>;
  /** Resolves when the n-th request's connection (1-based) has closed. */
  closed(n: number): Promise<void>;
  close(): Promise<void>;
}

export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export async function startUpstream(handler: UpstreamHandler): Promise<TestUpstream> {
  const requests: TestUpstream['requests'] = [];
  const closes: Array<Promise<void>> = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    closes.push(new Promise((resolve) => res.on('close', () => resolve())));
    handler(req, res, requests.length);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    closed: async (n) => {
      while (closes.length < n) await new Promise((r) => setTimeout(r, 5));
      await closes[n - 1];
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Forwards a request to another server (the simulator) unchanged. */
export function forward(base: string, req: IncomingMessage, res: ServerResponse): void {
  const up = request(base + (req.url ?? ''), { method: req.method, headers: req.headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}

/** A minimal OpenAI chat completion. */
export function completion(content: string): string {
  return JSON.stringify({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 0,
    model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

/** Reads a request body, then calls `then` with it (answering before the body is read may reset the client). */
export function afterBody(req: IncomingMessage, then: (body: string) => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => (body += c));
  req.on('end', () => then(body));
}

/**
 * What a test starts, closed after each test of the file: keymux (`h`) in front of a test upstream (`up`).
 * `const t = closedAfterEach();` once, then `t.up = await startUpstream(…)`, `t.h = await start(…)` in a test.
 */
export interface Started {
  h?: Harness;
  up?: TestUpstream;
}

export function closedAfterEach(): Started {
  const t: Started = {};
  afterEach(async () => {
    await t.h?.close();
    await t.up?.close();
    delete t.h;
    delete t.up;
  });
  return t;
}
