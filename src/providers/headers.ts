import type { Headers } from './types.js';
import { num } from './util.js';

/** Longest wait any provider hint may impose; beyond it the value is more likely garbage than truth. */
export const MAX_HINT_MS = 24 * 60 * 60 * 1000;

/**
 * One header's value. Names are matched case-insensitively because tests, fetch and node:http
 * disagree on casing; repeated headers (string[]) yield their first non-empty value.
 */
export function getHeader(headers: Headers | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  let v = headers[lower];
  // node:http and undici lower-case every name: scan for other casings only in objects that have them.
  if (v === undefined && hasMixedCase(headers)) {
    for (const k of Object.keys(headers)) if (k.toLowerCase() === lower) v = headers[k];
  }
  return headerValue(v);
}

/** A header's value as keymux reads it: trimmed, the first non-empty one of a repeated header; undefined when empty. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  if (Array.isArray(v)) v = v.find((x) => x.trim() !== '');
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

const mixedCase = new WeakMap<Headers, boolean>();
/** The last object asked about, and its answer: classify probes dozens of absent names of one object in a row. */
let lastHeaders: Headers | undefined;
let lastMixed = false;

/** Whether any header name has an upper-case letter; asked once per headers object (classify probes dozens of names). */
function hasMixedCase(headers: Headers): boolean {
  if (headers === lastHeaders) return lastMixed;
  let m = mixedCase.get(headers);
  if (m === undefined) {
    m = Object.keys(headers).some((k) => k !== k.toLowerCase());
    mixedCase.set(headers, m);
  }
  lastHeaders = headers;
  lastMixed = m;
  return m;
}

export function getHeaderNumber(headers: Headers | undefined, name: string): number | undefined {
  return num(getHeader(headers, name));
}

const GO_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 1e-6 };
const MICRO = 'µ'.charCodeAt(0);

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * Go's time.Duration text (`1h2m3.5s`, `6m0s`, `120ms`, `51.189s`, `0`), as OpenAI and Groq send resets.
 * Returns whole milliseconds, or undefined when the text is not a duration. Read in one pass, not by regular
 * expressions: every OpenAI answer carries two of these, and two regexes per value were a third of classifying one.
 */
export function parseGoDuration(text: string): number | undefined {
  const s = text.trim();
  if (s === '0') return 0;
  let i = 0;
  const sign = s.charCodeAt(0);
  if (sign === 0x2b || sign === 0x2d) i++; // + -
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    // A number: digits with an optional fraction, or a fraction alone (`.5s`).
    const from = i;
    while (isDigit(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 0x2e) {
      const dot = ++i;
      while (isDigit(s.charCodeAt(i))) i++;
      if (i === dot) return undefined;
    }
    if (i === from) return undefined;
    const value = Number(s.slice(from, i));
    // Its unit: h, m, s, ms, us, µs, ns.
    const c = s.charCodeAt(i);
    let unit: string;
    if (c === 0x68) unit = 'h';
    else if (c === 0x73) unit = 's';
    else if (c === 0x6d) unit = s.charCodeAt(i + 1) === 0x73 ? 'ms' : 'm';
    else if ((c === 0x75 || c === 0x6e || c === MICRO) && s.charCodeAt(i + 1) === 0x73) unit = s.slice(i, i + 2);
    else return undefined;
    i += unit.length;
    total += value * GO_UNIT_MS[unit]!;
  }
  return Math.round(sign === 0x2d ? -total : total);
}

/** Negative → 0, beyond `max` → `max`, NaN → undefined. Providers have sent all three. */
export function clampDelay(ms: number | undefined, max = MAX_HINT_MS): number | undefined {
  if (ms === undefined || !Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.round(ms)), max);
}

/** `Retry-After`: seconds (possibly fractional) or an HTTP date. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const n = num(value);
  if (n !== undefined) return n * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t - now;
}

/**
 * A reset header in any of the shapes providers use: a Go duration (OpenAI, Groq), an RFC 3339 timestamp
 * (Anthropic), epoch milliseconds (OpenRouter), epoch seconds, or plain seconds (Mistral, Cerebras).
 * Returns ms from `now` (unclamped).
 */
export function parseResetValue(value: string, now: number): number | undefined {
  const n = num(value);
  if (n !== undefined) {
    if (n > 1e12) return n - now; // epoch ms
    if (n > 1e9) return n * 1000 - now; // epoch s
    return n * 1000;
  }
  const d = parseGoDuration(value);
  if (d !== undefined) return d;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t - now;
}

/**
 * Reset headers of the budgets a response reports as spent (remaining 0). A 429 names no family, so the
 * spent ones are the best evidence of what blocked; the longest of their resets is when all are back.
 */
const RESET_FAMILIES: ReadonlyArray<readonly [remaining: string, reset: string]> = [
  ['x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'],
  ['x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'],
  ['x-ratelimit-remaining-project-tokens', 'x-ratelimit-reset-project-tokens'],
  ['x-ratelimit-remaining-requests-minute', 'x-ratelimit-reset-requests-minute'],
  ['x-ratelimit-remaining-tokens-minute', 'x-ratelimit-reset-tokens-minute'],
  ['x-ratelimit-remaining-requests-day', 'x-ratelimit-reset-requests-day'],
  ['x-ratelimit-remaining-tokens-day', 'x-ratelimit-reset-tokens-day'],
  ['anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'],
  ['anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset'],
  ['anthropic-ratelimit-input-tokens-remaining', 'anthropic-ratelimit-input-tokens-reset'],
  ['anthropic-ratelimit-output-tokens-remaining', 'anthropic-ratelimit-output-tokens-reset'],
  ['x-ratelimitbysize-remaining-minute', 'ratelimitbysize-reset'],
  ['x-ratelimitbysize-remaining-minute', 'x-ratelimitbysize-reset'],
  ['x-ratelimit-remaining', 'x-ratelimit-reset'],
];

export function resetFromHeaders(headers: Headers, now: number): number | undefined {
  let best: number | undefined;
  for (const [remainingName, resetName] of RESET_FAMILIES) {
    if (getHeaderNumber(headers, remainingName) !== 0) continue;
    const raw = getHeader(headers, resetName);
    const ms = raw === undefined ? undefined : parseResetValue(raw, now);
    if (ms !== undefined && (best === undefined || ms > best)) best = ms;
  }
  return best;
}

/**
 * When to try again, from headers alone: `retry-after-ms`, then `retry-after` (they win over everything,
 * as in the official SDKs), then the reset of a spent budget. Clamped; undefined when nothing says.
 */
export function retryAfterFromHeaders(headers: Headers, now: number): number | undefined {
  const ms = getHeaderNumber(headers, 'retry-after-ms');
  if (ms !== undefined) return clampDelay(ms);
  const ra = getHeader(headers, 'retry-after');
  const fromRa = ra === undefined ? undefined : parseRetryAfter(ra, now);
  if (fromRa !== undefined) return clampDelay(fromRa);
  return clampDelay(resetFromHeaders(headers, now));
}

const TEXT_UNIT_MS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000, h: 3_600_000, hour: 3_600_000, hours: 3_600_000 };

/**
 * A wait named in an error message: OpenAI/Groq "Please try again in 45.19s" (or "14m24s", "120ms"),
 * Gemini "Please retry in 26.3s", Azure "Please retry after 6 seconds". Clamped; undefined when absent.
 */
export function retryHintFromText(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const m = /(?:try again|retry)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*(?:ms|seconds?|secs?|minutes?|mins?|hours?|h|m|s)\b\s*)+)/i.exec(text)
    ?? /(?:try again|retry)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?(?:ms|h|m|s))+)/i.exec(text);
  if (!m) return undefined;
  let total = 0;
  for (const p of m[1]!.matchAll(/(\d+(?:\.\d+)?)\s*(ms|seconds?|secs?|minutes?|mins?|hours?|h|m|s)/gi)) {
    total += Number(p[1]) * (TEXT_UNIT_MS[p[2]!.toLowerCase()] ?? 0);
  }
  return clampDelay(total);
}

/** Google's protobuf Duration as JSON: "26s", "1.5s", or (rarely) `{ seconds, nanos }`. */
export function parseProtoDuration(v: unknown): number | undefined {
  if (typeof v === 'string') {
    const m = /^(-?\d+(?:\.\d+)?)s$/.exec(v.trim());
    return clampDelay(m ? Number(m[1]) * 1000 : parseGoDuration(v));
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const s = num(o['seconds']) ?? 0;
    const n = num(o['nanos']) ?? 0;
    return clampDelay(s * 1000 + n / 1e6);
  }
  return undefined;
}
