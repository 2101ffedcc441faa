// Anthropic Messages SSE events → OpenAI chat.completion.chunk stream.
import { DIALECT } from '../dialects/index.js';
import { openAIChatId, openAIFinishFromAnthropic } from './mapping.js';
import type { OpenAIChunk, OpenAIChunkDelta, OpenAIErrorBody, OpenAIFinishReason } from './types.js';
import { isObject, makeOpenAIUsage, nowSeconds, num, randomId, str } from './util.js';

export interface AnthropicToOpenAIStreamOptions {
  /** The client asked for `stream_options.include_usage`: end with a `choices: []` usage chunk. */
  includeUsage?: boolean;
  /** Model name in the chunks (default: the upstream's, from message_start). */
  model?: string;
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504, overloaded_error: 529,
};

/**
 * Feed it each Anthropic event with `push(eventName, parsedData)`; call `end` when the upstream
 * closes. The chunks: a role chunk, content / reasoning_content / tool_calls deltas (a call's
 * id and name first, then its argument fragments), a finish_reason chunk at message_stop, then
 * the usage chunk if asked for. An `error` event becomes an OpenAI in-stream error object.
 */
export class AnthropicToOpenAIStream {
  private id = openAIChatId(undefined, /^msg_/);
  private model: string;
  private readonly created = nowSeconds();
  private done = false;
  private started = false;
  /** Anthropic content-block index → OpenAI tool_calls index. */
  private readonly toolIndex = new Map<number, number>();
  private stopReason: unknown;
  private inputTokens = 0;
  private cacheRead = 0;
  private cacheWrite = 0;
  private outputTokens = 0;

  constructor(private readonly opts: AnthropicToOpenAIStreamOptions = {}) {
    this.model = opts.model ?? '';
  }

  push(event: string | undefined, data: unknown): Array<OpenAIChunk | OpenAIErrorBody> {
    if (this.done || !isObject(data)) return [];
    const type = typeof data.type === 'string' ? data.type : event;
    switch (type) {
      case 'message_start': {
        const m = isObject(data.message) ? data.message : {};
        this.id = openAIChatId(m.id, /^msg_/);
        if (!this.opts.model && typeof m.model === 'string') this.model = m.model;
        this.readUsage(m.usage);
        return this.start();
      }
      case 'content_block_start': {
        const out = this.start();
        const block = isObject(data.content_block) ? data.content_block : {};
        if (block.type === 'tool_use') {
          const index = this.toolIndex.size;
          this.toolIndex.set(num(data.index) ?? -1, index);
          out.push(this.chunk({ tool_calls: [{ index, id: str(block.id) || randomId('call_'), type: 'function', function: { name: str(block.name) ?? '', arguments: '' } }] }));
        } else if (block.type === 'text' && typeof block.text === 'string' && block.text) {
          out.push(this.chunk({ content: block.text }));
        }
        return out;
      }
      case 'content_block_delta': {
        const out = this.start();
        const d = isObject(data.delta) ? data.delta : {};
        if (d.type === 'text_delta' && typeof d.text === 'string' && d.text) out.push(this.chunk({ content: d.text }));
        else if (d.type === 'thinking_delta' && typeof d.thinking === 'string' && d.thinking) out.push(this.chunk({ reasoning_content: d.thinking }));
        else if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json) {
          const index = this.toolIndex.get(num(data.index) ?? -1);
          if (index !== undefined) out.push(this.chunk({ tool_calls: [{ index, function: { arguments: d.partial_json } }] }));
        }
        return out; // signature_delta, citations_delta: nothing to say in OpenAI's dialect
      }
      case 'message_delta': {
        const d = isObject(data.delta) ? data.delta : {};
        if (d.stop_reason !== undefined && d.stop_reason !== null) this.stopReason = d.stop_reason;
        this.readUsage(data.usage);
        return [];
      }
      case 'message_stop': return this.finish();
      case 'error': {
        this.done = true;
        const err = isObject(data.error) ? data.error : {};
        const errType = typeof err.type === 'string' ? err.type : 'api_error';
        const message = typeof err.message === 'string' ? err.message : 'the upstream stream failed';
        return [{ error: { message, type: DIALECT.openai.errorType(ERROR_STATUS[errType] ?? 500), param: null, code: errType } }];
      }
      default: return []; // ping, content_block_stop, unknown events
    }
  }

  /** The upstream closed. Without a message_stop the stream was cut: no finish chunk is invented. */
  end(): OpenAIChunk[] {
    this.done = true;
    return [];
  }

  private start(): OpenAIChunk[] {
    if (this.started) return [];
    this.started = true;
    return [this.chunk({ role: 'assistant', content: '' })];
  }

  private finish(): OpenAIChunk[] {
    const out = this.start();
    this.done = true;
    const reason: OpenAIFinishReason = openAIFinishFromAnthropic(this.stopReason, this.toolIndex.size > 0);
    out.push(this.chunk({}, reason));
    if (this.opts.includeUsage) {
      const prompt = this.inputTokens + this.cacheRead + this.cacheWrite;
      out.push({ ...this.chunk({}), choices: [], usage: makeOpenAIUsage(prompt, this.outputTokens, this.cacheRead) });
    }
    return out;
  }

  /** message_start carries input tokens, each message_delta the cumulative counts: the last value wins. */
  private readUsage(u: unknown): void {
    if (!isObject(u)) return;
    this.inputTokens = num(u.input_tokens) ?? this.inputTokens;
    this.cacheRead = num(u.cache_read_input_tokens) ?? this.cacheRead;
    this.cacheWrite = num(u.cache_creation_input_tokens) ?? this.cacheWrite;
    this.outputTokens = num(u.output_tokens) ?? this.outputTokens;
  }

  private chunk(delta: OpenAIChunkDelta, finish: OpenAIFinishReason | null = null): OpenAIChunk {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: this.created,
      model: this.model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    };
  }
}
