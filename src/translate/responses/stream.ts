// OpenAI chat.completion chunks as the Responses API's stream: response.created / in_progress, then per output
// item output_item.added → (content_part.added → output_text.delta… → output_text.done → content_part.done |
// function_call_arguments.delta… → .done) → output_item.done, and response.completed with usage — the events
// the openai SDK's ResponseStream accumulates and Codex CLI reads.
import type { StreamItem } from '../../dialects/index.js';
import type { OpenAIMessage } from '../types.js';
import { assistantMessage, functionCallItem, messageItem, newId, reasoningItem, reasoningPart, responseObject, responseUsage, statusOf, textPart, type Envelope, type OutputItem, type ResponseUsage } from './response.js';

interface OpenText { index: number; id: string; text: string }
interface OpenCall { index: number; id: string; call_id: string; name: string; args: string; done: boolean }

const rec = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : undefined;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export class ChatToResponsesStream {
  private seq = 0;
  private started = false;
  private closed = false;
  private readonly output: OutputItem[] = [];
  private text: OpenText | undefined;
  private reasoning: OpenText | undefined;
  private allText = '';
  private readonly calls = new Map<number, OpenCall>();
  private finish: unknown = null;
  private usage: ResponseUsage | null = null;

  constructor(
    private readonly env: Envelope,
    /** Called once, when the stream completes: the assistant turn, for a later previous_response_id. */
    private readonly onDone: (assistant: OpenAIMessage) => void = () => {},
  ) {}

  private ev(type: string, data: Record<string, unknown>): StreamItem {
    return { event: type, data: { type, sequence_number: this.seq++, ...data } };
  }

  private start(out: StreamItem[]): void {
    if (this.started) return;
    this.started = true;
    const r = responseObject(this.env, { status: 'in_progress', output: [], usage: null });
    out.push(this.ev('response.created', { response: r }), this.ev('response.in_progress', { response: r }));
  }

  private closeText(out: StreamItem[]): void {
    const t = this.text;
    if (!t) return;
    this.text = undefined;
    const at = { item_id: t.id, output_index: t.index, content_index: 0 };
    const item = messageItem(t.id, 'completed', t.text);
    this.output[t.index] = item;
    out.push(
      this.ev('response.output_text.done', { ...at, text: t.text, logprobs: [] }),
      this.ev('response.content_part.done', { ...at, part: textPart(t.text) }),
      this.ev('response.output_item.done', { output_index: t.index, item }),
    );
  }

  private closeReasoning(out: StreamItem[]): void {
    const t = this.reasoning;
    if (!t) return;
    this.reasoning = undefined;
    const at = { item_id: t.id, output_index: t.index, content_index: 0 };
    const item = reasoningItem(t.id, 'completed', t.text);
    this.output[t.index] = item;
    out.push(
      this.ev('response.reasoning_text.done', { ...at, text: t.text }),
      this.ev('response.content_part.done', { ...at, part: reasoningPart(t.text) }),
      this.ev('response.output_item.done', { output_index: t.index, item }),
    );
  }

  private onReasoning(delta: string, out: StreamItem[]): void {
    if (!this.reasoning) {
      const t: OpenText = { index: this.output.length, id: newId('rs'), text: '' };
      this.reasoning = t;
      this.output.push(reasoningItem(t.id, 'in_progress', undefined));
      out.push(
        this.ev('response.output_item.added', { output_index: t.index, item: reasoningItem(t.id, 'in_progress', undefined) }),
        this.ev('response.content_part.added', { item_id: t.id, output_index: t.index, content_index: 0, part: reasoningPart('') }),
      );
    }
    this.reasoning.text += delta;
    out.push(this.ev('response.reasoning_text.delta', { item_id: this.reasoning.id, output_index: this.reasoning.index, content_index: 0, delta }));
  }

  private closeCall(c: OpenCall, out: StreamItem[]): void {
    if (c.done) return;
    c.done = true;
    const item = functionCallItem(c.id, 'completed', { call_id: c.call_id, name: c.name, arguments: c.args });
    this.output[c.index] = item;
    out.push(
      this.ev('response.function_call_arguments.done', { item_id: c.id, output_index: c.index, name: c.name, arguments: c.args }),
      this.ev('response.output_item.done', { output_index: c.index, item }),
    );
  }

  private onText(delta: string, out: StreamItem[]): void {
    this.closeReasoning(out);
    if (!this.text) {
      const t: OpenText = { index: this.output.length, id: newId('msg'), text: '' };
      this.text = t;
      this.output.push(messageItem(t.id, 'in_progress', undefined));
      out.push(
        this.ev('response.output_item.added', { output_index: t.index, item: messageItem(t.id, 'in_progress', undefined) }),
        this.ev('response.content_part.added', { item_id: t.id, output_index: t.index, content_index: 0, part: textPart('') }),
      );
    }
    this.text.text += delta;
    this.allText += delta;
    out.push(this.ev('response.output_text.delta', { item_id: this.text.id, output_index: this.text.index, content_index: 0, delta, logprobs: [] }));
  }

  private onToolCall(tc: Record<string, unknown>, out: StreamItem[]): void {
    const key = typeof tc.index === 'number' ? tc.index : 0;
    const fn = rec(tc.function) ?? {};
    let c = this.calls.get(key);
    if (!c) {
      this.closeReasoning(out);
      this.closeText(out);
      c = { index: this.output.length, id: newId('fc'), call_id: str(tc.id) || newId('call'), name: str(fn.name), args: '', done: false };
      this.calls.set(key, c);
      const item = functionCallItem(c.id, 'in_progress', { call_id: c.call_id, name: c.name, arguments: '' });
      this.output.push(item);
      out.push(this.ev('response.output_item.added', { output_index: c.index, item }));
    }
    const delta = str(fn.arguments);
    if (delta) {
      c.args += delta;
      out.push(this.ev('response.function_call_arguments.delta', { item_id: c.id, output_index: c.index, delta }));
    }
  }

  /** One chat chunk (parsed JSON). */
  push(data: unknown): StreamItem[] {
    if (this.closed) return [];
    const chunk = rec(data);
    if (!chunk) return [];
    const err = rec(chunk.error);
    if (err) return this.error(str(err.message) || 'the provider reported an error mid-stream');
    const out: StreamItem[] = [];
    this.start(out);
    if (chunk.usage != null) this.usage = responseUsage(chunk.usage) ?? this.usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = rec(choices[0]);
    if (!choice) return out;
    const delta = rec(choice.delta) ?? {};
    // DeepSeek, NIM and vLLM say reasoning_content; OpenRouter and Groq say reasoning.
    const thought = str(delta.reasoning_content) || str(delta.reasoning);
    if (thought) this.onReasoning(thought, out);
    if (typeof delta.content === 'string' && delta.content) this.onText(delta.content, out);
    if (Array.isArray(delta.tool_calls)) for (const tc of delta.tool_calls) this.onToolCall(rec(tc) ?? {}, out);
    if (choice.finish_reason != null) this.finish = choice.finish_reason;
    return out;
  }

  /** The chat stream is over: every open item closes, then response.completed (or .incomplete). Idempotent. */
  end(): StreamItem[] {
    if (this.closed) return [];
    this.closed = true;
    const out: StreamItem[] = [];
    this.start(out);
    this.closeReasoning(out);
    this.closeText(out);
    for (const c of this.calls.values()) this.closeCall(c, out);
    const st = statusOf(this.finish);
    const response = responseObject(this.env, { ...st, output: this.output, usage: this.usage });
    out.push(this.ev(st.status === 'completed' ? 'response.completed' : 'response.incomplete', { response }));
    const calls = [...this.calls.values()].map((c) => ({ call_id: c.call_id, name: c.name, arguments: c.args }));
    this.onDone(assistantMessage(this.allText, calls));
    return out;
  }

  /** The upstream broke mid-stream: an `error` event, then response.failed. */
  error(message: string): StreamItem[] {
    if (this.closed) return [];
    this.closed = true;
    const out: StreamItem[] = [];
    this.start(out);
    out.push(this.ev('error', { code: 'KMX_ERR_UPSTREAM', message, param: null }));
    const response = { ...responseObject(this.env, { status: 'failed', output: this.output, usage: this.usage }), error: { code: 'server_error', message } };
    out.push(this.ev('response.failed', { response }));
    return out;
  }
}
