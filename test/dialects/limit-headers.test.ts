import { describe, expect, it } from 'vitest';
import { DIALECT, goDuration, rfc3339, writeLimitHeaders } from '../../src/dialects/index.js';
import { parseGoDuration, parseResetValue } from '../../src/providers/headers.js';

describe('rate-limit headers per dialect', () => {
  it('writes resets as Go durations, the way OpenAI does and keymux itself reads them', () => {
    const cases: Array<[number, string]> = [[0, '0s'], [20, '20ms'], [999.2, '1s'], [1_000, '1s'], [1_200, '1.2s'], [59_001, '59.001s'], [360_000, '6m0s'], [3_723_500, '1h2m3.5s']];
    for (const [ms, text] of cases) {
      expect(goDuration(ms)).toBe(text);
      expect(parseGoDuration(text)).toBe(Math.ceil(ms));
    }
  });

  it('writes Anthropic resets as RFC 3339 at whole seconds, never early', () => {
    const now = Date.UTC(2026, 0, 5, 12, 0, 0, 250);
    expect(rfc3339(now)).toBe('2026-01-05T12:00:01Z');
    expect(parseResetValue(DIALECT.anthropic.limitHeaders!.reset(1_500, now), now)).toBe(1_750); // 12:00:01.750 → 12:00:02
  });

  it('writes each known dimension under the dialect’s names, and nothing it does not know', () => {
    const out: Record<string, string> = {};
    writeLimitHeaders(DIALECT.openai.limitHeaders!, { requests: { limit: 180, remaining: 12, resetMs: 2_000 } }, 0, out);
    expect(out).toEqual({ 'x-ratelimit-limit-requests': '180', 'x-ratelimit-remaining-requests': '12', 'x-ratelimit-reset-requests': '2s' });
    const ant: Record<string, string> = {};
    writeLimitHeaders(DIALECT.anthropic.limitHeaders!, { tokens: { limit: 8e4, remaining: 0, resetMs: 900 } }, Date.UTC(2026, 0, 1), ant);
    expect(ant).toEqual({
      'anthropic-ratelimit-tokens-limit': '80000',
      'anthropic-ratelimit-tokens-remaining': '0',
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:01Z',
    });
    expect(DIALECT.gemini.limitHeaders).toBeUndefined();
  });
});
