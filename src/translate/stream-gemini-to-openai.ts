// Gemini streamGenerateContent (alt=sse) chunks → OpenAI chat.completion.chunk stream.
import { DIALECT } from '../dialects/index.js';
import { readUpstreamError } from './errors.js';
import { geminiPartsToOpenAI, openAIChatId, openAIFinishFromGemini, openAIUsageFromGemini } from './mapping.js';
import type { OpenAIChunk, OpenAIChunkDelta, OpenAIErrorBody, OpenAIFinishReason } from './types.js';
import { isObject, list, nowSeconds } from './util.js';

export interface GeminiToOpenAIStreamOptions {
  /** The client asked for `stream_options.include_usage`: end with a `choices: []` usage chunk. */
  includeUsage?: boolean;
  /** Model name in the chunks (default: the upstream's `modelVersion`). */
  model?: string;
}

interface ChoiceState { toolCalls: number; finish?: unknown }

/**
 * Feed it each parsed Gemini chunk with `push`; call `end` when the upstream closes. Gemini sends
 * each function call whole, so a tool call goes out as one delta with id, name and all arguments.
 * Finish chunks (one per candidate that finished) and the usage chunk come out of `end`, when the
 * last usageMetadata is known; a stream cut before any finishReason gets no finish chunk.
 */
export class GeminiToOpenAIStream {
  private id: string | undefined;
  private model: string;
  private readonly created = nowSeconds();
  private readonly choices = new Map<number, ChoiceState>();
  private usage: unknown;
  private blocked = false;
  private done = false;

  constructor(private readonly opts: GeminiToOpenAIStreamOptions = {}) {
    this.model = opts.model ?? '';
  }

  push(chunk: unknown): Array<OpenAIChunk | OpenAIErrorBody> {
    if (this.done) return [];
    if (typeof chunk === 'string') {
      try {
        chunk = JSON.parse(chunk);
      } catch {
        return [];
      }
    }
    // The non-SSE JSON-array form: one level only, so a nested array cannot recurse without end.
    if (Array.isArray(chunk)) return list(chunk).flatMap((c) => (Array.isArray(c) ? [] : this.push(c)));
    if (!isObject(chunk)) return [];
    if (chunk.error != null) {
      this.done = true;
      const status = isObject(chunk.error) && typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      const info = readUpstreamError(status, chunk);
      return [{ error: { message: info.message, type: DIALECT.openai.errorType(status), param: null, code: info.type ?? null } }];
    }
    this.id ??= openAIChatId(chunk.responseId, /^$/);
    if (!this.opts.model && typeof chunk.modelVersion === 'string') this.model = chunk.modelVersion;
    if (isObject(chunk.usageMetadata)) this.usage = chunk.usageMetadata;
    const out: OpenAIChunk[] = [];
    const candidates = list(chunk.candidates);
    if (candidates.length === 0 && isObject(chunk.promptFeedback) && chunk.promptFeedback.blockReason) this.blocked = true;
    for (const [i, c] of candidates.entries()) {
      if (!isObject(c)) continue;
      const index = typeof c.index === 'number' ? c.index : i;
      const st = this.choice(index, out);
      const { content, reasoning, toolCalls } = geminiPartsToOpenAI(isObject(c.content) ? c.content.parts : undefined);
      if (reasoning) out.push(this.chunk(index, { reasoning_content: reasoning }));
      if (content) out.push(this.chunk(index, { content }));
      if (toolCalls.length) {
        const deltas = toolCalls.map((tc) => ({ index: st.toolCalls++, ...tc }));
        out.push(this.chunk(index, { tool_calls: deltas }));
      }
      if (typeof c.finishReason === 'string' && c.finishReason !== 'FINISH_REASON_UNSPECIFIED') st.finish = c.finishReason;
    }
    return out;
  }

  end(): OpenAIChunk[] {
    if (this.done) return [];
    this.done = true;
    const out: OpenAIChunk[] = [];
    if (this.blocked && this.choices.size === 0) {
      this.choice(0, out).finish = 'SAFETY';
    }
    for (const [index, st] of this.choices) {
      if (st.finish === undefined) continue;
      const reason: OpenAIFinishReason = openAIFinishFromGemini(st.finish, st.toolCalls > 0);
      out.push(this.chunk(index, {}, reason));
    }
    if (this.opts.includeUsage && this.usage !== undefined) {
      out.push({ ...this.chunk(0, {}), choices: [], usage: openAIUsageFromGemini(this.usage) });
    }
    return out;
  }

  private choice(index: number, out: OpenAIChunk[]): ChoiceState {
    let st = this.choices.get(index);
    if (!st) {
      st = { toolCalls: 0 };
      this.choices.set(index, st);
      out.push(this.chunk(index, { role: 'assistant', content: '' }));
    }
    return st;
  }

  private chunk(index: number, delta: OpenAIChunkDelta, finish: OpenAIFinishReason | null = null): OpenAIChunk {
    this.id ??= openAIChatId(undefined, /^$/);
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index, delta, finish_reason: finish, logprobs: null }],
    };
  }
}
