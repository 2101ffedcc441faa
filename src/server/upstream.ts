import { pipeline, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { Headers, PreparedCall } from '../providers/index.js';

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** The body, unread and decoded: a stream to relay, or to read with readText(). */
  body: Readable;
}

/**
 * A provider answer keymux will not relay: longer than it buffers, or in an encoding it cannot decode. The
 * adapter sees it as a transport failure (its `code` is the reason); the client gets 502 KMX_ERR_UPSTREAM.
 */
export class UpstreamBodyError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'UpstreamBodyError';
    this.code = code;
  }
}

/** Content codings a provider may apply although keymux asked for none (undici's decompress interceptor's set, minus zstd: Node 20 has none). */
const DECODERS: Readonly<Record<string, () => Transform>> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** Sends a prepared call with one key; the secret exists only in the headers built here. */
export async function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal): Promise<UpstreamResponse> {
  // headers() builds a fresh object per call. Without Accept-Encoding a server may use any coding (RFC 9110
  // §12.5.3), and keymux parses and relays text: ask for none (a configured header still wins).
  const headers = call.headers(key);
  headers['accept-encoding'] ??= 'identity';
  const res = await dispatcher.request({
    origin: call.origin,
    path: call.path,
    method: call.method,
    headers,
    body: call.body ?? null,
    signal,
  });
  // undici's headers object is the plain name → value record the adapters read.
  const h: Headers = res.headers;
  const coding = h['content-encoding'];
  if (coding === undefined) return { status: res.statusCode, headers: h, body: res.body };
  return decoded(res.statusCode, h, String(coding), res.body);
}

/** A body sent encoded anyway, decoded; an encoding keymux cannot decode fails the attempt. */
function decoded(status: number, headers: Headers, coding: string, body: Readable): UpstreamResponse {
  // Codings are listed in the order they were applied: undo them from the last.
  const codings = coding.toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity').reverse();
  if (codings.length === 0 || status === 204 || status === 304) return { status, headers, body };
  const stages: Transform[] = [];
  for (const c of codings) {
    const make = DECODERS[c];
    if (!make) {
      discard(body);
      throw new UpstreamBodyError('KMX_UPSTREAM_ENCODING', `The provider answered in an encoding keymux cannot decode (content-encoding: ${coding.slice(0, 100)})`);
    }
    stages.push(make());
  }
  const out = stages[stages.length - 1]!;
  // A failure anywhere (the socket, a corrupt body) destroys every stage, so it reaches whoever reads `out`;
  // destroying `out` (a client that left) destroys the upstream body too.
  pipeline([body, ...stages], () => {});
  const rest: Headers = { ...headers };
  delete rest['content-encoding'];
  delete rest['content-length'];
  return { status, headers: rest, body: out };
}

/**
 * Reads a whole body, up to `max` bytes (decoded). Past it the body is dropped and the attempt fails: an
 * answer cut short must never reach the client as a success. Read with 'data' listeners, not `for await`: the
 * async iterator and its promise per chunk cost more than the rest of reading a small answer. A body that closes
 * before its end fails as the iterator failed it (ERR_STREAM_PREMATURE_CLOSE).
 */
export async function readText(body: Readable, max: number): Promise<string> {
  return (await readBytes(body, max)).toString('utf8');
}

/** readText's bytes, undecoded: a relayed answer goes back to the client as the provider sent them. */
export function readBytes(body: Readable, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
    };
    const onData = (c: unknown): void => {
      const b: Buffer = Buffer.isBuffer(c) ? c : Buffer.from(String(c));
      size += b.length;
      if (size > max) {
        done();
        discard(body);
        reject(new UpstreamBodyError('KMX_UPSTREAM_TOO_LARGE', `The provider's answer is larger than server.maxUpstreamBodyBytes (${max} bytes); keymux does not relay a cut answer`));
        return;
      }
      chunks.push(b);
    };
    const onEnd = (): void => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    };
    const onError = (err: unknown): void => {
      done();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const onClose = (): void => onError(prematureClose());
    // Already over before we listen (its events are gone): say how, as the iterator would.
    if (body.destroyed) return onError(body.errored ?? prematureClose());
    if (body.readableEnded) return onEnd();
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
  });
}

const prematureClose = (): Error => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });

/** Drops a body nobody will read; undici's emits 'Request aborted' when destroyed unread, which is expected here. */
function discard(body: Readable): void {
  body.on('error', () => {});
  body.destroy();
}

/** Parses JSON when it parses; the raw text otherwise (adapters accept both). It lives with the adapters now. */
export { parseMaybeJson } from '../providers/index.js';
