import { describe, expect, it } from 'vitest';
import { QuotaModel, goDuration, rfc3339 } from './quota-model.js';

function clock(start = Date.UTC(2026, 10, 25, 12, 0, 0)) {
  const c = { t: start, now: () => c.t, advance: (ms: number) => (c.t += ms) };
  return c;
}

describe('goDuration', () => {
  it('formats like Go time.Duration', () => {
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(120)).toBe('120ms');
    expect(goDuration(1000)).toBe('1s');
    expect(goDuration(51_189)).toBe('51.189s');
    expect(goDuration(360_000)).toBe('6m0s');
    expect(goDuration(3_723_500)).toBe('1h2m3.5s');
    expect(goDuration(3_600_000)).toBe('1h0m0s');
  });
  it('rfc3339 rounds up to the second', () => {
    expect(rfc3339(Date.UTC(2026, 0, 1, 0, 0, 0, 1))).toBe('2026-01-01T00:00:01Z');
  });
});

describe('QuotaModel', () => {
  it('admits rpm requests, then 429 with the time until one request refills', () => {
    const c = clock();
    const q = new QuotaModel({ rpm: 60, headers: 'openai' }, c.now);
    for (let i = 0; i < 60; i++) expect(q.admit().ok).toBe(true);
    const r = q.admit();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('requests');
    expect(r.retryAfterMs).toBe(1000);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['retry-after-ms']).toBe('1000');
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('0');
    expect(r.headers['x-ratelimit-reset-requests']).toBe('1m0s');
    c.advance(999);
    expect(q.admit().ok).toBe(false);
    c.advance(1);
    expect(q.admit().ok).toBe(true);
  });

  it('refills continuously and reports OpenAI headers on success', () => {
    const c = clock();
    const q = new QuotaModel({ rpm: 600, tpm: 30_000, headers: 'openai' }, c.now);
    const r = q.admit(1500);
    expect(r.ok).toBe(true);
    expect(r.headers).toEqual({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '599',
      'x-ratelimit-reset-requests': '100ms',
      'x-ratelimit-limit-tokens': '30000',
      'x-ratelimit-remaining-tokens': '28500',
      'x-ratelimit-reset-tokens': '3s',
    });
    c.advance(50);
    expect(q.admit(0).headers['x-ratelimit-reset-requests']).toBe('150ms');
  });

  it('limits tokens and says so', () => {
    const c = clock();
    const q = new QuotaModel({ tpm: 1000, headers: 'openai' }, c.now);
    expect(q.admit(900).ok).toBe(true);
    const r = q.admit(200);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('tokens');
    expect(r.retryAfterMs).toBe(6000); // 100 missing at 1000/60000 per ms
    expect(r.headers['retry-after']).toBe('6');
    expect(r.headers['x-ratelimit-remaining-tokens']).toBe('100');
  });

  it('counts per day and resets at the day boundary', () => {
    const c = clock(Date.UTC(2026, 10, 25, 23, 59, 0));
    const q = new QuotaModel({ rpd: 2 }, c.now);
    expect(q.admit().ok).toBe(true);
    expect(q.admit().ok).toBe(true);
    const r = q.admit();
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.kind).toBe('day');
    expect(r.retryAfterMs).toBe(60_000);
    expect(r.headers).toEqual({});
    c.advance(60_000);
    expect(q.admit().ok).toBe(true);
  });

  it('honours a shifted day boundary (Pacific midnight)', () => {
    const c = clock(Date.UTC(2026, 10, 25, 7, 0, 0)); // 23:00 PST
    const q = new QuotaModel({ rpd: 1, dayOffsetMs: 8 * 3_600_000 }, c.now);
    q.admit();
    const r = q.admit();
    expect(!r.ok && r.retryAfterMs).toBe(3_600_000);
  });

  it('caps concurrency until release', () => {
    const c = clock();
    const q = new QuotaModel({ maxConcurrent: 2 }, c.now);
    expect(q.admit().ok).toBe(true);
    expect(q.admit().ok).toBe(true);
    const r = q.admit();
    expect(!r.ok && r.kind).toBe('concurrency');
    q.release();
    expect(q.admit().ok).toBe(true);
  });

  it('anthropic style: RFC 3339 resets, tokens rounded to thousands, retry-after only', () => {
    const c = clock(Date.UTC(2026, 0, 1, 0, 0, 0));
    const q = new QuotaModel({ rpm: 50, tpm: 40_000, headers: 'anthropic' }, c.now);
    const ok = q.admit(1_400);
    expect(ok.headers).toEqual({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z', // 1.2s
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '39000', // 38600 rounded
      'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:03Z', // 2.1s
    });
    for (let i = 0; i < 49; i++) q.admit();
    const r = q.admit();
    expect(r.ok).toBe(false);
    expect(r.headers['retry-after']).toBe('2'); // 1.2s → ceil
    expect(r.headers['retry-after-ms']).toBeUndefined();
  });

  it('groq style: requests triple is per day', () => {
    const c = clock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const q = new QuotaModel({ rpd: 14_400, tpm: 6000, headers: 'groq' }, c.now);
    const r = q.admit(100);
    expect(r.headers['x-ratelimit-limit-requests']).toBe('14400');
    expect(r.headers['x-ratelimit-remaining-requests']).toBe('14399');
    expect(r.headers['x-ratelimit-reset-requests']).toBe('12h0m0s');
    expect(r.headers['x-ratelimit-limit-tokens']).toBe('6000');
  });

  it('countRejected makes hammering costly', () => {
    const c = clock();
    const q = new QuotaModel({ rpm: 60, countRejected: true }, c.now);
    for (let i = 0; i < 60; i++) q.admit();
    expect(q.admit().ok).toBe(false); // level -1
    c.advance(1000);
    expect(q.admit().ok).toBe(false);
    c.advance(2000);
    expect(q.admit().ok).toBe(true);
  });

  it('no spec: always admits, no headers', () => {
    const q = new QuotaModel({ headers: 'none' }, () => 0);
    for (let i = 0; i < 1000; i++) expect(q.admit(1e6)).toEqual({ ok: true, headers: {} });
  });
});
