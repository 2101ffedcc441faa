import { describe, expect, it } from 'vitest';
import { msUntilPacificMidnight, nextMidnight } from '../../src/providers/index.js';

const H = 3_600_000;

describe('midnight Pacific (Gemini per-day quotas)', () => {
  it('in winter (PST, UTC-8)', () => {
    const now = Date.parse('2026-01-15T20:00:00Z'); // 12:00 PST
    expect(nextMidnight(now)).toBe(Date.parse('2026-01-16T08:00:00Z'));
    expect(msUntilPacificMidnight(now)).toBe(12 * H);
  });

  it('in summer (PDT, UTC-7)', () => {
    const now = Date.parse('2026-07-04T19:00:00Z'); // 12:00 PDT
    expect(nextMidnight(now)).toBe(Date.parse('2026-07-05T07:00:00Z'));
  });

  it('on the day DST starts (23-hour day, 2026-03-08)', () => {
    const now = Date.parse('2026-03-08T08:30:00Z'); // 00:30 PST, before the 02:00 jump
    expect(nextMidnight(now)).toBe(Date.parse('2026-03-09T07:00:00Z')); // 00:00 PDT
    expect(msUntilPacificMidnight(now)).toBe(22.5 * H);
  });

  it('the evening before DST starts', () => {
    const now = Date.parse('2026-03-08T07:00:00Z'); // 23:00 PST Mar 7
    expect(nextMidnight(now)).toBe(Date.parse('2026-03-08T08:00:00Z')); // still PST at midnight
  });

  it('on the day DST ends (25-hour day, 2026-11-01)', () => {
    const now = Date.parse('2026-11-01T07:30:00Z'); // 00:30 PDT
    expect(nextMidnight(now)).toBe(Date.parse('2026-11-02T08:00:00Z')); // 00:00 PST
    expect(msUntilPacificMidnight(now)).toBe(24.5 * H);
  });

  it('exactly at midnight means the next one', () => {
    const now = Date.parse('2026-01-16T08:00:00Z');
    expect(nextMidnight(now)).toBe(Date.parse('2026-01-17T08:00:00Z'));
  });
});
