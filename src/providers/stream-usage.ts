import type { Dialect } from '../dialects/index.js';
import type { Outcome, Usage } from '../pool/outcome.js';
import type { StreamEnd, StreamTracker } from './types.js';
import { containsText } from './search.js';
import { anthropicUsage, geminiUsage, openaiUsage } from './usage.js';
import { rec, str } from './util.js';

/** What a dialect's tracker reads from the events it is given. */
interface UsageTracker {
  /** Whether an event's data may hold what this tracker reads (an error is always read). */
  wants(data: string | Buffer): boolean;
  onEvent(data: unknown, event?: string): void;
  usage(): Usage | undefined;
  error(): { message: string } | undefined;
}

/** Any event that mentions an error is parsed: a provider's mid-stream failure must reach the pool. */
const mentions = (data: string | Buffer, word: string): boolean => containsText(data, word);

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
    wants: (data) => mentions(data, '"error"') || hasUsage(data),
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
    // message_start marks usage as seen even with no counters, so any "usage" counts here.
    wants: (data) => mentions(data, '"error"') || mentions(data, '"usage'),
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
    wants: (data) => mentions(data, '"error"') || mentions(data, '"usageMetadata"'),
    // Without alt=sse the body is one JSON array of chunks; accept it whole too.
    onEvent: (data) => (Array.isArray(data) ? data.forEach(one) : one(data)),
    usage: () => usage,
    error: () => err,
  };
}

/**
 * Whether an OpenAI event carries a usage worth reading. Once keymux asks for include_usage, OpenAI puts
 * `"usage":null` in every chunk: those tell the tracker nothing and are not parsed (a chunk parses if any
 * "usage" in it is not null, such as Groq's `x_groq.usage`; the Responses API's completed event has one).
 */
function hasUsage(data: string | Buffer): boolean {
  for (let i = data.indexOf('"usage'); i >= 0; i = data.indexOf('"usage', i + 6)) {
    // In bytes, the few after the match are enough: a null further away (much white space) reads as a usage.
    const text = typeof data === 'string' ? data : data.toString('latin1', i, i + 32);
    NULL_USAGE.lastIndex = typeof data === 'string' ? i : 0;
    if (!NULL_USAGE.test(text)) return true;
  }
  return false;
}
const NULL_USAGE = /"usage"\s*:\s*null\b/y;

const TRACKERS: { readonly [D in Dialect]: () => UsageTracker } = { openai: openaiTracker, anthropic: anthropicTracker, gemini: geminiTracker };

/**
 * The tracker of one streamed response. Its outcome: the client left (cancelled); the stream broke (network:
 * the key is not to blame, the attempt is); the provider said it failed after the first byte (server_error);
 * else ok, with the limits the head brought and the usage the stream ended with.
 */
export function trackStream(dialect: Dialect): StreamTracker {
  const t = TRACKERS[dialect]();
  return {
    wants: (data, event) => event === 'error' || t.wants(data),
    onEvent: (data, event) => t.onEvent(data, event),
    finish(end: StreamEnd, atHeaders: Outcome): Outcome {
      if (end.kind === 'cancelled') return { kind: 'cancelled' };
      if (end.kind === 'broken') return { kind: 'network', reason: end.message };
      const err = t.error();
      if (err) return { kind: 'server_error', reason: err.message.slice(0, 200) };
      const usage = t.usage();
      const ok: Outcome = atHeaders.kind === 'ok' ? atHeaders : { kind: 'ok' };
      // Object.assign, not `{ ...ok, usage }`: a spread object given a new member takes V8's slow path (common.ts okOutcome).
      return usage ? Object.assign({}, ok, { usage }) : ok;
    },
  };
}
