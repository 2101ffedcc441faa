import type { Usage } from '../pool/outcome.js';
import { compact, num, rec } from './util.js';

/**
 * Usage readers, one per dialect, shared by the adapters (complete bodies) and the stream trackers
 * (final chunks). Conventions across dialects: `inputTokens` includes cached input (`cachedTokens` is a
 * part of it), `outputTokens` includes reasoning (`reasoningTokens` is a part of it).
 */

function done(u: Usage): Usage | undefined {
  const c = compact(u);
  return Object.keys(c).length > 0 ? c : undefined;
}

/**
 * An OpenAI `usage` object: chat/completions/embeddings (`prompt_tokens`, `completion_tokens`) or the
 * Responses API (`input_tokens`, `output_tokens`), with their `*_details`. DeepSeek reports cache hits as
 * `prompt_cache_hit_tokens`.
 */
export function openaiUsage(usage: unknown): Usage | undefined {
  const u = rec(usage);
  if (!u) return undefined;
  const inDetails = rec(u['prompt_tokens_details']) ?? rec(u['input_tokens_details']);
  const outDetails = rec(u['completion_tokens_details']) ?? rec(u['output_tokens_details']);
  return done({
    inputTokens: num(u['prompt_tokens']) ?? num(u['input_tokens']),
    outputTokens: num(u['completion_tokens']) ?? num(u['output_tokens']),
    reasoningTokens: num(outDetails?.['reasoning_tokens']),
    cachedTokens: num(inDetails?.['cached_tokens']) ?? num(u['prompt_cache_hit_tokens']),
    totalTokens: num(u['total_tokens']),
  });
}

/** OpenAI-dialect body: chat, completions, embeddings (`usage`), Responses (`usage`, or `response.usage`). */
export function openaiUsageFromBody(body: unknown): Usage | undefined {
  const b = rec(body);
  if (!b) return undefined;
  return openaiUsage(b['usage']) ?? openaiUsage(rec(b['response'])?.['usage']);
}

/**
 * An Anthropic `usage` object. Anthropic's `input_tokens` excludes cache reads and writes; they are added
 * so that inputTokens means the same here as elsewhere.
 */
export function anthropicUsage(usage: unknown): Usage | undefined {
  const u = rec(usage);
  if (!u) return undefined;
  const input = num(u['input_tokens']);
  const cacheRead = num(u['cache_read_input_tokens']);
  const cacheWrite = num(u['cache_creation_input_tokens']);
  const output = num(u['output_tokens']);
  const anyInput = input !== undefined || cacheRead !== undefined || cacheWrite !== undefined;
  const inputTokens = anyInput ? (input ?? 0) + (cacheRead ?? 0) + (cacheWrite ?? 0) : undefined;
  return done({
    inputTokens,
    outputTokens: output,
    cachedTokens: cacheRead,
    totalTokens: inputTokens !== undefined && output !== undefined ? inputTokens + output : undefined,
  });
}

export function anthropicUsageFromBody(body: unknown): Usage | undefined {
  return anthropicUsage(rec(body)?.['usage']);
}

/**
 * Gemini `usageMetadata`. `candidatesTokenCount` excludes thinking tokens, which are billed as output,
 * so outputTokens adds `thoughtsTokenCount`.
 */
export function geminiUsage(meta: unknown): Usage | undefined {
  const m = rec(meta);
  if (!m) return undefined;
  const candidates = num(m['candidatesTokenCount']);
  const thoughts = num(m['thoughtsTokenCount']);
  const output = candidates === undefined && thoughts === undefined ? undefined : (candidates ?? 0) + (thoughts ?? 0);
  return done({
    inputTokens: num(m['promptTokenCount']),
    outputTokens: output,
    reasoningTokens: thoughts,
    cachedTokens: num(m['cachedContentTokenCount']),
    totalTokens: num(m['totalTokenCount']),
  });
}

/** A Gemini response, or the JSON array that a non-SSE streamGenerateContent returns (last one wins). */
export function geminiUsageFromBody(body: unknown): Usage | undefined {
  if (Array.isArray(body)) {
    for (let i = body.length - 1; i >= 0; i--) {
      const u = geminiUsage(rec(body[i])?.['usageMetadata']);
      if (u) return u;
    }
    return undefined;
  }
  return geminiUsage(rec(body)?.['usageMetadata']);
}
