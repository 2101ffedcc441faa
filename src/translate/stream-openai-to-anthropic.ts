// OpenAI chat.completion.chunk stream → Anthropic Messages SSE events.
import { anthropicMessageId, anthropicStopReason, anthropicUsage } from './mapping.js';
import { DIALECT } from '../dialects/index.js';
import { readUpstreamError } from './errors.js';
import type { AnthropicSSE } from './types.js';
import { isObject, list, randomId, readOpenAIUsage } from './util.js';

export interface OpenAIToAnthropicStreamOptions {
  /** Model name reported in message_start (default: the upstream chunk's `model`). */
  model?: string;
  /** input_tokens for message_start when the upstream tells none before the end (default 0). */
  inputTokens?: number;
}

type OpenBlock = { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; index: number; key: number };

interface ToolCallState {
  id: string;
  name?: string;
  /** Argument fragments that arrived before the call's name (the block cannot open without it). */
  pending: string;
  blockIndex?: number;
}

/**
 * Feed it each parsed OpenAI chunk with `push`; call `end` when the upstream stream is over
 * (`[DONE]` or close) and `error` if it broke. Content blocks are strictly sequential: each is
 * stopped before the next starts, parallel tool calls each get their own tool_use block.
 *
 * Limitation: an upstream that interleaves argument fragments of parallel calls (fragments for a
 * call whose block was already stopped) cannot be expressed; such late fragments are dropped.
 * No known OpenAI-compatible upstream does that: they stream calls one after the other.
 */
export class OpenAIToAnthropicStream {
  private started = false;
  private done = false;
  private nextIndex = 0;
  private open: OpenBlock | undefined;
  private readonly tools = new Map<number, ToolCallState>();
  private lastToolKey: number | undefined;
  private finish: unknown;
  private matchedStop: unknown;
  private usage: unknown;
  private refused = false;

  constructor(private readonly opts: OpenAIToAnthropicStreamOptions = {}) {}

  push(chunk: unknown): AnthropicSSE[] {
    if (this.done) return [];
    if (typeof chunk === 'string') {
      if (chunk.trim() === '[DONE]') return [];
      try {
        chunk = JSON.parse(chunk);
      } catch {
        return [];
      }
    }
    if (!isObject(chunk)) return [];
    if (chunk.error !== undefined && chunk.error !== null) {
      const status = isObject(chunk.error) && typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      return this.error(readUpstreamError(status, chunk).message, DIALECT.anthropic.errorType(status));
    }
    const out: AnthropicSSE[] = [];
    if (!this.started) this.start(out, chunk);
    if (isObject(chunk.usage)) this.usage = chunk.usage;
    const choices = list(chunk.choices);
    // Only the first choice becomes the Anthropic message (Anthropic has no n > 1).
    const choice = choices.find((c): c is Record<string, unknown> => isObject(c) && (c.index ?? 0) === 0);
    if (!choice) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = delta.reasoning_content ?? delta.reasoning;
    if (typeof reasoning === 'string' && reasoning) {
      this.ensure('thinking', out);
      out.push(this.delta({ type: 'thinking_delta', thinking: reasoning }));
    }
    for (const field of ['content', 'refusal'] as const) {
      const text = delta[field];
      if (typeof text !== 'string' || !text) continue;
      if (field === 'refusal') this.refused = true;
      this.ensure('text', out);
      out.push(this.delta({ type: 'text_delta', text }));
    }
    for (const tc of list(delta.tool_calls)) if (isObject(tc)) this.toolDelta(tc, out);
    if (typeof choice.finish_reason === 'string') {
      if (choice.finish_reason === 'error') return [...out, ...this.error('the upstream stream ended with an error')];
      this.finish = choice.finish_reason;
      this.matchedStop = choice.stop_reason ?? choice.matched_stop;
    }
    return out;
  }

  end(): AnthropicSSE[] {
    if (this.done) return [];
    const out: AnthropicSSE[] = [];
    if (!this.started) this.start(out, {});
    for (const [key, st] of this.tools) if (st.blockIndex === undefined) this.openTool(key, st, out);
    this.close(out);
    const hasToolUse = this.tools.size > 0;
    const stop = this.refused
      ? { stop_reason: 'refusal', stop_sequence: null }
      : anthropicStopReason(this.finish, hasToolUse, this.matchedStop);
    const usage = this.usage !== undefined ? anthropicUsage(this.usage) : { output_tokens: 0 };
    out.push({ event: 'message_delta', data: { type: 'message_delta', delta: stop, usage } });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
    this.done = true;
    return out;
  }

  /** The stream broke after it started: Anthropic sends an `error` event and no message_stop. */
  error(message: string, type = DIALECT.anthropic.errorType(502)): AnthropicSSE[] {
    if (this.done) return [];
    this.done = true;
    return [{ event: 'error', data: { type: 'error', error: { type, message } } }];
  }

  private start(out: AnthropicSSE[], chunk: Record<string, unknown>): void {
    this.started = true;
    const u = readOpenAIUsage(chunk.usage);
    const input = u ? u.prompt - u.cached : (this.opts.inputTokens ?? 0);
    out.push({
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: anthropicMessageId(chunk.id),
          type: 'message',
          role: 'assistant',
          model: this.opts.model ?? (typeof chunk.model === 'string' ? chunk.model : ''),
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: input, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: u?.cached ?? 0 },
        },
      },
    });
  }

  private toolDelta(tc: Record<string, unknown>, out: AnthropicSSE[]): void {
    const id = typeof tc.id === 'string' && tc.id ? tc.id : undefined;
    // Without an index (a few upstreams), a new id means a new call, else the current one continues.
    const key = typeof tc.index === 'number' ? tc.index : id || this.lastToolKey === undefined ? this.tools.size : this.lastToolKey;
    let st = this.tools.get(key);
    if (!st) {
      st = { id: id ?? randomId('toolu_'), pending: '' };
      this.tools.set(key, st);
    }
    this.lastToolKey = key;
    const fn = isObject(tc.function) ? tc.function : {};
    if (typeof fn.name === 'string' && fn.name && st.name === undefined) st.name = fn.name;
    const args = typeof fn.arguments === 'string' ? fn.arguments : '';
    if (st.blockIndex === undefined) {
      st.pending += args;
      if (st.name !== undefined) this.openTool(key, st, out);
      return;
    }
    if (args && this.open?.kind === 'tool' && this.open.key === key) out.push(this.delta({ type: 'input_json_delta', partial_json: args }));
  }

  private openTool(key: number, st: ToolCallState, out: AnthropicSSE[]): void {
    this.close(out);
    st.blockIndex = this.nextIndex++;
    this.open = { kind: 'tool', index: st.blockIndex, key };
    out.push({
      event: 'content_block_start',
      data: { type: 'content_block_start', index: st.blockIndex, content_block: { type: 'tool_use', id: st.id, name: st.name ?? '', input: {} } },
    });
    if (st.pending) out.push(this.delta({ type: 'input_json_delta', partial_json: st.pending }));
    st.pending = '';
  }

  private ensure(kind: 'text' | 'thinking', out: AnthropicSSE[]): void {
    if (this.open?.kind === kind) return;
    this.close(out);
    const index = this.nextIndex++;
    this.open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: block } });
  }

  private close(out: AnthropicSSE[]): void {
    if (!this.open) return;
    out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: this.open.index } });
    this.open = undefined;
  }

  private delta(delta: object): AnthropicSSE {
    return { event: 'content_block_delta', data: { type: 'content_block_delta', index: this.open?.index ?? 0, delta } };
  }
}
