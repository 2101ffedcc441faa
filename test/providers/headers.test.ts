import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_HINT_MS, clampDelay, getHeader, parseGoDuration, parseProtoDuration, parseResetValue, parseRetryAfter,
  retryAfterFromHeaders, retryHintFromText,
} from '../../src/providers/index.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('getHeader', () => {
  it('reads lower-case names, tolerates other casing and string[]', () => {
    expect(getHeader({ 'retry-after': '5' }, 'Retry-After')).toBe('5');
    expect(getHeader({ 'Retry-After': '7' }, 'retry-after')).toBe('7');
    expect(getHeader({ 'set-cookie': ['', 'a=1', 'b=2'] }, 'set-cookie')).toBe('a=1');
    expect(getHeader({ 'x-empty': '  ' }, 'x-empty')).toBeUndefined();
    expect(getHeader({ 'x-undef': undefined }, 'x-undef')).toBeUndefined();
  });
});

describe('parseGoDuration (OpenAI/Groq reset headers)', () => {
  it.each([
    ['120ms', 120],
    ['1s', 1000],
    ['51.189s', 51_189],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['14m24s', 864_000],
    ['0s', 0],
    ['0', 0],
    ['1.5h', 5_400_000],
    ['250us', 0],
  ])('%s → %d ms', (text, ms) => expect(parseGoDuration(text)).toBe(ms));

  it('rejects what is not a duration', () => {
    for (const bad of ['', 'abc', '5', '5x', '1h 2m', 's']) expect(parseGoDuration(bad)).toBeUndefined();
  });
  it('keeps the sign (clamping is the caller’s job)', () => expect(parseGoDuration('-1s')).toBe(-1000));

  // The one-pass reader against the grammar as regular expressions (what it replaced), on near-durations.
  const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 1e-6 };
  function byRegex(text: string): number | undefined {
    const s = text.trim();
    if (s === '0') return 0;
    const m = /^([+-])?((?:\d+(?:\.\d+)?|\.\d+)(?:h|ms|m|s|us|µs|ns))+$/.exec(s);
    if (!m) return undefined;
    let total = 0;
    for (const part of s.matchAll(/(\d+(?:\.\d+)?|\.\d+)(h|ms|m|s|us|µs|ns)/g)) total += Number(part[1]) * UNIT_MS[part[2]!]!;
    return Math.round(m[1] === '-' ? -total : total);
  }
  it('reads every text as the grammar’s regular expressions do', () => {
    const part = fc.tuple(fc.stringMatching(/^(\d{1,4}(\.\d{1,3})?|\.\d{1,3})$/), fc.constantFrom('h', 'm', 's', 'ms', 'us', 'µs', 'ns')).map(([n, u]) => n + u);
    const duration = fc.tuple(fc.constantFrom('', '-', '+'), fc.array(part, { minLength: 1, maxLength: 4 })).map(([sign, parts]) => sign + parts.join(''));
    const noise = fc.array(fc.constantFrom('1', '0', '9', '.', 'h', 'm', 's', 'u', 'µ', 'n', '-', '+', ' ', 'x'), { maxLength: 8 }).map((c) => c.join(''));
    fc.assert(fc.property(fc.oneof(duration, noise, fc.tuple(duration, noise).map(([a, b]) => a + b)), (text) => {
      expect(parseGoDuration(text)).toBe(byRegex(text));
    }), { numRuns: 3000 });
  });
});

describe('retry-after', () => {
  it('accepts seconds, fractional seconds and HTTP dates', () => {
    expect(parseRetryAfter('46', NOW)).toBe(46_000);
    expect(parseRetryAfter('1.5', NOW)).toBe(1500);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
  });

  it('retry-after-ms beats retry-after (OpenAI sends both on a 429)', () => {
    expect(retryAfterFromHeaders({ 'retry-after': '46', 'retry-after-ms': '45190' }, NOW)).toBe(45_190);
  });

  it('uses an HTTP-date retry-after', () => {
    expect(retryAfterFromHeaders({ 'retry-after': 'Wed, 25 Nov 2026 12:02:00 GMT' }, NOW)).toBe(120_000);
  });

  it('falls back to the reset of a spent budget, the longest when several are spent', () => {
    const h = {
      'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '1h2m3.5s',
    };
    expect(retryAfterFromHeaders(h, NOW)).toBe(3_723_500);
    // A budget with room left says nothing about this 429.
    expect(retryAfterFromHeaders({ 'x-ratelimit-remaining-tokens': '10', 'x-ratelimit-reset-tokens': '2s' }, NOW)).toBeUndefined();
  });

  it('reads Anthropic RFC 3339 resets of a spent budget', () => {
    const h = { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-11-25T12:00:20Z' };
    expect(retryAfterFromHeaders(h, NOW)).toBe(20_000);
  });

  it('clamps absurd values: negative → 0, past 24 h → 24 h', () => {
    expect(retryAfterFromHeaders({ 'retry-after': '-5' }, NOW)).toBe(0);
    expect(retryAfterFromHeaders({ 'retry-after': 'Tue, 24 Nov 2026 12:00:00 GMT' }, NOW)).toBe(0);
    expect(retryAfterFromHeaders({ 'retry-after': '99999999' }, NOW)).toBe(MAX_HINT_MS);
    expect(clampDelay(Number.NaN)).toBeUndefined();
  });

  it('is undefined when nothing says', () => expect(retryAfterFromHeaders({}, NOW)).toBeUndefined());
});

describe('reset values in every shape', () => {
  it('Go duration, RFC 3339, epoch ms, epoch s, plain seconds', () => {
    expect(parseResetValue('6m0s', NOW)).toBe(360_000);
    expect(parseResetValue('2026-11-25T12:01:00Z', NOW)).toBe(60_000);
    expect(parseResetValue(String(NOW + 5000), NOW)).toBe(5000);
    expect(parseResetValue(String(NOW / 1000 + 9), NOW)).toBe(9000);
    expect(parseResetValue('29', NOW)).toBe(29_000);
  });
});

describe('retry hints in message text', () => {
  it.each([
    ['Rate limit reached for gpt-4o … Please try again in 45.19s. Visit …', 45_190],
    ['Please retry in 26.3s.', 26_300],
    ['Please try again in 5.289s', 5289],
    ['on tokens per day (TPD): Limit 100000, Used 99000, Requested 2000. Please try again in 14m24s.', 864_000],
    ['Please try again in 120ms.', 120],
    ['Please try again in 1h2m3.5s', 3_723_500],
    ['Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease', 6000],
  ])('%s', (text, ms) => expect(retryHintFromText(text)).toBe(ms));

  it('is undefined without a hint', () => {
    expect(retryHintFromText('Rate limit exceeded')).toBeUndefined();
    expect(retryHintFromText(undefined)).toBeUndefined();
  });
});

describe('Gemini RetryInfo.retryDelay', () => {
  it('reads protobuf durations', () => {
    expect(parseProtoDuration('26s')).toBe(26_000);
    expect(parseProtoDuration('1.5s')).toBe(1500);
    expect(parseProtoDuration({ seconds: 3, nanos: 500_000_000 })).toBe(3500);
    expect(parseProtoDuration(42)).toBeUndefined();
  });
});
