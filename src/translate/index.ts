// The translate module's only door: dialect translation between a client's API and an upstream's, through the hub
// (hub/: per dialect a reader into the canonical form of canonical.ts and a writer out of it).
import type { Dialect, StreamItem } from '../dialects/index.js';
import { hubTranslator } from './hub/index.js';

export {
  anthropicToOpenAIRequest,
  openAIToAnthropicResponse,
  OpenAIToAnthropicStream,
  openAIToAnthropicRequest,
  anthropicToOpenAIResponse,
  AnthropicToOpenAIStream,
  openAIToGeminiRequest,
  geminiToOpenAIResponse,
  GeminiToOpenAIStream,
  SKIP_THOUGHT_SIGNATURE,
  type AnthropicToOpenAIOptions,
  type OpenAIToAnthropicStreamOptions,
  type OpenAIToAnthropicOptions,
  type AnthropicToOpenAIStreamOptions,
  type GeminiToOpenAIStreamOptions,
} from './pairs.js';
export { toGeminiSchema } from './gemini-schema.js';
export { hubTranslator, TARGET as DIALECT_NAMES } from './hub/index.js';
export type * from './canonical.js';
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
   * what cannot be expressed. Gemini bodies carry neither model nor stream flag (both are in the URL): for a
   * Gemini client, `stream` says whether its URL asked for a stream.
   */
  request(body: unknown, opts: { model: string; stream?: boolean }): { body: object; warnings: string[] };
  /** A complete upstream success body in the client's dialect. */
  /** `model`: the name to report back (the one the client asked for), instead of the upstream's. */
  response(body: unknown, opts?: { model?: string }): unknown;
  stream(ctx?: StreamContext): StreamTranslator;
  /** An upstream error body (any dialect's, or text) in the client's dialect; the status stays the upstream's. */
  error(status: number, upstreamErrorBody: unknown): unknown;
}

/** The translator for a client dialect over an upstream dialect, or undefined for a same-dialect pair (passed through untouched). */
export function translatorFor(client: Dialect, upstream: Dialect, options: TranslatorOptions = {}): Translator | undefined {
  return hubTranslator(client, upstream, options);
}
