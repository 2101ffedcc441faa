import { pipeline, type Readable, type Transform } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
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

interface Decoder {
  stream: () => Transform;
  whole: (b: Buffer, o: ZlibOptions) => Buffer;
}

/** Content codings a provider may apply although keymux asked for none (undici's decompress interceptor's set, minus zstd: Node 20 has none). */
const DECODERS: Readonly<Record<string, Decoder>> = {
  gzip: { stream: createGunzip, whole: gunzipSync },
  'x-gzip': { stream: createGunzip, whole: gunzipSync },
  deflate: { stream: createInflate, whole: inflateSync },
  br: { stream: createBrotliDecompress, whole: brotliDecompressSync },
};

/** The call's request options, with the key's headers: the secret exists only in the headers built here. */
function requestOf(call: PreparedCall, key: string): Dispatcher.DispatchOptions {
  // headers() builds a fresh object per call. Without Accept-Encoding a server may use any coding (RFC 9110
  // §12.5.3), and keymux parses and relays text: ask for none (a configured header still wins).
  const headers = call.headers(key);
  headers['accept-encoding'] ??= 'identity';
  return { origin: call.origin, path: call.path, method: call.method, headers, body: call.body ?? null };
}

/** Sends a prepared call with one key; its answer's body is left unread, to relay (a stream) or read. */
export async function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal): Promise<UpstreamResponse> {
  const res = await dispatcher.request({ ...requestOf(call, key), signal });
  // undici's headers object is the plain name → value record the adapters read.
  const h: Headers = res.headers;
  const coding = h['content-encoding'];
  if (coding === undefined) return { status: res.statusCode, headers: h, body: res.body };
  return decoded(res.statusCode, h, String(coding), res.body);
}

/** A body sent encoded anyway, decoded; an encoding keymux cannot decode fails the attempt. */
function decoded(status: number, headers: Headers, coding: string, body: Readable): UpstreamResponse {
  // Codings are listed in the order they were applied: undo them from the last.
  const codings = codingsOf(coding);
  if (codings.length === 0 || status === 204 || status === 304) return { status, headers, body };
  const stages: Transform[] = [];
  for (const c of codings) {
    const d = DECODERS[c];
    if (!d) {
      discard(body);
      throw cannotDecode(coding);
    }
    stages.push(d.stream());
  }
  const out = stages[stages.length - 1]!;
  // A failure anywhere (the socket, a corrupt body) destroys every stage, so it reaches whoever reads `out`;
  // destroying `out` (a client that left) destroys the upstream body too.
  pipeline([body, ...stages], () => {});
  return { status, headers: undecoded(headers), body: out };
}

/** A Content-Encoding's codings in the order to undo them (they are listed in the order applied). */
const codingsOf = (coding: string): string[] => coding.toLowerCase().split(',').map((c) => c.trim()).filter((c) => c !== '' && c !== 'identity').reverse();

const cannotDecode = (coding: string): UpstreamBodyError =>
  new UpstreamBodyError('KMX_UPSTREAM_ENCODING', `The provider answered in an encoding keymux cannot decode (content-encoding: ${coding.slice(0, 100)})`);

const tooLarge = (max: number): UpstreamBodyError =>
  new UpstreamBodyError('KMX_UPSTREAM_TOO_LARGE', `The provider's answer is larger than server.maxUpstreamBodyBytes (${max} bytes); keymux does not relay a cut answer`);

/** The headers of a decoded body: its coding and length were the encoded one's. */
function undecoded(headers: Headers): Headers {
  const rest: Headers = { ...headers };
  delete rest['content-encoding'];
  delete rest['content-length'];
  return rest;
}

/** An answer read whole. */
export interface WholeResponse {
  status: number;
  headers: Headers;
  /** The body, decoded. */
  bytes: Buffer;
}

/**
 * Sends a prepared call and reads its answer whole, up to `max` bytes decoded: every call that does not stream.
 * Through undici's dispatch(), the body reaches keymux as the parser reads it, with no stream in between: an
 * answer that arrived in one read is whole when that read is done, with no event-loop ticks spent on a body
 * stream's 'data' and 'end' (request() and readBytes() cost ~20 µs more CPU per call). `heard` is called at the
 * headers (time to first byte). A body that breaks, stalls or overflows rejects, as readBytes() does.
 */
export function sendWhole(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal, max: number, heard?: () => void): Promise<WholeResponse> {
  return new Promise((resolve, reject) => {
    const handler = new WholeHandler(max, signal, heard, resolve, reject);
    try {
      dispatcher.dispatch(requestOf(call, key), handler);
    } catch (err) {
      handler.onResponseError(undefined, err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Collects one answer for sendWhole(); settles its promise exactly once. */
class WholeHandler implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: Headers = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;
  #controller: Dispatcher.DispatchController | undefined;
  readonly #onAbort = (): void => this.#controller?.abort(abortReason(this.signal));

  constructor(
    readonly max: number,
    readonly signal: AbortSignal,
    readonly heard: (() => void) | undefined,
    readonly resolve: (r: WholeResponse) => void,
    readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici retries the request on a fresh connection: the listener is added once.
    if (this.#controller === undefined) this.signal.addEventListener('abort', this.#onAbort, { once: true });
    this.#controller = controller;
    if (this.signal.aborted) controller.abort(abortReason(this.signal));
  }

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.#status = statusCode;
    this.#headers = headers;
    this.heard?.();
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#size += chunk.length;
    // The limit is on the decoded body; an encoded one past it decodes past it too (codings do not shrink
    // what they cannot compress by more than a few bytes).
    if (this.#size > this.max) controller.abort(tooLarge(this.max));
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#settle()) return;
    const c = this.#chunks;
    const raw = c.length === 1 ? c[0]! : Buffer.concat(c, this.#size);
    const coding = this.#headers['content-encoding'];
    if (coding === undefined) return this.resolve({ status: this.#status, headers: this.#headers, bytes: raw });
    try {
      this.resolve(decodedWhole(this.#status, this.#headers, String(coding), raw, this.max));
    } catch (err) {
      this.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    if (!this.#settle()) this.reject(err);
  }

  /** Whether it was settled already; marks it settled. */
  #settle(): boolean {
    if (this.#settled) return true;
    this.#settled = true;
    this.signal.removeEventListener('abort', this.#onAbort);
    return false;
  }
}

/** Why a call was aborted, as undici's request() tells it: the signal's reason. */
const abortReason = (signal: AbortSignal): Error => (signal.reason instanceof Error ? signal.reason : Object.assign(new Error('Request aborted'), { name: 'AbortError', code: 'UND_ERR_ABORTED' }));

/** A whole body sent encoded anyway, decoded: a coding keymux cannot decode, or a body past `max` decoded, throws. */
function decodedWhole(status: number, headers: Headers, coding: string, raw: Buffer, max: number): WholeResponse {
  const codings = codingsOf(coding);
  if (codings.length === 0 || status === 204 || status === 304) return { status, headers, bytes: raw };
  let bytes = raw;
  for (const c of codings) {
    const d = DECODERS[c];
    if (!d) throw cannotDecode(coding);
    try {
      bytes = d.whole(bytes, { maxOutputLength: max });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(max);
      throw err;
    }
  }
  return { status, headers: undecoded(headers), bytes };
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
        reject(tooLarge(max));
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
