import { pipeline, Readable, type Transform } from 'node:stream';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, createInflate, gunzipSync, inflateSync, type ZlibOptions } from 'node:zlib';
import type { Dispatcher } from 'undici';
import type { Headers, PreparedCall } from '../providers/index.js';
import { onAbort } from './abort.js';
import { ChunkQueue, fromReadable, type Producer, type StreamBody } from './stream-body.js';

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

/** A 2xx answer to a call that streams: its body unread (decoded), for the relay. */
export interface StreamResponse {
  status: number;
  headers: Headers;
  body: StreamBody;
}

/**
 * Sends a prepared call with one key. Every answer is read whole, up to `max` bytes decoded, except a 2xx to a
 * call that streams (`stream`), which comes back at its headers with its body unread. Through undici's
 * dispatch(), the body reaches keymux as the parser reads it, with no body stream in between: an answer that
 * arrived in one read is whole when that read is done, and a stream's events go to the relay in the same call
 * (request()'s body stream, its 'data' ticks and async iterator cost ~20 µs of CPU per JSON call and more per
 * stream). `heard` is called at the headers (time to first byte). A body that breaks, stalls or overflows rejects.
 */
export function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal, max: number, stream: false, heard?: () => void): Promise<WholeResponse>;
export function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal, max: number, stream: boolean, heard?: () => void): Promise<WholeResponse | StreamResponse>;
export function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal, max: number, stream: boolean, heard?: () => void): Promise<WholeResponse | StreamResponse> {
  return new Promise((resolve, reject) => {
    const handler = new CallHandler(max, signal, stream, heard, resolve, reject);
    try {
      dispatcher.dispatch(requestOf(call, key), handler);
    } catch (err) {
      handler.onResponseError(undefined, err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/** Where a stream's chunks go as they come: its body (ChunkQueue), or a decoder's input. */
type Feed = Pick<ChunkQueue, 'push' | 'finish' | 'fail'>;

/** One call's answer for send(): collected whole, or handed on at its headers as a stream; settles once. */
class CallHandler implements Dispatcher.DispatchHandler {
  #status = 0;
  #headers: Headers = {};
  #chunks: Buffer[] = [];
  #size = 0;
  #settled = false;
  /** A 2xx stream's body, fed from here once the promise has settled with it. */
  #feed: Feed | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  /** Stops listening for the client's abort (set while the call runs). */
  #unlisten: () => void = noop;

  constructor(
    readonly max: number,
    readonly signal: AbortSignal,
    readonly stream: boolean,
    readonly heard: (() => void) | undefined,
    readonly resolve: (r: WholeResponse | StreamResponse) => void,
    readonly reject: (err: Error) => void,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Called again when undici retries the request on a fresh connection: the listener is added once.
    if (this.#controller === undefined) this.#unlisten = onAbort(this.signal, () => this.#controller?.abort(abortReason(this.signal)));
    this.#controller = controller;
    if (this.signal.aborted) controller.abort(abortReason(this.signal));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: Headers): void {
    this.#status = statusCode;
    this.#headers = headers;
    this.heard?.();
    if (this.stream && statusCode >= 200 && statusCode < 300) this.#streamed(controller);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    const feed = this.#feed;
    if (feed !== undefined) {
      if (!feed.push(chunk)) controller.pause();
      return;
    }
    this.#size += chunk.length;
    // The limit is on the decoded body; an encoded one past it decodes past it too (codings do not shrink
    // what they cannot compress by more than a few bytes).
    if (this.#size > this.max) controller.abort(tooLarge(this.max));
    else this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.#feed !== undefined) {
      this.#unlisten();
      return this.#feed.finish();
    }
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
    if (this.#feed !== undefined) {
      this.#unlisten();
      return this.#feed.fail(err);
    }
    if (!this.#settle()) this.reject(err);
  }

  /** A 2xx stream: settled now with its body, which the rest of the answer feeds. The abort listener stays until its end. */
  #streamed(controller: Dispatcher.DispatchController): void {
    this.#settled = true;
    const producer = { resume: () => controller.resume(), cancel: () => controller.abort(abortReason(this.signal)) };
    const coding = this.#headers['content-encoding'];
    const codings = coding === undefined || this.#status === 204 ? [] : codingsOf(String(coding));
    if (codings.length === 0) {
      const body = new ChunkQueue(producer);
      this.#feed = body;
      return this.resolve({ status: this.#status, headers: this.#headers, body });
    }
    try {
      const { feed, body } = decodedStream(codings, coding as string, producer);
      this.#feed = feed;
      this.resolve({ status: this.#status, headers: undecoded(this.#headers), body });
    } catch (err) {
      this.#unlisten();
      controller.abort(err as Error);
      this.reject(err as Error);
    }
  }

  /** Whether it was settled already; marks it settled. */
  #settle(): boolean {
    if (this.#settled) return true;
    this.#settled = true;
    this.#unlisten();
    return false;
  }
}

const noop = (): void => {};

/**
 * A stream sent encoded anyway: its chunks are fed to the decoders (in the order to undo them), whose output is
 * the body. A failure anywhere destroys every stage, so it reaches the body's reader; a reader that lets the body
 * go destroys the stages, and the input's destroy aborts the upstream request. A coding keymux cannot decode throws.
 */
function decodedStream(codings: readonly string[], coding: string, producer: Producer): { feed: Feed; body: StreamBody } {
  const stages = codings.map((c) => {
    const d = DECODERS[c];
    if (!d) throw cannotDecode(coding);
    return d.stream();
  });
  let ended = false;
  const input = new Readable({
    read: () => producer.resume(),
    destroy: (err, cb) => {
      if (!ended) producer.cancel();
      cb(err);
    },
  });
  pipeline([input, ...stages], () => {});
  const feed: Feed = {
    push: (chunk) => input.push(chunk),
    finish: () => {
      ended = true;
      input.push(null);
    },
    fail: (err) => input.destroy(err),
  };
  return { feed, body: fromReadable(stages[stages.length - 1]!) };
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

/** Parses JSON when it parses; the raw text otherwise (adapters accept both). It lives with the adapters now. */
export { parseMaybeJson } from '../providers/index.js';
