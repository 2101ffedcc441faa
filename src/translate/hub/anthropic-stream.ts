// canonical stream events → Anthropic Messages SSE, with the block state machine Anthropic clients need:
// message_start, then strictly sequential content blocks (start, deltas, stop), then message_delta and message_stop.
import type { CanonEvent, CanonStop, CanonUsage } from '../canonical.js';
import { ZERO_USAGE } from '../canonical.js';
import { DIALECT, type StreamItem } from '../../dialects/index.js';
import { randomId } from '../util.js';
import { anthropicStopReason, anthropicUsageOut, clientSignature, messageId } from './anthropic-write.js';

type Open = { kind: 'text' | 'thinking'; index: number } | { kind: 'tool'; index: number; key: number };

export class AnthropicStreamWriter {
  private started = false;
  private done = false;
  private next = 0;
  private open: Open | undefined;
  private usage: CanonUsage = ZERO_USAGE;
  private stop: CanonStop | undefined;
  private stopSequence: string | undefined;
  private tools = 0;

  private sawUsage = false;

  /** inputTokens: message_start's input_tokens when the upstream tells none before the end (an estimate; default 0). */
  constructor(private readonly opts: { model?: string; inputTokens?: number } = {}) {}

  push(events: CanonEvent[]): StreamItem[] {
    const out: StreamItem[] = [];
    for (const e of events) {
      if (this.done) break;
      if ('choice' in e && e.choice) continue; // one-choice dialect: other candidates stay behind
      if (e.type === 'error') {
        out.push(...this.error(e.message, e.status));
        break;
      }
      if (!this.started) this.start(out, e.type === 'start' ? e : { type: 'start' });
      switch (e.type) {
        case 'start': break;
        case 'text':
          if (!e.text) break;
          this.ensure('text', out);
          out.push(this.delta({ type: 'text_delta', text: e.text }));
          break;
        case 'thinking':
          if (e.redacted !== undefined) {
            this.close(out);
            const index = this.next++;
            out.push(item('content_block_start', { type: 'content_block_start', index, content_block: { type: 'redacted_thinking', data: e.redacted } }));
            out.push(item('content_block_stop', { type: 'content_block_stop', index }));
            break;
          }
          this.ensure('thinking', out);
          if (e.text) out.push(this.delta({ type: 'thinking_delta', thinking: e.text }));
          if (e.sig?.anthropic || e.sig?.gemini) out.push(this.delta({ type: 'signature_delta', signature: clientSignature(e.sig) }));
          break;
        case 'tool_start': {
          this.close(out);
          this.tools++;
          const index = this.next++;
          this.open = { kind: 'tool', index, key: e.key };
          out.push(item('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id: e.id || randomId('toolu_'), name: e.name, input: {} } }));
          break;
        }
        case 'tool_args':
          // Blocks are sequential: fragments of a call whose block is already stopped cannot be said (no known upstream sends them).
          if (e.json && this.open?.kind === 'tool' && this.open.key === e.key) out.push(this.delta({ type: 'input_json_delta', partial_json: e.json }));
          break;
        case 'usage':
          this.usage = e.usage;
          this.sawUsage = true;
          break;
        case 'finish':
          this.stop = e.stop;
          this.stopSequence = e.stopSequence;
          break;
      }
    }
    return out;
  }

  /** The upstream is over: close the open block and say how the message ended. */
  end(): StreamItem[] {
    if (this.done) return [];
    const out: StreamItem[] = [];
    if (!this.started) this.start(out, { type: 'start' });
    this.close(out);
    let stop = this.stop ?? 'end';
    if (stop === 'end' && this.tools > 0) stop = 'tool_use';
    const delta = { stop_reason: anthropicStopReason(stop), stop_sequence: stop === 'stop_sequence' ? (this.stopSequence ?? null) : null };
    const usage = this.sawUsage ? anthropicUsageOut(this.usage) : { output_tokens: 0 };
    out.push(item('message_delta', { type: 'message_delta', delta, usage }));
    out.push(item('message_stop', { type: 'message_stop' }));
    this.done = true;
    return out;
  }

  /** The stream broke after it started: Anthropic sends an `error` event and no message_stop. */
  /** `type`: Anthropic's error type when known (else the one of `status`). */
  error(message: string, status = 502, type?: string): StreamItem[] {
    if (this.done) return [];
    this.done = true;
    if (type) return [item('error', { type: 'error', error: { type, message } })];
    return DIALECT.anthropic.streamError(status, message);
  }

  private start(out: StreamItem[], e: Extract<CanonEvent, { type: 'start' }>): void {
    this.started = true;
    if (e.usage) {
      this.usage = e.usage;
      this.sawUsage = true;
    } else this.usage = { ...ZERO_USAGE, input: this.opts.inputTokens ?? 0 };
    const message = {
      id: messageId(e.id),
      type: 'message',
      role: 'assistant',
      model: this.opts.model ?? e.model ?? '',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { ...anthropicUsageOut(this.usage), output_tokens: 0 },
    };
    out.push(item('message_start', { type: 'message_start', message }));
  }

  private ensure(kind: 'text' | 'thinking', out: StreamItem[]): void {
    if (this.open?.kind === kind) return;
    this.close(out);
    const index = this.next++;
    this.open = { kind, index };
    const block = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    out.push(item('content_block_start', { type: 'content_block_start', index, content_block: block }));
  }

  private close(out: StreamItem[]): void {
    if (!this.open) return;
    out.push(item('content_block_stop', { type: 'content_block_stop', index: this.open.index }));
    this.open = undefined;
  }

  private delta(delta: object): StreamItem {
    return item('content_block_delta', { type: 'content_block_delta', index: this.open?.index ?? 0, delta });
  }
}

function item(event: string, data: object): StreamItem {
  return { event, data };
}
