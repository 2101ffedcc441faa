import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { DIALECT, type Dialect } from '../dialects/index.js';
import { InvalidModelError, UnsupportedRouteError, type CallOptions, type PreparedCall, type RouteKind } from '../providers/index.js';
import { translatorFor } from '../translate/index.js';
import { HttpError } from './errors.js';
import type { StreamPlan } from './relay.js';
import type { ProviderRuntime, ResolvedModel } from './runtime.js';

/** Everything a route decided about one request before it goes upstream. */
export interface ProxyJob {
  client: Dialect;
  provider: ProviderRuntime;
  /** The model as the provider knows it. */
  model: string;
  stream: boolean;
  estimatedTokens?: number;
  /** The upstream call, waiting only for a key. */
  call: PreparedCall;
  /** For a non-streaming success: the client's body from the upstream's (identity for pass-through). */
  mapBody?(upstream: unknown): unknown;
  /** For an upstream error: the client's error body from the upstream's, when dialects differ. */
  mapError?(status: number, upstream: unknown): unknown;
  /** How to relay a stream (pass-through, strip usage, translate). */
  streamPlan?: StreamPlan;
  /** Extra response headers (x-keymux-warnings). */
  extraHeaders: Record<string, string>;
}

/**
 * The provider's call for a route. A route the provider lacks (404) and a model id unfit for the upstream URL
 * (400: it would climb out of its path segment) are the request's problem, before any key is spent on it;
 * anything else thrown here is keymux's own bug and goes up as such.
 */
function callFor(p: ProviderRuntime, route: RouteKind, o: CallOptions): PreparedCall {
  try {
    return p.adapter.call(route, o);
  } catch (err) {
    if (err instanceof UnsupportedRouteError) throw new HttpError('KMX_ERR_NOT_FOUND', `${p.name}: ${err.message}`);
    if (err instanceof InvalidModelError) throw new HttpError('KMX_ERR_BAD_REQUEST', `${p.name}: ${err.message}`);
    throw err;
  }
}

/**
 * A header value node:http accepts: the sanitiser names renames with an arrow (`max_completion_tokens→max_tokens`)
 * and translator warnings are free text, but a header is visible ASCII only (else writeHead throws).
 */
function headerValue(s: string): string {
  return s.replace(/→/g, '->').replace(/[^\x20-\x7e]+/g, ' ');
}

/** Rough token estimate from the body size plus the output budget: enough for token budgets to hold back. */
function estimate(bodyBytes: number, body: Record<string, unknown>): number {
  return Math.ceil(bodyBytes / 4) + (outputBudget(body.max_tokens) ?? outputBudget(body.max_completion_tokens) ?? outputBudget(body.max_output_tokens) ?? 0);
}

/**
 * A client's output limit when it is a usable number. The body is not validated here (the provider judges it), so
 * anything may stand in the field: Number() would throw on `{"toString":null}`, and a string or NaN counts as none.
 */
function outputBudget(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

/** The client and the provider speak one dialect: the body goes through with the model renamed and sanitised. */
export function passthroughJob(
  req: IncomingMessage,
  target: ResolvedModel,
  client: Dialect,
  route: RouteKind,
  body: Record<string, unknown>,
  bodyBytes: number,
  /**
   * add: members the upstream body sets over the client's (keymux's own asks). raw: the bytes of that body exactly
   * (JSON.parse(raw) is `body` with `add`), sent as they are when nothing else in them changes.
   */
  opts: { stream: boolean; plan?: StreamPlan; modelInBody?: boolean; raw?: Buffer; add?: Readonly<Record<string, unknown>> },
): ProxyJob {
  const p = target.provider;
  let unchanged = opts.modelInBody === false || body.model === target.model;
  // The object sent upstream, built only when something reads it: the sanitising rules, or JSON.stringify when
  // the raw bytes cannot go. A stream's copy with include_usage cost ~15 µs at idle, for nothing when raw goes.
  // (Object.assign, not a spread: a spread object given a new member takes V8's slow path.)
  let upBody: object | undefined = opts.add === undefined && unchanged ? body : undefined;
  const full = (): object => (upBody ??= Object.assign({}, body, opts.add, unchanged ? undefined : { model: target.model }));
  const extraHeaders: Record<string, string> = {};
  const prepared = p.adapter.sanitizes(route) ? p.adapter.prepare(route, full()) : undefined;
  if (prepared !== undefined && prepared.changed.length > 0) {
    upBody = prepared.body;
    extraHeaders['x-keymux-warnings'] = headerValue(`adjusted for ${p.name}: ${prepared.changed.join(', ')}`);
    unchanged = false;
  }
  const passed: Record<string, string> = {};
  for (const h of DIALECT[client].passedHeaders) {
    const v = req.headers[h];
    if (typeof v === 'string') passed[h] = v;
  }
  // When keymux changes nothing, the client's own bytes go upstream (the same JSON value): on Node 20,
  // JSON.stringify of a 32 KB prompt costs ~100 µs, more than the rest of keymux's work on the request.
  // Valid UTF-8 only: decoding replaced any invalid byte, and the re-serialised text carried the replacement.
  const text = opts.raw !== undefined && unchanged && isUtf8(opts.raw) ? opts.raw : JSON.stringify(full());
  const job: ProxyJob = {
    client,
    provider: p,
    model: target.model,
    stream: opts.stream,
    estimatedTokens: estimate(bodyBytes, body),
    call: callFor(p, route, { model: target.model, stream: opts.stream, body: text, headers: passed }),
    extraHeaders,
  };
  if (opts.plan) job.streamPlan = opts.plan;
  return job;
}

/** The client and the provider speak different dialects: translate the request, the answer and the stream. */
export function translatedJob(
  target: ResolvedModel,
  client: Dialect,
  body: Record<string, unknown>,
  bodyBytes: number,
  stream: boolean,
  /** reportModel: the model name the client hears back (Gemini clients name it in the URL); array: Gemini's JSON-array stream. */
  opts: { reportModel?: string; array?: boolean } = {},
): ProxyJob {
  const p = target.provider;
  const upstream = p.adapter.profile.dialect;
  const tr = translatorFor(client, upstream);
  if (!tr) {
    throw new HttpError(
      'KMX_ERR_UNTRANSLATABLE',
      `${p.name} speaks the ${upstream} dialect and this route speaks ${client}; that pair is not translated (use the ${upstream}-dialect endpoint)`,
    );
  }
  const { body: upBody, warnings } = tr.request(body, { model: target.model, stream });
  const asked = opts.reportModel ?? body.model;
  const reported = typeof asked === 'string' ? { model: asked } : {};
  const route = p.adapter.chatRoute;
  const text = JSON.stringify(p.adapter.prepare(route, upBody).body);
  return {
    client,
    provider: p,
    model: target.model,
    stream,
    estimatedTokens: estimate(bodyBytes, body),
    call: callFor(p, route, { model: target.model, stream, body: text }),
    // The client hears back the model name it asked for (Claude Code checks it), not the upstream's.
    mapBody: (b) => tr.response(b, reported),
    mapError: (status, b) => tr.error(status, b),
    ...(stream
      ? { streamPlan: { mode: 'translate' as const, translator: tr.stream(reported), ...(opts.array ? { array: true, contentType: 'application/json; charset=utf-8' } : {}) } }
      : {}),
    extraHeaders: warnings.length > 0 ? { 'x-keymux-warnings': headerValue(warnings.join('; ')) } : {},
  };
}

export { callFor };
