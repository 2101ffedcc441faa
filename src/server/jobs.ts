import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { buildUpstreamRequest, sanitizeBody, type RouteKind } from '../providers/index.js';
import { translatorFor } from '../translate/index.js';
import { HttpError, type ClientDialect } from './errors.js';
import type { ProxyJob } from './proxy.js';
import type { StreamPlan } from './relay.js';
import type { ProviderRuntime, ResolvedModel } from './runtime.js';
import type { UpstreamCall } from './upstream.js';

/** Client headers a provider of the same dialect must see (Claude Code's betas, for one). */
const PASSED_CLIENT_HEADERS: Record<string, readonly string[]> = {
  anthropic: ['anthropic-version', 'anthropic-beta'],
  openai: ['openai-beta'],
};

function call(p: ProviderRuntime, route: RouteKind, model: string, stream: boolean, key: string, body: string | Buffer | undefined, extra?: Record<string, string>): UpstreamCall {
  const r = buildUpstreamRequest(p.info, {
    route,
    model,
    stream,
    key,
    baseUrl: p.config.baseUrl,
    ...(p.config.apiVersion !== undefined ? { apiVersion: p.config.apiVersion } : {}),
    ...(p.config.deployments !== undefined ? { deployments: p.config.deployments } : {}),
  });
  return { url: new URL(r.url), method: body === undefined ? 'GET' : 'POST', headers: extra ? { ...r.headers, ...extra } : r.headers, ...(body !== undefined ? { body } : {}) };
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
  const out = Number(body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens ?? 0) || 0;
  return Math.ceil(bodyBytes / 4) + out;
}

/** The client and the provider speak one dialect: the body goes through with the model renamed and sanitised. */
export function passthroughJob(
  req: IncomingMessage,
  target: ResolvedModel,
  client: ClientDialect,
  route: RouteKind,
  body: Record<string, unknown>,
  bodyBytes: number,
  /** raw: the client's bytes of `body` exactly (JSON.parse(raw) is body), sent as they are when nothing in them changes. */
  opts: { stream: boolean; plan?: StreamPlan; modelInBody?: boolean; raw?: Buffer },
): ProxyJob {
  const p = target.provider;
  let upBody: Record<string, unknown> = opts.modelInBody === false ? body : { ...body, model: target.model };
  let unchanged = opts.modelInBody === false || body.model === target.model;
  const extraHeaders: Record<string, string> = {};
  if (p.info.dialect === 'openai' && route === 'chat') {
    const s = sanitizeBody(p.name, upBody);
    upBody = s.body;
    if (s.changed.length > 0) {
      extraHeaders['x-keymux-warnings'] = headerValue(`adjusted for ${p.name}: ${s.changed.join(', ')}`);
      unchanged = false;
    }
  }
  const passed: Record<string, string> = {};
  for (const h of PASSED_CLIENT_HEADERS[client] ?? []) {
    const v = req.headers[h];
    if (typeof v === 'string') passed[h] = v;
  }
  // When keymux changes nothing, the client's own bytes go upstream (the same JSON value): on Node 20,
  // JSON.stringify of a 32 KB prompt costs ~100 µs, more than the rest of keymux's work on the request.
  // Valid UTF-8 only: decoding replaced any invalid byte, and the re-serialised text carried the replacement.
  const text = opts.raw !== undefined && unchanged && isUtf8(opts.raw) ? opts.raw : JSON.stringify(upBody);
  return {
    clientDialect: client,
    provider: p,
    model: target.model,
    stream: opts.stream,
    estimatedTokens: estimate(bodyBytes, body),
    build: (key) => call(p, route, target.model, opts.stream, key, text, passed),
    ...(opts.plan ? { streamPlan: opts.plan } : {}),
    extraHeaders,
  };
}

/** The client and the provider speak different dialects: translate the request, the answer and the stream. */
export function translatedJob(
  target: ResolvedModel,
  client: ClientDialect,
  body: Record<string, unknown>,
  bodyBytes: number,
  stream: boolean,
): ProxyJob {
  const p = target.provider;
  const upstream = p.info.dialect === 'azure' ? 'openai' : p.info.dialect;
  const tr = translatorFor(client, upstream);
  if (!tr) {
    throw new HttpError(
      'KMX_ERR_UNTRANSLATABLE',
      `${p.name} speaks the ${upstream} dialect and this route speaks ${client}; that pair is not translated (use the ${upstream}-dialect endpoint)`,
    );
  }
  const { body: upBody, warnings } = tr.request(body, { model: target.model });
  const reported = typeof body.model === 'string' ? { model: body.model } : {};
  const route: RouteKind = upstream === 'anthropic' ? 'messages' : upstream === 'gemini' ? (stream ? 'streamGenerateContent' : 'generateContent') : 'chat';
  let sendBody = upBody as Record<string, unknown>;
  if (upstream === 'openai') sendBody = sanitizeBody(p.name, sendBody).body;
  const text = JSON.stringify(sendBody);
  return {
    clientDialect: client,
    provider: p,
    model: target.model,
    stream,
    estimatedTokens: estimate(bodyBytes, body),
    build: (key) => call(p, route, target.model, stream, key, text),
    // The client hears back the model name it asked for (Claude Code checks it), not the upstream's.
    mapBody: (b) => tr.response(b, reported),
    mapError: (status, b) => tr.error(status, b),
    ...(stream ? { streamPlan: { mode: 'translate' as const, translator: tr.stream(reported) } } : {}),
    extraHeaders: warnings.length > 0 ? { 'x-keymux-warnings': headerValue(warnings.join('; ')) } : {},
  };
}

export { call as upstreamCall };
