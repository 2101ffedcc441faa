// Gemini generateContent responses and streamGenerateContent chunks (an upstream's) → canonical.
import type { CanonEvent, CanonPart, CanonResponse, CanonStop, CanonUsage } from '../canonical.js';
import { invalidRequest, readUpstreamError } from '../errors.js';
import { isObject, list, num, str } from '../util.js';
import { signatures } from './gemini-read.js';

const FILTERED = new Set([
  'SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

/** A malformed or unexpected function call ends the turn like STOP. */
export function geminiStop(reason: unknown, hasToolCalls: boolean): CanonStop {
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && FILTERED.has(reason)) return 'filter';
  return hasToolCalls ? 'tool_use' : 'end';
}

/** promptTokenCount includes cached content; candidatesTokenCount excludes thoughts. */
export function geminiUsageIn(u: unknown): CanonUsage {
  const m = isObject(u) ? u : {};
  const cached = num(m.cachedContentTokenCount) ?? 0;
  const thoughts = num(m.thoughtsTokenCount) ?? 0;
  return {
    input: Math.max(0, (num(m.promptTokenCount) ?? 0) + (num(m.toolUsePromptTokenCount) ?? 0) - cached),
    output: (num(m.candidatesTokenCount) ?? 0) + thoughts,
    cacheRead: cached,
    cacheWrite: 0,
    reasoning: thoughts,
  };
}

export function geminiParts(parts: unknown): CanonPart[] {
  const out: CanonPart[] = [];
  for (const p of list(parts)) {
    if (!isObject(p)) continue;
    const sig = signatures(str(p.thoughtSignature));
    if (isObject(p.functionCall)) {
      const fc = p.functionCall;
      out.push({ type: 'tool_call', id: str(fc.id) ?? '', name: str(fc.name) ?? '', args: isObject(fc.args) ? fc.args : {}, ...(sig ? { sig } : {}) });
    } else if (typeof p.text === 'string') {
      if (p.thought === true) out.push({ type: 'thinking', text: p.text, ...(sig ? { sig } : {}) });
      else out.push({ type: 'text', text: p.text, ...(sig ? { sig } : {}) });
    }
  }
  return out;
}

export function readGeminiResponse(input: unknown): CanonResponse {
  if (Array.isArray(input) && input.length === 1) input = input[0];
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const choices = list(input.candidates).filter(isObject).map((c) => {
    const parts = geminiParts(isObject(c.content) ? c.content.parts : undefined);
    return { parts, stop: geminiStop(c.finishReason, parts.some((p) => p.type === 'tool_call')) };
  });
  // The prompt itself was blocked (promptFeedback.blockReason): no candidate at all.
  if (choices.length === 0) choices.push({ parts: [], stop: 'filter' });
  return {
    ...(str(input.responseId) ? { id: str(input.responseId) } : {}),
    ...(str(input.modelVersion) ? { model: str(input.modelVersion) } : {}),
    choices,
    usage: geminiUsageIn(input.usageMetadata),
  };
}

/**
 * Gemini chunks → canonical events, each candidate its own choice. Gemini sends each function call whole: it
 * becomes a tool_start and one tool_args. Finishes wait for the end, when the last usageMetadata is known; a
 * stream cut before any finishReason gets none.
 */
export class GeminiStreamReader {
  private started = false;
  /** Per candidate: calls so far and its finishReason. */
  private readonly choices = new Map<number, { calls: number; finish?: unknown }>();
  private blocked = false;

  push(_event: string | undefined, chunk: unknown): CanonEvent[] {
    if (typeof chunk === 'string') {
      try {
        chunk = JSON.parse(chunk);
      } catch {
        return [];
      }
    }
    // The JSON-array form: one level only, so a nested array cannot recurse without end.
    if (Array.isArray(chunk)) return chunk.flatMap((c) => (Array.isArray(c) ? [] : this.push(undefined, c)));
    if (!isObject(chunk)) return [];
    if (chunk.error != null) {
      const status = isObject(chunk.error) && typeof chunk.error.code === 'number' ? chunk.error.code : 500;
      const info = readUpstreamError(status, chunk);
      return [{ type: 'error', status, message: info.message, ...(info.type ? { code: info.type } : {}) }];
    }
    const out: CanonEvent[] = [];
    if (!this.started) {
      this.started = true;
      const id = str(chunk.responseId);
      const model = str(chunk.modelVersion);
      out.push({ type: 'start', ...(id ? { id } : {}), ...(model ? { model } : {}), usage: geminiUsageIn(chunk.usageMetadata) });
    }
    const candidates = list(chunk.candidates);
    if (candidates.length === 0 && isObject(chunk.promptFeedback) && chunk.promptFeedback.blockReason) this.blocked = true;
    for (const [i, c] of candidates.entries()) {
      if (!isObject(c)) continue;
      const index = num(c.index) ?? i;
      const at = index ? { choice: index } : {};
      let st = this.choices.get(index);
      if (!st) this.choices.set(index, (st = { calls: 0 }));
      for (const p of geminiParts(isObject(c.content) ? c.content.parts : undefined)) {
        if (p.type === 'tool_call') {
          const key = st.calls++;
          out.push({ type: 'tool_start', key, id: p.id, name: p.name, ...(p.sig ? { sig: p.sig } : {}), ...at });
          out.push({ type: 'tool_args', key, json: JSON.stringify(p.args), ...at });
        } else if (p.type === 'text' && (p.text || p.sig)) out.push({ type: 'text', text: p.text, ...(p.sig ? { sig: p.sig } : {}), ...at });
        else if (p.type === 'thinking') out.push({ type: 'thinking', text: p.text, ...(p.sig ? { sig: p.sig } : {}), ...at });
      }
      if (typeof c.finishReason === 'string' && c.finishReason !== 'FINISH_REASON_UNSPECIFIED') st.finish = c.finishReason;
    }
    if (isObject(chunk.usageMetadata)) out.push({ type: 'usage', usage: geminiUsageIn(chunk.usageMetadata) });
    return out;
  }

  end(): CanonEvent[] {
    const out: CanonEvent[] = [];
    if (this.blocked && this.choices.size === 0) out.push({ type: 'finish', stop: 'filter' });
    for (const [index, st] of this.choices) {
      if (st.finish !== undefined) out.push({ type: 'finish', stop: geminiStop(st.finish, st.calls > 0), ...(index ? { choice: index } : {}) });
    }
    return out;
  }
}
