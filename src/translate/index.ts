// The translate module's only door: dialect translation between a client's API and an upstream's.
import { anthropicToOpenAIRequest, openAIToAnthropicResponse, OpenAIToAnthropicStream } from './anthropic-to-openai.js';
import { errorBodyFor } from './errors.js';
import { anthropicToOpenAIResponse, AnthropicToOpenAIStream, openAIToAnthropicRequest } from './openai-to-anthropic.js';
import { geminiToOpenAIResponse, GeminiToOpenAIStream, openAIToGeminiRequest } from './openai-to-gemini.js';
import { DIALECT, type Dialect, type StreamItem } from '../dialects/index.js';
import { isObject } from './util.js';

export {
  anthropicToOpenAIRequest,
  openAIToAnthropicResponse,
  OpenAIToAnthropicStream,
  type AnthropicToOpenAIOptions,
  type OpenAIToAnthropicStreamOptions,
} from './anthropic-to-openai.js';
export {
  openAIToAnthropicRequest,
  anthropicToOpenAIResponse,
  AnthropicToOpenAIStream,
  type OpenAIToAnthropicOptions,
  type AnthropicToOpenAIStreamOptions,
} from './openai-to-anthropic.js';
export { openAIToGeminiRequest, geminiToOpenAIResponse, GeminiToOpenAIStream, type GeminiToOpenAIStreamOptions } from './openai-to-gemini.js';
export { toGeminiSchema } from './gemini-schema.js';
export {
  TranslationError,
  type TranslationErrorCode,
  readUpstreamError,
  toAnthropicError,
  toOpenAIError,
  toGeminiError,
  errorBodyFor,
  translationErrorBody,
} from './errors.js';
export { RAW_ARGUMENTS_KEY } from './util.js';
export {
  openAIEmbeddingsToGemini,
  geminiToOpenAIEmbeddings,
  geminiEmbedToOpenAI,
  openAIToGeminiEmbeddings,
  float32Base64,
  type OpenAIEmbeddingsToGemini,
  type GeminiEmbedToOpenAI,
} from './embeddings.js';
export {
  responsesOverChat,
  parseResponsesRequest,
  MemoryResponseStore,
  ChatToResponsesStream,
  type ResponsesOverChat,
  type ResponsesOverChatOptions,
  type ResponsesRequest,
  type ResponseStore,
  type StoredResponse,
  type MemoryResponseStoreOptions,
} from './responses/index.js';
export type * from './types.js';

/** Options that tune one direction; each is ignored by the pairs it does not concern. */
export interface TranslatorOptions {
  /** anthropic → openai: map `thinking` to `reasoning_effort` (default false: thinking is dropped with a warning). */
  reasoningEffort?: boolean;
  /** anthropic → openai: `max_tokens` (default) or `max_completion_tokens`. */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /** openai → anthropic: max_tokens when the client gives none (default 4096). */
  defaultMaxTokens?: number;
}

export type { StreamItem } from '../dialects/index.js';

export interface StreamTranslator {
  /** One upstream event: its SSE `event:` name (Anthropic) or undefined, and its parsed `data:` JSON. */
  push(event: string | undefined, data: unknown): StreamItem[];
  /** The upstream stream is over. Idempotent: a second call returns []. OpenAI clients get their `[DONE]` here. */
  end(): StreamItem[];
  /** The upstream broke mid-stream: the client dialect's in-stream error (Anthropic `error` event; OpenAI error chunk + `[DONE]`). */
  error(message: string): StreamItem[];
}

export interface StreamContext {
  /** Send OpenAI clients a final usage chunk. Default: what the client's request (given to `request`) asked for. */
  includeUsage?: boolean;
  /** Model name to report to the client (default: the upstream's). */
  model?: string;
}

/**
 * A translator for ONE request: `request` remembers what the later halves need (OpenAI's
 * `stream_options.include_usage`), so make a new one per request.
 */
export interface Translator {
  readonly client: Dialect;
  readonly upstream: Dialect;
  /**
   * The client's body in the upstream's dialect, for upstream model `model`, plus warnings for
   * what was dropped (for the `x-keymux-warnings` header). Throws TranslationError (400) for
   * what cannot be expressed. Gemini bodies carry neither model nor stream flag (both are in the URL).
   */
  request(body: unknown, opts: { model: string }): { body: object; warnings: string[] };
  /** A complete upstream success body in the client's dialect. */
  /** `model`: the name to report back (the one the client asked for), instead of the upstream's. */
  response(body: unknown, opts?: { model?: string }): unknown;
  stream(ctx?: StreamContext): StreamTranslator;
  /** An upstream error body (any dialect's, or text) in the client's dialect; the status stays the upstream's. */
  error(status: number, upstreamErrorBody: unknown): unknown;
}

/** The translator for a client dialect over an upstream dialect, or undefined for a pair not translated (including same-dialect pairs). */
export function translatorFor(client: Dialect, upstream: Dialect, options: TranslatorOptions = {}): Translator | undefined {
  const pair = `${client}->${upstream}`;
  const error = (status: number, body: unknown): unknown => errorBodyFor(client, status, body);
  if (pair === 'anthropic->openai') {
    return {
      client,
      upstream,
      request: (body, { model }) => anthropicToOpenAIRequest(body, { ...options, model }),
      response: (body, o = {}) => openAIToAnthropicResponse(body, o),
      stream: (ctx = {}) => anthropicStream(new OpenAIToAnthropicStream(ctx.model ? { model: ctx.model } : {})),
      error,
    };
  }
  if (pair !== 'openai->anthropic' && pair !== 'openai->gemini') return undefined;
  let includeUsage = false;
  const remember = (body: unknown): void => {
    includeUsage = isObject(body) && isObject(body.stream_options) && body.stream_options.include_usage === true;
  };
  const streamOpts = (ctx: StreamContext) => ({ includeUsage: ctx.includeUsage ?? includeUsage, ...(ctx.model ? { model: ctx.model } : {}) });
  if (pair === 'openai->anthropic') {
    return {
      client,
      upstream,
      request: (body, { model }) => {
        remember(body);
        return openAIToAnthropicRequest(body, { ...options, model });
      },
      response: (body, o = {}) => anthropicToOpenAIResponse(body, o),
      stream: (ctx = {}) => {
        const s = new AnthropicToOpenAIStream(streamOpts(ctx));
        return openAIStream((event, data) => s.push(event, data), () => s.end());
      },
      error,
    };
  }
  return {
    client,
    upstream,
    request: (body) => {
      remember(body);
      return openAIToGeminiRequest(body);
    },
    response: (body, o = {}) => geminiToOpenAIResponse(body, o),
    stream: (ctx = {}) => {
      const s = new GeminiToOpenAIStream(streamOpts(ctx));
      return openAIStream((_event, data) => s.push(data), () => s.end());
    },
    error,
  };
}

function anthropicStream(s: OpenAIToAnthropicStream): StreamTranslator {
  return {
    push: (_event, data) => s.push(data),
    end: () => s.end(),
    error: (message) => s.error(message),
  };
}

function openAIStream(push: (event: string | undefined, data: unknown) => object[], end: () => object[]): StreamTranslator {
  let closed = false;
  const close = (items: object[]): StreamItem[] => {
    if (closed) return [];
    closed = true;
    return [...items.map((data) => ({ data })), { data: '[DONE]' }];
  };
  return {
    push: (event, data) => (closed ? [] : push(event, data).map((d) => ({ data: d }))),
    end: () => close(end()),
    error: (message) => {
      if (closed) return [];
      closed = true;
      return DIALECT.openai.streamError(502, message, 'KMX_ERR_UPSTREAM');
    },
  };
}
