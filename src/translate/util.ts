import { randomBytes } from 'node:crypto';
import type { OpenAIReasoningEffort, OpenAIUsage } from './types.js';

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Readers for upstream JSON: the value if it has the type, else undefined (or an empty list). */
export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function list(v: unknown): readonly unknown[] {
  return Array.isArray(v) ? v : [];
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `prefix` + 24 random base62 characters, the look of Anthropic and OpenAI ids. */
export function randomId(prefix: string): string {
  const bytes = randomBytes(24);
  let s = prefix;
  for (const b of bytes) s += BASE62[b % 62];
  return s;
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** `data:image/png;base64,AAAA` → { mediaType: 'image/png', data: 'AAAA' }; undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]*)((?:;[^;,]*)*);base64,(.*)$/s.exec(url);
  if (!m) return undefined;
  return { mediaType: (m[1] || 'application/octet-stream').toLowerCase(), data: m[3] ?? '' };
}

/**
 * Where a model produced tool-call arguments that are not a JSON object (truncated by max_tokens,
 * or plain invalid), dialects that need an object get `{ __raw_arguments: "<the text>" }`: the
 * client's tool validation then fails visibly and the model sees its own text again, instead of
 * a tool silently called with `{}`. `stringifyToolInput` turns that object back into the raw
 * text, so the round trip is lossless.
 */
export const RAW_ARGUMENTS_KEY = '__raw_arguments';

export function parseToolArguments(raw: string | undefined | null): Record<string, unknown> {
  if (raw === undefined || raw === null || raw.trim() === '') return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (isObject(v)) return v;
  } catch {
    /* fall through */
  }
  return { [RAW_ARGUMENTS_KEY]: raw };
}

export function stringifyToolInput(input: unknown): string {
  if (isObject(input)) {
    const keys = Object.keys(input);
    const raw = input[RAW_ARGUMENTS_KEY];
    if (keys.length === 1 && typeof raw === 'string') return raw;
  }
  return JSON.stringify(input ?? {});
}

/**
 * Thinking budgets ↔ reasoning effort. The thresholds put Claude Code's "think" (4k),
 * "think hard" (10k) and "ultrathink" (32k) budgets on low, medium and high, and the budgets
 * chosen for each effort fall back on the same effort, so a round trip is stable.
 */
export function effortFromBudget(budget: number): 'low' | 'medium' | 'high' {
  if (budget <= 4096) return 'low';
  if (budget <= 16384) return 'medium';
  return 'high';
}

/** Any string: efforts this version does not know mean no thinking. */
export function budgetFromEffort(effort: OpenAIReasoningEffort | (string & {})): number | undefined {
  switch (effort) {
    case 'low': return 2048;
    case 'medium': return 8192;
    case 'high': return 24576;
    case 'xhigh': case 'max': return 32000;
    default: return undefined; // none, minimal: no thinking
  }
}

export function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** Reads an OpenAI usage object (as sent, possibly partial) into numbers. */
export function readOpenAIUsage(u: unknown): { prompt: number; completion: number; cached: number; reasoning?: number } | undefined {
  if (!isObject(u)) return undefined;
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const cdetails = isObject(u.completion_tokens_details) ? u.completion_tokens_details : {};
  const reasoning = num(cdetails.reasoning_tokens);
  return {
    prompt: num(u.prompt_tokens) ?? 0,
    completion: num(u.completion_tokens) ?? 0,
    cached: num(details.cached_tokens) ?? 0,
    ...(reasoning !== undefined ? { reasoning } : {}),
  };
}

export function makeOpenAIUsage(prompt: number, completion: number, cached?: number, reasoning?: number): OpenAIUsage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    ...(cached ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
    ...(reasoning ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
  };
}

/** Top-level fields of a request that the translator neither maps nor knowingly ignores → one warning each. */
export function warnUnknownFields(body: Record<string, unknown>, known: ReadonlySet<string>, warnings: string[]): void {
  for (const key of Object.keys(body)) {
    // Warnings travel in a response header: keep client-chosen names printable ASCII and short.
    const name = key.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);
    if (!known.has(key) && body[key] !== undefined && body[key] !== null) warnings.push(`dropped unsupported field '${name}'`);
  }
}
