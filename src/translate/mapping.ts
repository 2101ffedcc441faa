// Small mappings shared by the request, response and stream translators of several directions.
import type { AnthropicStopReason, OpenAIFinishReason, OpenAIToolCall, OpenAIUsage } from './types.js';
import { isObject, list, makeOpenAIUsage, num, randomId, readOpenAIUsage, str } from './util.js';

/**
 * OpenAI finish_reason → Anthropic stop_reason. A stop sequence is only detectable where the
 * upstream says which one matched (vLLM/NIM `stop_reason`, SGLang `matched_stop`).
 */
export function anthropicStopReason(
  finish: unknown,
  hasToolUse: boolean,
  matchedStop?: unknown,
): { stop_reason: AnthropicStopReason; stop_sequence: string | null } {
  if (finish === 'length') return { stop_reason: 'max_tokens', stop_sequence: null };
  if (finish === 'content_filter') return { stop_reason: 'refusal', stop_sequence: null };
  if (finish === 'tool_calls' || finish === 'function_call' || hasToolUse) return { stop_reason: 'tool_use', stop_sequence: null };
  if (typeof matchedStop === 'string' && matchedStop !== '') return { stop_reason: 'stop_sequence', stop_sequence: matchedStop };
  return { stop_reason: 'end_turn', stop_sequence: null };
}

/** OpenAI usage → Anthropic usage: Anthropic's input_tokens exclude cache reads, OpenAI's prompt_tokens include them. */
export function anthropicUsage(usage: unknown): { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number } {
  const u = readOpenAIUsage(usage) ?? { prompt: 0, completion: 0, cached: 0 };
  return {
    input_tokens: Math.max(0, u.prompt - u.cached),
    output_tokens: u.completion,
    cache_read_input_tokens: u.cached,
    cache_creation_input_tokens: 0,
  };
}

export function anthropicMessageId(openaiId: unknown): string {
  return typeof openaiId === 'string' && openaiId ? `msg_${openaiId.replace(/^chatcmpl-/, '')}` : randomId('msg_');
}


/** Anthropic stop_reason → OpenAI finish_reason. */
export function openAIFinishFromAnthropic(stopReason: unknown, hasToolCalls: boolean): OpenAIFinishReason {
  switch (stopReason) {
    case 'max_tokens': case 'model_context_window_exceeded': return 'length';
    case 'tool_use': return 'tool_calls';
    case 'refusal': return 'content_filter';
    default: return hasToolCalls ? 'tool_calls' : 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

/** Anthropic usage → OpenAI usage: OpenAI's prompt_tokens include cache reads and writes. */
export function openAIUsageFromAnthropic(usage: unknown): OpenAIUsage {
  const u = isObject(usage) ? usage : {};
  const read = num(u.cache_read_input_tokens) ?? 0;
  const prompt = (num(u.input_tokens) ?? 0) + read + (num(u.cache_creation_input_tokens) ?? 0);
  return makeOpenAIUsage(prompt, num(u.output_tokens) ?? 0, read);
}

export function openAIChatId(id: unknown, prefix: RegExp): string {
  return typeof id === 'string' && id ? `chatcmpl-${id.replace(prefix, '')}` : randomId('chatcmpl-');
}

const GEMINI_FILTERED = new Set([
  'SAFETY', 'RECITATION', 'LANGUAGE', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION',
]);

/** Gemini finishReason → OpenAI finish_reason. A malformed or unexpected function call ends the turn like STOP. */
export function openAIFinishFromGemini(reason: unknown, hasToolCalls: boolean): OpenAIFinishReason {
  if (reason === 'MAX_TOKENS') return 'length';
  if (typeof reason === 'string' && GEMINI_FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** Gemini usageMetadata → OpenAI usage: OpenAI's completion_tokens include reasoning, Gemini counts thoughts apart. */
export function openAIUsageFromGemini(usage: unknown): OpenAIUsage {
  const u = isObject(usage) ? usage : {};
  const prompt = (num(u.promptTokenCount) ?? 0) + (num(u.toolUsePromptTokenCount) ?? 0);
  const thoughts = num(u.thoughtsTokenCount) ?? 0;
  return makeOpenAIUsage(prompt, (num(u.candidatesTokenCount) ?? 0) + thoughts, num(u.cachedContentTokenCount), thoughts);
}

/** Gemini parts → OpenAI message fields; function calls get `call_…` ids when Gemini gives none. */
export function geminiPartsToOpenAI(parts: unknown): { content: string; reasoning: string; toolCalls: OpenAIToolCall[] } {
  let content = '';
  let reasoning = '';
  const toolCalls: OpenAIToolCall[] = [];
  for (const p of list(parts)) {
    if (!isObject(p)) continue;
    if (typeof p.text === 'string') {
      if (p.thought === true) reasoning += p.text;
      else content += p.text;
    } else if (isObject(p.functionCall)) {
      const fc = p.functionCall;
      const id = str(fc.id) || randomId('call_');
      toolCalls.push({ id, type: 'function', function: { name: str(fc.name) ?? '', arguments: JSON.stringify(fc.args ?? {}) } });
    }
  }
  return { content, reasoning, toolCalls };
}
