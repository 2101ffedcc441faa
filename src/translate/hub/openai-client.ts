// canonical → OpenAI chat.completions for a client: a complete response, and the chunk stream (a role chunk per
// choice, content / reasoning_content / tool_calls deltas, a finish chunk per choice, then the usage chunk if asked).
import type { CanonEvent, CanonPart, CanonResponse, CanonStop, CanonUsage } from '../canonical.js';
import { ZERO_USAGE } from '../canonical.js';
import { DIALECT } from '../../dialects/index.js';
import type { OpenAIChatCompletion, OpenAIChunk, OpenAIChunkDelta, OpenAIChunkToolCall, OpenAIErrorBody, OpenAIFinishReason, OpenAIToolCall, OpenAIUsage } from '../types.js';
import { makeOpenAIUsage, nowSeconds, randomId, stringifyToolInput } from '../util.js';

export function openAIFinish(stop: CanonStop, hasToolCalls: boolean): OpenAIFinishReason {
  switch (stop) {
    case 'length': case 'context': return 'length';
    case 'filter': case 'refusal': return 'content_filter';
    case 'tool_use': return 'tool_calls';
    default: return hasToolCalls ? 'tool_calls' : 'stop';
  }
}

/** OpenAI's prompt_tokens include cache reads and writes. */
export function openAIUsageOut(u: CanonUsage): OpenAIUsage {
  return makeOpenAIUsage(u.input + u.cacheRead + u.cacheWrite, u.output, u.cacheRead, u.reasoning);
}

export function chatId(id: string | undefined): string {
  return id ? `chatcmpl-${id.replace(/^(msg_|chatcmpl-)/, '')}` : randomId('chatcmpl-');
}

function message(parts: CanonPart[]): { text: string; reasoning: string; calls: OpenAIToolCall[] } {
  let text = '';
  let reasoning = '';
  const calls: OpenAIToolCall[] = [];
  for (const p of parts) {
    if (p.type === 'text') text += p.text;
    else if (p.type === 'thinking') reasoning += p.text;
    else if (p.type === 'tool_call') calls.push({ id: p.id || randomId('call_'), type: 'function', function: { name: p.name, arguments: stringifyToolInput(p.args) } });
  }
  return { text, reasoning, calls };
}

export function writeOpenAIResponse(res: CanonResponse, opts: { model?: string } = {}): OpenAIChatCompletion {
  return {
    id: chatId(res.id),
    object: 'chat.completion',
    created: nowSeconds(),
    model: opts.model ?? res.model ?? '',
    choices: res.choices.map((c, index) => {
      const { text, reasoning, calls } = message(c.parts);
      // A blocked prompt has no content at all; a turn of tool calls only has content null.
      const content = text || (calls.length || (c.stop === 'filter' && c.parts.length === 0) ? null : '');
      return {
        index,
        message: { role: 'assistant', content, refusal: null, ...(reasoning ? { reasoning_content: reasoning } : {}), ...(calls.length ? { tool_calls: calls } : {}) },
        finish_reason: openAIFinish(c.stop, calls.length > 0),
        logprobs: null,
      };
    }),
    usage: openAIUsageOut(res.usage),
  };
}

interface ChoiceState { calls: Map<number, number>; finished: boolean }

export class OpenAIStreamWriter {
  private id: string | undefined;
  private model: string;
  private readonly created = nowSeconds();
  private readonly choices = new Map<number, ChoiceState>();
  private usage: CanonUsage | undefined;
  private finished = false;
  private done = false;

  constructor(private readonly opts: { includeUsage?: boolean; model?: string } = {}) {
    this.model = opts.model ?? '';
  }

  push(events: CanonEvent[]): Array<OpenAIChunk | OpenAIErrorBody> {
    const out: Array<OpenAIChunk | OpenAIErrorBody> = [];
    // Tool-call deltas of one upstream event go out as one chunk (Gemini sends parallel calls together).
    let batch: { choice: number; calls: OpenAIChunkToolCall[] } | undefined;
    const flush = (): void => {
      if (batch) out.push(this.chunk(batch.choice, { tool_calls: batch.calls }));
      batch = undefined;
    };
    for (const e of events) {
      if (this.done) break;
      if (e.type === 'start') {
        if (e.id) this.id ??= chatId(e.id);
        if (!this.opts.model && e.model) this.model = e.model;
        if (e.usage) this.usage = e.usage;
        this.choice(0, out);
        continue;
      }
      if (e.type === 'usage') {
        this.usage = e.usage;
        continue;
      }
      if (e.type === 'error') {
        flush();
        this.done = true;
        out.push({ error: { message: e.message, type: DIALECT.openai.errorType(e.status), param: null, code: e.code ?? null } });
        break;
      }
      const index = e.choice ?? 0;
      if (e.type !== 'tool_args' && e.type !== 'tool_start') flush();
      const st = this.choice(index, out);
      switch (e.type) {
        case 'text': if (e.text) out.push(this.chunk(index, { content: e.text })); break;
        case 'thinking': if (e.text) out.push(this.chunk(index, { reasoning_content: e.text })); break;
        case 'tool_start': {
          if (batch && batch.choice !== index) flush();
          const n = st.calls.size;
          st.calls.set(e.key, n);
          batch ??= { choice: index, calls: [] };
          batch.calls.push({ index: n, id: e.id || randomId('call_'), type: 'function', function: { name: e.name, arguments: '' } });
          break;
        }
        case 'tool_args': {
          const n = st.calls.get(e.key);
          if (n === undefined || !e.json) break;
          if (batch && batch.choice !== index) flush();
          const open = batch?.calls.find((c) => c.index === n);
          if (open?.function) open.function.arguments = (open.function.arguments ?? '') + e.json;
          else (batch ??= { choice: index, calls: [] }).calls.push({ index: n, function: { arguments: e.json } });
          break;
        }
        case 'finish':
          st.finished = true;
          this.finished = true;
          out.push(this.chunk(index, {}, openAIFinish(e.stop, st.calls.size > 0)));
          break;
      }
    }
    flush();
    return out;
  }

  /** The upstream is over: the usage chunk, if asked for and the message finished. A cut stream gets no finish. */
  end(): OpenAIChunk[] {
    if (this.done) return [];
    this.done = true;
    if (!this.opts.includeUsage || !this.finished) return [];
    return [{ ...this.chunk(0, {}), choices: [], usage: openAIUsageOut(this.usage ?? ZERO_USAGE) }];
  }

  private choice(index: number, out: Array<OpenAIChunk | OpenAIErrorBody>): ChoiceState {
    let st = this.choices.get(index);
    if (!st) {
      st = { calls: new Map(), finished: false };
      this.choices.set(index, st);
      out.push(this.chunk(index, { role: 'assistant', content: '' }));
    }
    return st;
  }

  private chunk(index: number, delta: OpenAIChunkDelta, finish: OpenAIFinishReason | null = null): OpenAIChunk {
    this.id ??= chatId(undefined);
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index, delta, finish_reason: finish, logprobs: null }] };
  }
}
