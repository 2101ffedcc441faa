/**
 * The three API dialects keymux speaks, to clients and to providers alike, in one table: how each names an
 * error for a status, what its error body and its in-stream error look like, which request headers belong
 * to it and which response headers tell its clients their rate limits. The server shapes keymux's own errors with it and translation shapes the upstream's; neither keeps a
 * table of its own. (Azure is OpenAI's dialect in another envelope: URLs and auth, a provider matter.)
 */
import { ANTHROPIC_LIMIT_HEADERS, OPENAI_LIMIT_HEADERS, type LimitHeaderSpec } from './limit-headers.js';

export const DIALECTS = ['openai', 'anthropic', 'gemini'] as const;
export type Dialect = (typeof DIALECTS)[number];

/** One event for a client stream: `event: <event>` (when set) and `data: <data>`; string data is written raw (`[DONE]`). */
export interface StreamItem {
  event?: string;
  data: unknown;
}

export interface DialectSpec {
  /**
   * The dialect's word for an error of this status: OpenAI's and Anthropic's `type`, Google's `status`.
   * Clients and SDKs key their handling on it (Anthropic's SDK retries `overloaded_error`), so it follows the
   * status, never the message.
   */
  errorType(status: number): string;
  /** An error body. `code` is OpenAI's `code` member (a KMX_ERR_ code, or the upstream's own word); the others have none. */
  errorBody(status: number, message: string, code?: string | null): object;
  /**
   * The events that tell a client its stream failed after the first byte. OpenAI clients get an error chunk and
   * the `[DONE]` that ends every OpenAI stream; Anthropic clients an `event: error`; Gemini clients an error chunk.
   */
  streamError(status: number, message: string, code?: string | null): StreamItem[];
  /** Request headers a provider of the same dialect must see from its client (Claude Code's betas, for one). */
  passedHeaders: readonly string[];
  /**
   * The response headers that tell a client the pool's rate limits (server/limit-headers.ts). Gemini has none:
   * Google's API sends no such headers and its SDKs read none, so Gemini clients get none rather than another
   * dialect's names.
   */
  limitHeaders: LimitHeaderSpec | undefined;
  /** The smallest chat request of the dialect: one word in, at most one token out (a key's check when its provider lists no models). */
  pingBody(model: string): object;
}

function anthropicType(status: number): string {
  switch (status) {
    case 400: return 'invalid_request_error';
    case 401: return 'authentication_error';
    case 402: return 'billing_error';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 408: case 504: return 'timeout_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    // Anthropic's SDK retries overloaded_error: keymux's own 503s (draining, no key yet) are exactly that.
    case 503: case 529: return 'overloaded_error';
    default: return status >= 500 ? 'api_error' : 'invalid_request_error';
  }
}

function openaiType(status: number): string {
  switch (status) {
    case 401: return 'authentication_error';
    case 402: return 'insufficient_quota';
    case 403: return 'permission_error';
    case 404: return 'not_found_error';
    case 408: case 504: return 'timeout_error';
    case 413: return 'request_too_large';
    case 429: return 'rate_limit_error';
    default: return status >= 500 ? 'server_error' : 'invalid_request_error';
  }
}

/** google.rpc.Code names, as Google's HTTP mapping assigns them to statuses. */
function googleStatus(status: number): string {
  switch (status) {
    case 400: case 413: case 415: case 422: return 'INVALID_ARGUMENT';
    case 401: return 'UNAUTHENTICATED';
    case 402: case 429: return 'RESOURCE_EXHAUSTED';
    case 403: return 'PERMISSION_DENIED';
    case 404: return 'NOT_FOUND';
    case 405: case 501: return 'UNIMPLEMENTED';
    case 408: case 504: return 'DEADLINE_EXCEEDED';
    case 409: return 'ABORTED';
    case 499: return 'CANCELLED';
    case 502: case 503: case 529: return 'UNAVAILABLE';
    default: return status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION';
  }
}

const openaiBody = (status: number, message: string, code?: string | null) => ({ error: { message, type: openaiType(status), param: null, code: code ?? null } });
const anthropicBody = (status: number, message: string) => ({ type: 'error', error: { type: anthropicType(status), message } });
const geminiBody = (status: number, message: string) => ({ error: { code: status, message, status: googleStatus(status) } });
/** OpenAI's chat and Anthropic's messages take the same minimal body (Anthropic requires max_tokens). */
const messagesPing = (model: string) => ({ model, messages: [{ role: 'user', content: 'ping' }], max_tokens: 1 });

export const DIALECT: { readonly [D in Dialect]: DialectSpec } = {
  openai: {
    errorType: openaiType,
    errorBody: openaiBody,
    streamError: (status, message, code) => [{ data: openaiBody(status, message, code) }, { data: '[DONE]' }],
    passedHeaders: ['openai-beta'],
    limitHeaders: OPENAI_LIMIT_HEADERS,
    pingBody: messagesPing,
  },
  anthropic: {
    errorType: anthropicType,
    errorBody: anthropicBody,
    streamError: (status, message) => [{ event: 'error', data: anthropicBody(status, message) }],
    passedHeaders: ['anthropic-version', 'anthropic-beta'],
    limitHeaders: ANTHROPIC_LIMIT_HEADERS,
    pingBody: messagesPing,
  },
  gemini: {
    errorType: googleStatus,
    errorBody: geminiBody,
    streamError: (status, message) => [{ data: geminiBody(status, message) }],
    passedHeaders: [],
    limitHeaders: undefined,
    // The model is in Gemini's URL, not its body.
    pingBody: () => ({ contents: [{ role: 'user', parts: [{ text: 'ping' }] }], generationConfig: { maxOutputTokens: 1 } }),
  },
};

/** Formats stream items as SSE text. */
export function sseText(items: readonly StreamItem[]): string {
  let s = '';
  for (const e of items) {
    const d = typeof e.data === 'string' ? e.data : JSON.stringify(e.data);
    s += e.event ? `event: ${e.event}\ndata: ${d}\n\n` : `data: ${d}\n\n`;
  }
  return s;
}

export { goDuration, rfc3339, writeLimitHeaders } from './limit-headers.js';
export type { LimitHeaderNames, LimitHeaderSpec } from './limit-headers.js';
