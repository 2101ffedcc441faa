// OpenAI chat.completions responses and chunk streams (an upstream's) → canonical.
import type { CanonEvent, CanonPart, CanonResponse, CanonStop, CanonUsage } from '../canonical.js';
import { invalidRequest, readUpstreamError } from '../errors.js';
import { isObject, list, parseToolArguments, readOpenAIUsage, str } from '../util.js';

/** A stop sequence is only known where the upstream says which one matched (vLLM/NIM `stop_reason`, SGLang `matched_stop`). */
export function openAIStop(finish: unknown, hasToolCalls: boolean, matched?: unknown): { stop: CanonStop; stopSequence?: string } {
  if (finish === 'length') return { stop: 'length' };
  if (finish === 'content_filter') return { stop: 'filter' };
  if (finish === 'tool_calls' || finish === 'function_call' || hasToolCalls) return { stop: 'tool_use' };
  if (typeof matched === 'string' && matched !== '') return { stop: 'stop_sequence', stopSequence: matched };
  return { stop: 'end' };
}

/** OpenAI's prompt_tokens include cache reads; its completion_tokens include reasoning. */
export function openAIUsageIn(u: unknown): CanonUsage | undefined {
  const r = readOpenAIUsage(u);
  if (!r) return undefined;
  return { input: Math.max(0, r.prompt - r.cached), output: r.completion, cacheRead: r.cached, cacheWrite: 0, reasoning: r.reasoning ?? 0 };
}

export function readOpenAIResponse(input: unknown): CanonResponse {
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const choices = list(input.choices).filter(isObject).map((choice) => {
    const msg = isObject(choice.message) ? choice.message : {};
    const parts: CanonPart[] = [];
    const reasoning = str(msg.reasoning_content) ?? str(msg.reasoning);
    if (reasoning) parts.push({ type: 'thinking', text: reasoning });
    const text = typeof msg.content === 'string' ? msg.content : list(msg.content).map((p) => (isObject(p) ? str(p.text) ?? '' : '')).join('');
    if (text) parts.push({ type: 'text', text });
    const refusal = str(msg.refusal);
    if (refusal) parts.push({ type: 'text', text: refusal });
    for (const tc of list(msg.tool_calls)) {
      if (!isObject(tc) || !isObject(tc.function)) continue;
      const fn = tc.function;
      parts.push({ type: 'tool_call', id: str(tc.id) ?? '', name: str(fn.name) ?? '', args: parseToolArguments(str(fn.arguments) ?? JSON.stringify(fn.arguments ?? {})) });
    }
    const stop = refusal ? { stop: 'refusal' as const } : openAIStop(choice.finish_reason, parts.some((p) => p.type === 'tool_call'), choice.stop_reason ?? choice.matched_stop);
    return { parts, ...stop };
  });
  if (choices.length === 0) choices.push({ parts: [], stop: 'end' });
  return {
    ...(str(input.id) ? { id: str(input.id) } : {}),
    ...(str(input.model) ? { model: str(input.model) } : {}),
    choices,
    usage: openAIUsageIn(input.usage) ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
  };
}

interface CallState { id: string; name?: string; pending: string; started: boolean }

/**
 * OpenAI chunks → canonical events (choice 0 only). A call's fragments that arrive before its name wait for
 * it; the finish (with the usage chunk that follows it) comes out at the end.
 */
export class OpenAIStreamReader {
  private started = false;
  private readonly calls = new Map<number, CallState>();
  private lastKey: number | undefined;
  private finish: unknown;
  private matched: unknown;
  private refused = false;

  push(_event: string | undefined, chunk: unknown): CanonEvent[] {
    if (typeof chunk === 'string') {
      try {
        chunk = JSON.parse(chunk);
      } catch {
        return [];
      }
    }
    if (!isObject(chunk)) return [];
    if (chunk.error != null) {
      const status = isObject(chunk.error) && typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      return [{ type: 'error', status, message: readUpstreamError(status, chunk).message }];
    }
    const out: CanonEvent[] = [];
    const usage = openAIUsageIn(chunk.usage);
    if (!this.started) {
      this.started = true;
      out.push({ type: 'start', ...(str(chunk.id) ? { id: str(chunk.id) } : {}), ...(str(chunk.model) ? { model: str(chunk.model) } : {}), ...(usage ? { usage } : {}) });
    }
    if (usage) out.push({ type: 'usage', usage });
    const choice = list(chunk.choices).find((c): c is Record<string, unknown> => isObject(c) && (c.index ?? 0) === 0);
    if (!choice) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    const reasoning = str(delta.reasoning_content) ?? str(delta.reasoning);
    if (reasoning) out.push({ type: 'thinking', text: reasoning });
    const content = str(delta.content);
    if (content) out.push({ type: 'text', text: content });
    const refusal = str(delta.refusal);
    if (refusal) {
      this.refused = true;
      out.push({ type: 'text', text: refusal });
    }
    for (const tc of list(delta.tool_calls)) if (isObject(tc)) this.toolDelta(tc, out);
    if (choice.finish_reason === 'error') return [...out, { type: 'error', status: 502, message: 'the upstream stream ended with an error' }];
    if (typeof choice.finish_reason === 'string') {
      this.finish = choice.finish_reason;
      this.matched = choice.stop_reason ?? choice.matched_stop;
    }
    return out;
  }

  end(): CanonEvent[] {
    const out: CanonEvent[] = [];
    for (const [key, st] of this.calls) if (!st.started) this.open(key, st, out);
    const stop = this.refused ? { stop: 'refusal' as const } : openAIStop(this.finish, this.calls.size > 0, this.matched);
    out.push({ type: 'finish', ...stop });
    return out;
  }

  private toolDelta(tc: Record<string, unknown>, out: CanonEvent[]): void {
    const id = str(tc.id) || undefined;
    // Without an index (a few upstreams), a new id means a new call, else the current one continues.
    const key = typeof tc.index === 'number' ? tc.index : id || this.lastKey === undefined ? this.calls.size : this.lastKey;
    let st = this.calls.get(key);
    if (!st) {
      st = { id: id ?? '', pending: '', started: false };
      this.calls.set(key, st);
    }
    this.lastKey = key;
    const fn = isObject(tc.function) ? tc.function : {};
    if (str(fn.name) && st.name === undefined) st.name = str(fn.name);
    const args = str(fn.arguments) ?? '';
    if (!st.started) {
      st.pending += args;
      if (st.name !== undefined) this.open(key, st, out);
      return;
    }
    if (args) out.push({ type: 'tool_args', key, json: args });
  }

  private open(key: number, st: CallState, out: CanonEvent[]): void {
    st.started = true;
    out.push({ type: 'tool_start', key, id: st.id, name: st.name ?? '' });
    if (st.pending) out.push({ type: 'tool_args', key, json: st.pending });
    st.pending = '';
  }
}
