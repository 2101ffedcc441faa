import { DIALECT, type Dialect } from '../dialects/index.js';
import type { AnthropicErrorBody, GeminiErrorBody, OpenAIErrorBody } from './types.js';
import { isObject } from './util.js';

export type TranslationErrorCode = 'KMX_ERR_UNTRANSLATABLE' | 'KMX_ERR_BAD_REQUEST';

/**
 * A client request that cannot be carried to the upstream dialect. Always a 400: the request is
 * the problem, never the key, so the server must not retry it nor count it against a key.
 * `KMX_ERR_UNTRANSLATABLE`: a feature the upstream dialect cannot express (`feature` names it).
 * `KMX_ERR_BAD_REQUEST`: the body is not a well-formed request of the client's dialect.
 */
export class TranslationError extends Error {
  override readonly name = 'TranslationError';
  readonly status = 400 as const;
  constructor(
    readonly code: TranslationErrorCode,
    message: string,
    readonly feature?: string,
  ) {
    super(message);
  }
}

export function untranslatable(feature: string, target: string, hint?: string): TranslationError {
  const msg = `keymux cannot translate ${feature} to the ${target} API${hint ? `: ${hint}` : ''}`;
  return new TranslationError('KMX_ERR_UNTRANSLATABLE', msg, feature);
}

export function invalidRequest(message: string): TranslationError {
  return new TranslationError('KMX_ERR_BAD_REQUEST', message);
}

// ───────────── reading any dialect's error body ─────────────

export interface UpstreamErrorInfo {
  message: string;
  /** The upstream's own type/status word: OpenAI `type`, Anthropic `error.type`, Gemini `status`. */
  type?: string;
  code?: string;
}

/** Message and type from an error body of any dialect (also problem+json, Mistral, plain text, Gemini arrays). */
export function readUpstreamError(status: number, body: unknown): UpstreamErrorInfo {
  if (typeof body === 'string') {
    const text = body.trim();
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        return readUpstreamError(status, JSON.parse(text));
      } catch {
        /* not JSON: use the text */
      }
    }
    return { message: text || `Upstream error (HTTP ${status})` };
  }
  if (Array.isArray(body)) return readUpstreamError(status, body[0]);
  if (!isObject(body)) return { message: `Upstream error (HTTP ${status})` };
  const err = body.error;
  if (isObject(err)) {
    const message = typeof err.message === 'string' && err.message ? err.message : `Upstream error (HTTP ${status})`;
    const type = typeof err.type === 'string' ? err.type : typeof err.status === 'string' ? err.status : undefined;
    const code = typeof err.code === 'string' ? err.code : undefined;
    return { message, ...(type ? { type } : {}), ...(code ? { code } : {}) };
  }
  if (typeof err === 'string' && err) return { message: err };
  const detail = [body.title, body.detail].filter((s): s is string => typeof s === 'string' && s !== '');
  if (detail.length) return { message: detail.join(': ') };
  if (typeof body.message === 'string' && body.message) {
    return { message: body.message, ...(typeof body.type === 'string' ? { type: body.type } : {}) };
  }
  return { message: `Upstream error (HTTP ${status})` };
}

// ───────────── building each dialect's error body (shapes and types: the dialect table) ─────────────

/** The error type is chosen by status (clients and SDKs key on it); the upstream's message is kept verbatim. */
export function toAnthropicError(status: number, upstreamBody: unknown): AnthropicErrorBody {
  const { message } = readUpstreamError(status, upstreamBody);
  return { type: 'error', error: { type: DIALECT.anthropic.errorType(status), message } };
}

/** `code` keeps the upstream's own word for the error (`overloaded_error`, `RESOURCE_EXHAUSTED`, `rate_limit_exceeded`). */
export function toOpenAIError(status: number, upstreamBody: unknown): OpenAIErrorBody {
  const info = readUpstreamError(status, upstreamBody);
  return { error: { message: info.message, type: DIALECT.openai.errorType(status), param: null, code: info.code ?? info.type ?? null } };
}

export function toGeminiError(status: number, upstreamBody: unknown): GeminiErrorBody {
  const { message } = readUpstreamError(status, upstreamBody);
  return { error: { code: status, message, status: DIALECT.gemini.errorType(status) } };
}

const TO: { readonly [D in Dialect]: (status: number, body: unknown) => object } = {
  anthropic: toAnthropicError,
  openai: toOpenAIError,
  gemini: toGeminiError,
};

/** An error body in `dialect`'s shape for `status` and an upstream (or keymux) error body. */
export function errorBodyFor(dialect: Dialect, status: number, upstreamBody: unknown): object {
  return TO[dialect](status, upstreamBody);
}

/** The client-dialect body for a TranslationError (status is always 400). */
export function translationErrorBody(dialect: Dialect, err: TranslationError): object {
  return DIALECT[dialect].errorBody(err.status, err.message, err.code);
}
