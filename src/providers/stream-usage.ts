import type { Usage } from '../pool/outcome.js';
import type { Dialect } from './types.js';
import { anthropicUsage, geminiUsage, openaiUsage } from './usage.js';
import { rec, str } from './util.js';

/**
 * Follows one streamed response's SSE events (each `data:` line parsed as JSON) and keeps what the pool
 * needs at the end: the usage, and whether the provider reported an error after the first byte.
 */
export interface UsageTracker {
  onEvent(data: unknown, event?: string): void;
  usage(): Usage | undefined;
  error(): { message: string } | undefined;
}

/** Only the counters a usage object actually carries (`null` means "not known", not zero). */
function counters(u: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(rec(u) ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}

function errorMessage(e: unknown): string {
  const r = rec(e);
  return str(r?.['message']) ?? str(e) ?? 'stream error';
}

/**
 * OpenAI: with `stream_options.include_usage` the last chunk before `[DONE]` has `choices: []` and a usage
 * (every other chunk `usage: null`); an interrupted stream may never send it. Groq also puts it in
 * `x_groq.usage`. The Responses API sends it in `response.completed`. OpenRouter reports a mid-stream failure
 * as a chunk with `error` and `finish_reason: "error"`.
 */
function openaiTracker(): UsageTracker {
  let usage: Usage | undefined;
  let err: { message: string } | undefined;
  return {
    onEvent(data, event) {
      const d = rec(data);
      if (!d) return;
      const type = str(d['type']) ?? event;
      if (type === 'response.completed' || type === 'response.incomplete' || type === 'response.failed') {
        usage = openaiUsage(rec(d['response'])?.['usage']) ?? usage;
        if (type === 'response.failed') err = { message: errorMessage(rec(d['response'])?.['error']) };
        return;
      }
      if (type === 'error' && !d['choices']) {
        err = { message: errorMessage(d['error'] ?? d) };
        return;
      }
      usage = openaiUsage(d['usage']) ?? openaiUsage(rec(d['x_groq'])?.['usage']) ?? usage;
      const choices = Array.isArray(d['choices']) ? d['choices'] : [];
      if (d['error'] !== undefined || choices.some((c) => rec(c)?.['finish_reason'] === 'error')) {
        err = { message: errorMessage(d['error']) };
      }
    },
    usage: () => usage,
    error: () => err,
  };
}

/**
 * Anthropic: input (and cache) tokens in `message_start`; each `message_delta` carries the CUMULATIVE output
 * so far, so the last one is the answer (adding them would double count). `ping` can come anywhere. An
 * `event: error` ends the stream without `message_stop`.
 */
function anthropicTracker(): UsageTracker {
  let start: Record<string, number> = {};
  let delta: Record<string, number> = {};
  let seen = false;
  let err: { message: string } | undefined;
  return {
    onEvent(data, event) {
      const d = rec(data);
      const type = str(d?.['type']) ?? event;
      if (type === 'message_start') {
        start = counters(rec(d?.['message'])?.['usage']);
        seen = true;
      } else if (type === 'message_delta') {
        // Later deltas restate every counter they carry; keep the latest value of each.
        delta = { ...delta, ...counters(d?.['usage']) };
        seen = true;
      } else if (type === 'error' || event === 'error') {
        err = { message: errorMessage(d?.['error'] ?? d) };
      }
    },
    usage: () => (seen ? anthropicUsage({ ...start, ...delta }) : undefined),
    error: () => err,
  };
}

/** Gemini: every chunk may carry `usageMetadata`; the last one is complete. */
function geminiTracker(): UsageTracker {
  let usage: Usage | undefined;
  let err: { message: string } | undefined;
  const one = (d: unknown): void => {
    const r = rec(d);
    if (!r) return;
    usage = geminiUsage(r['usageMetadata']) ?? usage;
    if (r['error'] !== undefined) err = { message: errorMessage(r['error']) };
  };
  return {
    // Without alt=sse the body is one JSON array of chunks; accept it whole too.
    onEvent: (data) => (Array.isArray(data) ? data.forEach(one) : one(data)),
    usage: () => usage,
    error: () => err,
  };
}

export function createUsageTracker(dialect: Dialect): UsageTracker {
  if (dialect === 'anthropic') return anthropicTracker();
  if (dialect === 'gemini') return geminiTracker();
  return openaiTracker();
}
