// What all three dialects share: the request context, response helpers, deterministic text and vectors.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dialect, Flavor, KeyBehaviour, KeyRegistry, Verdict } from './behaviour.js';

// Request bodies are arbitrary client JSON; the simulator reads them loosely.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Body = Record<string, any>;

export interface RecordedRequest {
  /** now() at arrival. */
  at: number;
  method: string;
  path: string;
  dialect: Dialect | undefined;
  key: string | undefined;
  model: string | undefined;
  stream: boolean;
  /** Response status; 0 while no head was sent (e.g. hanging or aborted before). */
  status: number;
  body: unknown;
  /** The client closed the connection before the response ended. */
  aborted: boolean;
  /** The exchange is over (finished or aborted). */
  done: boolean;
  durationMs: number;
}

export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: Body;
  key: string | undefined;
  rec: RecordedRequest;
  reg: KeyRegistry;
  flavor: Flavor;
  models: string[];
  now: () => number;
  nextId: () => string;
  /** The client went away. */
  closed: boolean;
  /** The simulator itself cut the connection (breakMode 'reset'): not a client abort. */
  serverReset: boolean;
}

export function sendJson(
  ctx: Ctx,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): void {
  if (ctx.closed || ctx.res.headersSent) return;
  const s = JSON.stringify(body);
  ctx.res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(s) });
  ctx.res.end(s);
}

/** Real-time sleep that ends early when the client goes away. */
export function sleep(ctx: Ctx, ms: number | undefined): Promise<void> | undefined {
  if (!ms || ms <= 0 || ctx.closed) return undefined;
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      ctx.res.off('close', done);
      resolve();
    }
    ctx.res.once('close', done);
  });
}

export function startSse(ctx: Ctx, headers: Record<string, string> = {}, contentType = 'text/event-stream'): void {
  if (ctx.closed || ctx.res.headersSent) return;
  ctx.res.writeHead(200, {
    ...headers,
    'content-type': contentType,
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  ctx.res.flushHeaders();
}

/** Write raw bytes unless the client is gone. */
export function write(ctx: Ctx, s: string): void {
  if (!ctx.closed && !ctx.res.writableEnded) ctx.res.write(s);
}

export function sseData(ctx: Ctx, data: unknown, event?: string): void {
  write(ctx, (event ? `event: ${event}\n` : '') + `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
}

export function end(ctx: Ctx): void {
  if (!ctx.closed && !ctx.res.writableEnded) ctx.res.end();
}

/**
 * Emit pieces with the key's chunk delay; stop when the client leaves.
 * Returns 'done', 'closed', or 'broken' when breakAfterChunks cut the stream (caller writes the error event).
 */
export async function pace(
  ctx: Ctx,
  b: KeyBehaviour,
  pieces: readonly string[],
  emit: (piece: string, i: number) => void,
): Promise<'done' | 'closed' | 'broken'> {
  for (let i = 0; i < pieces.length; i++) {
    if (ctx.closed) return 'closed';
    if (b.breakAfterChunks !== undefined && i >= b.breakAfterChunks) return 'broken';
    emit(pieces[i] as string, i);
    const p = sleep(ctx, b.chunkDelayMs);
    if (p) await p;
  }
  return ctx.closed ? 'closed' : 'done';
}

/** Break a stream the 'reset' way: destroy the socket without a proper end. */
export function resetStream(ctx: Ctx): void {
  ctx.serverReset = true;
  ctx.res.destroy();
}

/** Pre-response waits of an admitted request: latencyMs. */
export async function preResponse(ctx: Ctx, b: KeyBehaviour): Promise<void> {
  const p = sleep(ctx, b.latencyMs);
  if (p) await p;
}

export type OkVerdict = Extract<Verdict, { type: 'ok' }>;

/** ~4 characters per token, at least 1. */
export function tokens(s: string): number {
  return Math.max(1, Math.ceil(s.length / 4));
}

export function reply(userText: string): string {
  return `echo: ${userText || '(empty)'}`;
}

/** Split text into up to `n` pieces at word boundaries (concatenation gives the text back). */
export function split(text: string, n = 4): string[] {
  const words = text.match(/\S+\s*|\s+/g) ?? [text];
  const k = Math.min(n, words.length);
  const out: string[] = [];
  for (let i = 0; i < k; i++) {
    out.push(words.slice(Math.floor((i * words.length) / k), Math.floor(((i + 1) * words.length) / k)).join(''));
  }
  return out.length ? out : [''];
}

/** Split a string into `n` roughly equal fragments (for streamed JSON arguments). */
export function fragments(s: string, n = 3): string[] {
  const size = Math.max(1, Math.ceil(s.length / n));
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

/** Truncate a reply to max output tokens; says whether it was cut. */
export function limitOutput(text: string, maxTokens: unknown): { text: string; cut: boolean } {
  if (typeof maxTokens === 'number' && maxTokens > 0 && tokens(text) > maxTokens) {
    return { text: text.slice(0, maxTokens * 4), cut: true };
  }
  return { text, cut: false };
}

/** Text of a content value: a string, or an array of parts with `text`. */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p: unknown) => {
        if (typeof p === 'string') return p;
        if (p && typeof p === 'object') {
          const o = p as Body;
          if (typeof o.text === 'string') return o.text;
          if (o.content !== undefined) return textOf(o.content); // tool_result blocks
        }
        return '';
      })
      .join('');
  }
  return '';
}

export function wantsTool(text: string): boolean {
  return /\b(use|call)\s+(a\s+|the\s+)?(tool|function)s?\b/i.test(text);
}

/** Deterministic arguments for a JSON schema's properties. */
export function toolArgs(schema: unknown, text: string): Body {
  const props = (schema as Body | undefined)?.properties;
  const out: Body = {};
  if (!props || typeof props !== 'object') return out;
  for (const [name, p] of Object.entries(props as Body)) {
    const t = String((p as Body | undefined)?.type ?? 'string').toLowerCase();
    out[name] =
      t === 'number' || t === 'integer'
        ? 42
        : t === 'boolean'
          ? true
          : t === 'array'
            ? []
            : t === 'object'
              ? {}
              : text.slice(0, 100);
  }
  return out;
}

/** Deterministic unit vector for a text (FNV-1a seeded xorshift). */
export function embed(text: string, dims: number): number[] {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  let s = h >>> 0 || 1;
  const v: number[] = new Array<number>(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const x = s / 4294967296 - 0.5;
    v[i] = x;
    norm += x * x;
  }
  norm = Math.sqrt(norm) || 1;
  return v.map((x) => x / norm);
}

export function float32Base64(v: number[]): string {
  return Buffer.from(new Float32Array(v).buffer).toString('base64');
}

export function requestIdHeader(ctx: Ctx, name = 'x-request-id', prefix = 'req_'): Record<string, string> {
  return { [name]: `${prefix}${ctx.nextId()}` };
}
