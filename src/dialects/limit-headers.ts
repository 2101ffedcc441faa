import type { LimitPart, LimitView } from '../pool/index.js';

/** One budget's three response headers. */
export interface LimitHeaderNames {
  readonly limit: string;
  readonly remaining: string;
  readonly reset: string;
}

/** How a dialect tells a client its rate limits: the header names and the reset's format. */
export interface LimitHeaderSpec {
  readonly requests: LimitHeaderNames;
  readonly tokens: LimitHeaderNames;
  /** The reset `resetMs` from `now` (epoch ms), written as the dialect's clients parse it. */
  reset(resetMs: number, now: number): string;
}

/**
 * Go's time.Duration text for whole milliseconds, as OpenAI writes its resets: `0s`, `20ms`, `1s`, `1.5s`,
 * `6m0s`, `1h2m3.5s` (the SDKs' users and keymux's own parser, providers/headers.ts, read exactly this).
 */
export function goDuration(ms: number): string {
  const t = Math.max(0, Math.ceil(ms));
  if (t === 0) return '0s';
  if (t < 1000) return `${t}ms`;
  const h = Math.floor(t / 3_600_000);
  const m = Math.floor((t % 3_600_000) / 60_000);
  const s = String((t % 60_000) / 1000);
  return h > 0 ? `${h}h${m}m${s}s` : m > 0 ? `${m}m${s}s` : `${s}s`;
}

/**
 * RFC 3339 at whole seconds, as Anthropic writes its resets (`2025-01-01T00:00:05Z`). Rounded up: a client
 * waiting until then is never early.
 */
export function rfc3339(at: number): string {
  return new Date(Math.ceil(at / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export const OPENAI_LIMIT_HEADERS: LimitHeaderSpec = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
  reset: (ms) => goDuration(ms),
};

export const ANTHROPIC_LIMIT_HEADERS: LimitHeaderSpec = {
  requests: { limit: 'anthropic-ratelimit-requests-limit', remaining: 'anthropic-ratelimit-requests-remaining', reset: 'anthropic-ratelimit-requests-reset' },
  tokens: { limit: 'anthropic-ratelimit-tokens-limit', remaining: 'anthropic-ratelimit-tokens-remaining', reset: 'anthropic-ratelimit-tokens-reset' },
  reset: (ms, now) => rfc3339(now + ms),
};

function writePart(names: LimitHeaderNames, p: LimitPart, spec: LimitHeaderSpec, now: number, out: Record<string, string>): void {
  out[names.limit] = String(Math.floor(p.limit));
  out[names.remaining] = String(Math.floor(p.remaining));
  out[names.reset] = spec.reset(p.resetMs, now);
}

/** Writes a view's headers into `out`; a dimension the view lacks gets none (nothing is invented). */
export function writeLimitHeaders(spec: LimitHeaderSpec, view: LimitView, now: number, out: Record<string, string>): void {
  if (view.requests) writePart(spec.requests, view.requests, spec, now, out);
  if (view.tokens) writePart(spec.tokens, view.tokens, spec, now, out);
}
