import type { LearnedLimits, Outcome, Usage } from '../pool/outcome.js';
import { getHeader, retryAfterFromHeaders } from './headers.js';
import { messageReason } from './redact.js';
import type { ClassifyContext, Headers, UpstreamResult } from './types.js';
import { compact, rec, str } from './util.js';

/** A dialect's reading of one attempt's result: exactly one outcome. */
export type Classifier = (result: UpstreamResult, ctx: ClassifyContext) => Outcome;

/** What every outcome built from a response carries. */
export interface Base {
  status?: number;
  group?: string;
}

/** An outcome without its undefined members (contextually typed, so literals stay literal). */
export function out(o: Outcome): Outcome {
  return compact(o);
}

/**
 * A success, as `out({ ...base, kind: 'ok', usage, limits })` made it (same members, same order), without the
 * spread: on Node 20 an object made by spreading one that has members, then given new ones, is built on V8's slow
 * path (~2 µs here, 20× the literal), and every 2xx answer makes one.
 */
export function okOutcome(base: Base, usage: Usage | undefined, limits?: LearnedLimits): Outcome {
  return compact<Outcome>({ status: base.status, group: base.group, kind: 'ok', usage, limits });
}

type TransportError = Error & { code?: string; cause?: unknown };

/** The first `code` along an error's cause chain (undici wraps socket errors in `fetch failed`). */
function codeOf(error: TransportError): string | undefined {
  let e: unknown = error;
  for (let i = 0; i < 5 && typeof e === 'object' && e !== null; i++) {
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') return c;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * A failure before any response. The client going away (AbortError) is not the provider's fault nor the
 * key's; our own timeouts (TimeoutError, UND_ERR_*_TIMEOUT) and socket errors are network trouble.
 */
export function transportOutcome(error: TransportError): Outcome {
  const code = codeOf(error);
  if (error.name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') {
    return { kind: 'cancelled', reason: 'aborted' };
  }
  const reason = code ?? (error.name === 'TimeoutError' ? 'timeout' : messageReason(error.message) ?? error.name);
  return out({ kind: 'network', reason });
}

/**
 * The meaning of a bare status, when the body says nothing more specific. Dialects refine this; it is also
 * what an unknown OpenAI-compatible provider gets.
 */
export function statusDefault(status: number, headers: Headers, now: number, base: Base, reason?: string): Outcome {
  const b = compact({ ...base, reason });
  const retryAfterMs = retryAfterFromHeaders(headers, now);
  if (status >= 200 && status < 300) return { ...b, kind: 'ok' };
  if (status === 401) return { ...b, kind: 'auth_failed' };
  // A bare 403 says neither whose fault nor why (a firewall's page, a policy): the pool suspects the key only.
  if (status === 403) return { ...b, kind: 'auth_suspect' };
  if (status === 402) return { ...b, kind: 'quota_exhausted', scope: 'group' };
  // The official SDKs retry 408 (timeout) and 409 (lock contention): transient, not the request's fault.
  if (status === 408 || status === 409) return out({ ...b, kind: 'server_error', retryAfterMs });
  if (status === 429) return out({ ...b, kind: 'rate_limited', scope: 'group', retryAfterMs });
  if (status === 499) return { ...b, kind: 'cancelled' };
  if (status === 503 || status === 529) return out({ ...b, kind: 'overloaded', retryAfterMs });
  if (status >= 500) return out({ ...b, kind: 'server_error', retryAfterMs });
  if (status >= 400) return { ...b, kind: 'client_error' };
  return out({ ...b, kind: 'server_error', reason: reason ?? `unexpected status ${status}` });
}

const TOO_LARGE = 'request too large';

const count = (m: RegExpExecArray | null): number | undefined => (m ? Number(m[1]!.replace(/,/g, '')) : undefined);

/**
 * The reason, when a rate-limit answer says the request alone is over the limit: OpenAI's and Groq's "Request too
 * large for … on tokens per min (TPM): Limit 30000, Requested 45000". No key, wait or retry can serve it, so it is
 * the client's to fix, not a cooldown for the pool. A limit merely reached reads "Limit 30000, Used 29000,
 * Requested 1500": Requested alone stays under Limit there.
 */
export function tooLargeReason(message: string): string | undefined {
  const limit = count(/\bLimit:?\s*(\d[\d,]*)/i.exec(message));
  const requested = count(/\bRequested:?\s*(\d[\d,]*)/i.exec(message));
  const over = limit !== undefined && requested !== undefined && requested > limit;
  if (!over && !/\brequest too large\b/i.test(message)) return undefined;
  const per = /\b(input tokens|output tokens|tokens|requests) per (min(?:ute)?|day)\b/i.exec(message);
  const window = per ? `: ${per[1]!.toLowerCase()} per ${per[2]!.toLowerCase().startsWith('min') ? 'min' : 'day'}` : '';
  return `${TOO_LARGE}${window}${over ? `, limit ${limit}, requested ${requested}` : ''}`;
}

/**
 * The official SDKs obey `x-should-retry` before any status rule. Only the provider-trouble kinds follow it:
 * `false` on a 5xx means this request would fail anywhere (so it goes back to the client, and the key is not
 * blamed); `true` on a 4xx means the failure was transient. Key-level verdicts (auth, quota, rate limits)
 * are kept, because they describe the key, not the request.
 */
export function applyShouldRetry(o: Outcome, headers: Headers): Outcome {
  const h = getHeader(headers, 'x-should-retry')?.toLowerCase();
  if (h === 'false' && (o.kind === 'overloaded' || o.kind === 'server_error')) {
    return out({ kind: 'client_error', status: o.status, group: o.group, reason: o.reason ?? 'x-should-retry: false' });
  }
  // …except a request over the limit itself (tooLargeReason): no retry can make it fit.
  if (h === 'true' && o.kind === 'client_error' && !o.reason?.startsWith(TOO_LARGE)) {
    return out({ kind: 'server_error', status: o.status, group: o.group, reason: o.reason ?? 'x-should-retry: true' });
  }
  return o;
}

/**
 * The provider's id for a request, to keep in the request log: `x-request-id` (OpenAI and most compatibles),
 * `request-id` (Anthropic), `apim-request-id` (Azure), else the body's `request_id` (Anthropic errors) or
 * `responseId` (Gemini).
 */
export function requestIdFrom(headers: Headers, body?: unknown): string | undefined {
  const b = rec(Array.isArray(body) ? body[0] : body);
  return getHeader(headers, 'x-request-id') ?? getHeader(headers, 'request-id') ?? getHeader(headers, 'apim-request-id')
    ?? str(b?.['request_id']) ?? str(b?.['responseId']);
}
