import type { Dialect } from '../dialects/index.js';
import type { Outcome, Usage } from '../pool/outcome.js';
import type { StreamEnd, StreamTracker } from './types.js';
import { asciiAt, containsText, earlierOf, indexOfText } from './search.js';
import { isSpace } from './json-tail.js';
import { nullAt } from './usage-chunk.js';
import { anthropicUsage, geminiUsage, openaiUsage } from './usage.js';
import { rec, str } from './util.js';

/** What a dialect's tracker reads from the events it is given. */
interface UsageTracker {
  /**
   * Where in an event's data (or the bytes of whole events) the next usage this tracker reads may be, at or after
   * `from`; -1 if none. Errors are every tracker's to read (see trackStream).
   */
  usageAt(data: string | Buffer, from: number): number;
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
    usageAt,
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
    usageAt: (data, from) => indexOfText(data, '"usage', from),
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
    usageAt: (data, from) => indexOfText(data, '"usageMetadata"', from),
    // Without alt=sse the body is one JSON array of chunks; accept it whole too.
    onEvent: (data) => (Array.isArray(data) ? data.forEach(one) : one(data)),
    usage: () => usage,
    error: () => err,
  };
}

/**
 * Where an OpenAI event carries a usage worth reading. Once keymux asks for include_usage, OpenAI puts
 * `"usage":null` in every chunk: those tell the tracker nothing and are not parsed (a chunk parses if any
 * "usage" in it is not null, such as Groq's `x_groq.usage`; the Responses API's completed event has one).
 */
function usageAt(data: string | Buffer, from: number): number {
  for (let i = indexOfText(data, '"usage', from); i >= 0; i = indexOfText(data, '"usage', i + 6)) {
    if (!(typeof data === 'string' ? nullUsageText(data, i) : nullUsageBytes(data, i))) return i;
  }
  return -1;
}

/** usageAt, as a regular expression: a `"usage` not followed by NULL_USAGE's rest (JSON white space only, as nullUsageBytes). */
const OPENAI_USAGE = 'usage(?!"[ \\t\\n\\r]*:[ \\t\\n\\r]*null(?![0-9A-Za-z_]))';

function nullUsageText(data: string, i: number): boolean {
  NULL_USAGE.lastIndex = i;
  return NULL_USAGE.test(data);
}
const NULL_USAGE = /"usage"\s*:\s*null\b/y;

/** NULL_USAGE on bytes, read in place: `"usage"`, white space, `:`, white space, `null`, then no word character. */
function nullUsageBytes(b: Buffer, i: number): boolean {
  let at = i + 6;
  if (b[at++] !== 0x22) return false;
  while (isSpace(b[at])) at++;
  if (b[at++] !== 0x3a) return false;
  while (isSpace(b[at])) at++;
  return nullAt(b, at);
}

/**
 * Where, in the bytes of whole events, the next line naming the event `error` is (`event:error` or `event: error`;
 * a second space would make the name " error"), at or after `from`. A line starts the bytes or follows a \n, so it
 * is found by `\nevent:`: a search for the bare word would stop at every `e` of the prose.
 */
function errorEventAt(b: Buffer, from: number): number {
  if (from === 0 && namesError(b, 0)) return 0;
  for (let i = indexOfText(b, '\nevent:', Math.max(0, from - 1)); i >= 0; i = indexOfText(b, '\nevent:', i + 1)) {
    if (namesError(b, i + 1)) return i + 1;
  }
  return -1;
}

/** Whether the line at `at` is `event:error` or `event: error`. */
function namesError(b: Buffer, at: number): boolean {
  if (!asciiAt(b, at, 'event:')) return false;
  const name = b[at + 6] === 0x20 ? at + 7 : at + 6;
  return asciiAt(b, name, 'error\n');
}

const TRACKERS: { readonly [D in Dialect]: () => UsageTracker } = { openai: openaiTracker, anthropic: anthropicTracker, gemini: geminiTracker };

/**
 * Up to this many characters (or bytes), a text is searched for everything a tracker reads in one pass of a
 * regular expression, not one indexOf per word. A stream's events are short JSON, a quote in every seven
 * characters: every word here starts with one, so each indexOf stops at every quote, and each call on bytes
 * crosses into C++. An OpenAI event of 248 bytes took 1.4 µs by the three searches, 0.55 µs by one regular
 * expression, the decode to latin1 included (bench/RESULTS.md, #12). A short answer arrives whole, as one chunk
 * of such events (bench:proxy's sse-small: 1.7 KB, nine events, 5.0 µs by the searches, 2.7 µs by the
 * expression; two of them, 3.4 KB: 10.0 and 4.0 µs). One event of 3.7 KB that is mostly prose loses 2 µs (2.2
 * against 4.0), and past this size the text is mostly prose, where indexOf runs at memchr speed and a regular
 * expression at about a nanosecond a character (sse-32k's 34 KB answer: 5.8 µs against 33).
 */
const SHORT = 4096;

/** What a tracker reads, as one regular expression: in an event's data, and in the text of whole events. */
interface Wanted {
  data: RegExp;
  bytes: RegExp;
}

/**
 * `"error"` anywhere, the dialect's usage, and (in whole events) a line naming the event `error` after a line end
 * (errorEventAt; wantedIn() looks at the line `from` starts, which no \n in the search marks). The quote is
 * factored out of the words, and no lookbehind finds a line start: a lookbehind made the search eight times
 * slower (V8 then tries each position in turn instead of skipping to a candidate). One per dialect; each search
 * sets lastIndex before it runs, so sharing them is safe (all synchronous).
 */
/** `usage`: the tracker's usageAt as a regular expression's source, less the quote it starts with (the same positions). */
const wantedOf = (usage: string): Wanted => ({
  data: new RegExp(`"(?:error"|${usage})`, 'g'),
  bytes: new RegExp(`"(?:error"|${usage})|\\nevent: ?error\\n`, 'g'),
});
const WANTED: { readonly [D in Dialect]: Wanted } = {
  openai: wantedOf(OPENAI_USAGE),
  anthropic: wantedOf('usage'),
  gemini: wantedOf('usageMetadata"'),
};

/** Where a global regular expression first matches in a text at or after `from`; -1 if nowhere. */
function firstMatch(re: RegExp, text: string, from: number): number {
  re.lastIndex = from;
  const m = re.exec(text);
  return m === null ? -1 : m.index;
}

/** The line at `from` names the event error (a line starts the text or follows a \n). */
const ERROR_LINE = /event: ?error\n/y;
function errorLineAt(text: string, from: number): boolean {
  if (from > 0 && text.charCodeAt(from - 1) !== 10) return false;
  ERROR_LINE.lastIndex = from;
  return ERROR_LINE.test(text);
}

/** wanted() on a short chunk's latin1 text: a match of `\nevent…` is the position of the line after its \n. */
function wantedIn(re: RegExp, text: string, from: number): number {
  if (errorLineAt(text, from)) return from;
  const at = firstMatch(re, text, from);
  return at >= 0 && text.charCodeAt(at) === 10 ? at + 1 : at;
}

/**
 * The tracker of one streamed response. Its outcome: the client left (cancelled); the stream broke (network:
 * the key is not to blame, the attempt is); the provider said it failed after the first byte (server_error);
 * else ok, with the limits the head brought and the usage the stream ended with.
 */
export function trackStream(dialect: Dialect): StreamTracker {
  const t = TRACKERS[dialect]();
  const re = WANTED[dialect];
  // The chunk being searched, as latin1 (a character per byte, so its positions are the bytes'): a chunk of several
  // events is searched again from each hit. A search from 0 starts a chunk: it is decoded afresh.
  let lastBytes: Buffer | undefined;
  let lastText = '';
  return {
    // Any event that mentions an error is parsed: a provider's mid-stream failure must reach the pool.
    wants: (data, event) =>
      event === 'error' ||
      (typeof data === 'string' && data.length <= SHORT ? firstMatch(re.data, data, 0) >= 0 : containsText(data, '"error"') || t.usageAt(data, 0) >= 0),
    // In bytes, an `event: error` line as well.
    wanted(bytes, from) {
      if (from >= bytes.length) return -1;
      if (bytes.length > SHORT) return earlierOf(earlierOf(indexOfText(bytes, '"error"', from), errorEventAt(bytes, from)), t.usageAt(bytes, from));
      if (from === 0 || bytes !== lastBytes) {
        lastBytes = bytes;
        lastText = bytes.toString('latin1');
      }
      return wantedIn(re.bytes, lastText, from);
    },
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
