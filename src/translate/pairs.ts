// The pair-named entries of the first three translators, kept for their callers and tests: each is now the
// hub's reader of one dialect composed with the writer of another.
import type { CanonEvent, HubContext } from './canonical.js';
import { AnthropicStreamReader, readAnthropicRequest, readAnthropicResponse } from './hub/anthropic-read.js';
import { AnthropicStreamWriter } from './hub/anthropic-stream.js';
import { writeAnthropicRequest, writeAnthropicResponse } from './hub/anthropic-write.js';
import { GeminiStreamReader, readGeminiResponse } from './hub/gemini-reply.js';
import { writeGeminiRequest } from './hub/gemini-write.js';
import { TARGET } from './hub/index.js';
import { OpenAIStreamWriter, writeOpenAIResponse } from './hub/openai-client.js';
import { readOpenAIRequest } from './hub/openai-read.js';
import { OpenAIStreamReader, readOpenAIResponse } from './hub/openai-reply.js';
import { writeOpenAIRequest } from './hub/openai-write.js';
import type {
  AnthropicMessage, AnthropicMessagesRequest, AnthropicSSE, GeminiRequest, OpenAIChatCompletion, OpenAIChatRequest, OpenAIChunk, OpenAIErrorBody,
} from './types.js';
import { isObject } from './util.js';

export { SKIP_THOUGHT_SIGNATURE } from './hub/gemini-write.js';

export interface AnthropicToOpenAIOptions {
  /** Upstream model id; replaces the client's `model`. */
  model?: string;
  /** Map `thinking` (and `output_config.effort`) to `reasoning_effort`; off by default (many upstreams reject it). */
  reasoningEffort?: boolean;
  /** `max_tokens` (default; NIM, Groq, OpenRouter) or `max_completion_tokens` (OpenAI's reasoning models). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

export interface OpenAIToAnthropicOptions {
  model?: string;
  /** Anthropic requires max_tokens; used when the client sets none. Default 4096. */
  defaultMaxTokens?: number;
}

export interface OpenAIToAnthropicStreamOptions { model?: string; inputTokens?: number }
export interface AnthropicToOpenAIStreamOptions { includeUsage?: boolean; model?: string }
export type GeminiToOpenAIStreamOptions = AnthropicToOpenAIStreamOptions;

const ctxFor = (upstream: 'openai' | 'anthropic' | 'gemini'): HubContext => ({ warnings: [], target: TARGET[upstream], upstream });

export function anthropicToOpenAIRequest(input: unknown, opts: AnthropicToOpenAIOptions = {}): { body: OpenAIChatRequest; warnings: string[] } {
  const ctx = ctxFor('openai');
  const req = readAnthropicRequest(input, ctx);
  const body = writeOpenAIRequest(req, { ...opts, model: opts.model ?? req.model ?? '' }, ctx);
  return { body, warnings: ctx.warnings };
}

export function openAIToAnthropicRequest(input: unknown, opts: OpenAIToAnthropicOptions = {}): { body: AnthropicMessagesRequest; warnings: string[] } {
  const ctx = ctxFor('anthropic');
  const req = readOpenAIRequest(input, ctx);
  const body = writeAnthropicRequest(req, { ...opts, model: opts.model ?? req.model ?? '' }, ctx);
  return { body, warnings: ctx.warnings };
}

/** The request body for `…/models/{model}:generateContent`: Gemini takes the model and streaming from the URL. */
export function openAIToGeminiRequest(input: unknown): { body: GeminiRequest; warnings: string[] } {
  const ctx = ctxFor('gemini');
  const body = writeGeminiRequest(readOpenAIRequest(input, ctx), ctx);
  return { body, warnings: ctx.warnings };
}

export function openAIToAnthropicResponse(input: unknown, opts: { model?: string } = {}): AnthropicMessage {
  return writeAnthropicResponse(readOpenAIResponse(input), opts);
}

export function anthropicToOpenAIResponse(input: unknown, opts: { model?: string } = {}): OpenAIChatCompletion {
  return writeOpenAIResponse(readAnthropicResponse(input), opts);
}

export function geminiToOpenAIResponse(input: unknown, opts: { model?: string } = {}): OpenAIChatCompletion {
  return writeOpenAIResponse(readGeminiResponse(input), opts);
}

/** OpenAI chunks in, Anthropic events out: `push` each parsed chunk (or its JSON text), `end` at `[DONE]` or close. */
export class OpenAIToAnthropicStream {
  private readonly reader = new OpenAIStreamReader();
  private readonly writer: AnthropicStreamWriter;
  constructor(opts: OpenAIToAnthropicStreamOptions = {}) {
    this.writer = new AnthropicStreamWriter(opts);
  }
  push(chunk: unknown): AnthropicSSE[] {
    return sse(this.writer.push(this.reader.push(undefined, chunk)));
  }
  end(): AnthropicSSE[] {
    return sse([...this.writer.push(this.reader.end()), ...this.writer.end()]);
  }
  /** The stream broke: an `error` event (of Anthropic's `type`, default the one of a 502) and no message_stop. */
  error(message: string, type?: string): AnthropicSSE[] {
    return sse(this.writer.error(message, 502, type));
  }
}

/** Anthropic events in, OpenAI chunks out (no `[DONE]`: the caller ends the stream). */
export class AnthropicToOpenAIStream {
  private readonly reader = new AnthropicStreamReader();
  private readonly writer: OpenAIStreamWriter;
  constructor(opts: AnthropicToOpenAIStreamOptions = {}) {
    this.writer = new OpenAIStreamWriter(opts);
  }
  push(event: string | undefined, data: unknown): Array<OpenAIChunk | OpenAIErrorBody> {
    return this.writer.push(this.reader.push(event, data));
  }
  end(): OpenAIChunk[] {
    return endOpenAI(this.writer, this.reader.end());
  }
}

/** Gemini chunks (SSE events or the JSON array) in, OpenAI chunks out. */
export class GeminiToOpenAIStream {
  private readonly reader = new GeminiStreamReader();
  private readonly writer: OpenAIStreamWriter;
  constructor(opts: GeminiToOpenAIStreamOptions = {}) {
    this.writer = new OpenAIStreamWriter(opts);
  }
  push(chunk: unknown): Array<OpenAIChunk | OpenAIErrorBody> {
    return this.writer.push(this.reader.push(undefined, chunk));
  }
  end(): OpenAIChunk[] {
    return endOpenAI(this.writer, this.reader.end());
  }
}

/** The reader's last events (finishes) and the writer's end; an error at that point has nowhere to go but out. */
function endOpenAI(writer: OpenAIStreamWriter, last: CanonEvent[]): OpenAIChunk[] {
  const out = writer.push(last).filter((c): c is OpenAIChunk => 'choices' in c);
  return [...out, ...writer.end()];
}

function sse(items: Array<{ event?: string; data: unknown }>): AnthropicSSE[] {
  return items.map((i) => ({ event: i.event ?? '', data: isObject(i.data) ? i.data : {} }));
}
