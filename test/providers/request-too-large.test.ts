// Issue #13 (5): a 429 that says the request alone is over the limit (Requested > Limit) is that client's fault:
// every key would refuse it, so it is returned once, with no cooldown and no retry, instead of cooling the pool.
import { describe, expect, it } from 'vitest';
import { KeyPool, ManualClock } from '../../src/pool/index.js';
import { adapterFor } from '../../src/providers/index.js';
import type { Headers } from '../../src/providers/index.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW, model: 'gpt-4o' };
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });

const OPENAI_TOO_LARGE = {
  error: {
    message:
      'Request too large for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Requested 45000. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.',
    type: 'tokens',
    param: null,
    code: 'rate_limit_exceeded',
  },
};

const GROQ_TOO_LARGE = {
  error: {
    message:
      'Request too large for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Requested 7200, please reduce your message size and try again. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
    type: 'tokens',
    code: 'rate_limit_exceeded',
  },
};

describe('a request larger than the limit itself', () => {
  const openai = adapterFor('openai');
  const groq = adapterFor('groq');

  it('OpenAI 429 "Request too large … Limit 30000, Requested 45000" → client_error, no retry hint', () => {
    const o = openai.classify(res(429, OPENAI_TOO_LARGE, { 'retry-after': '1', 'retry-after-ms': '600' }), ctx);
    expect(o).toMatchObject({ kind: 'client_error', status: 429 });
    expect(o.reason).toMatch(/request too large.*tokens per min.*limit 30000.*requested 45000/);
    expect('retryAfterMs' in o).toBe(false);
  });

  it('whatever x-should-retry says: no key can ever take it', () => {
    expect(openai.classify(res(429, OPENAI_TOO_LARGE, { 'x-should-retry': 'true' }), ctx).kind).toBe('client_error');
  });

  it('Groq says it the same way, as a 429 or a 413', () => {
    expect(groq.classify(res(429, GROQ_TOO_LARGE, { 'retry-after': '2' }), ctx)).toMatchObject({ kind: 'client_error' });
    expect(groq.classify(res(413, GROQ_TOO_LARGE), ctx)).toMatchObject({ kind: 'client_error' });
  });

  it('Requested > Limit is enough, whatever the wording', () => {
    const body = { error: { message: 'Rate limit exceeded on requests per min (RPM): Limit 100, Requested 250.', type: 'requests', code: 'rate_limit_exceeded' } };
    expect(openai.classify(res(429, body), ctx).kind).toBe('client_error');
    expect(openai.classify(res(429, { error: { message: 'Request too large for this organization.', code: 'rate_limit_exceeded' } }), ctx).kind).toBe('client_error');
  });

  it('an ordinary limit (Used + Requested over it, Requested alone under) stays a rate limit', () => {
    const body = { error: { ...OPENAI_TOO_LARGE.error, message: 'Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 45.19s.' } };
    expect(openai.classify(res(429, body), ctx)).toMatchObject({ kind: 'rate_limited', scope: 'model' });
    const tpd = { error: { ...GROQ_TOO_LARGE.error, message: 'Rate limit reached for model `x` in organization `org_1` on tokens per day (TPD): Limit 100000, Used 99500, Requested 1200. Please try again in 14m24s.' } };
    expect(groq.classify(res(429, tpd), ctx).kind).toBe('quota_exhausted');
  });

  it('Anthropic: a 429 saying the request alone exceeds the limit is the request’s; 413 request_too_large too', () => {
    const anthropic = adapterFor('anthropic');
    const body = { type: 'error', error: { type: 'rate_limit_error', message: 'Request too large for claude-sonnet-4-6 on input tokens per minute: Limit 30000, Requested 45000.' } };
    expect(anthropic.classify(res(429, body, { 'retry-after': '5', 'x-should-retry': 'true' }), ctx).kind).toBe('client_error');
    const e413 = { type: 'error', error: { type: 'request_too_large', message: 'Request exceeds the maximum allowed number of bytes.' } };
    expect(anthropic.classify(res(413, e413), ctx).kind).toBe('client_error');
  });

  it('reported to the pool, it cools nothing: the next request gets a key at once', async () => {
    const clock = new ManualClock(NOW);
    const pool = new KeyPool({ provider: 'openai', keys: ['sk-a-0000000000000000', 'sk-b-0000000000000000'], clock, limitsPerModel: true });
    for (let i = 0; i < 2; i++) {
      const lease = await pool.acquire({ model: 'gpt-4o', deadlineMs: 0 });
      lease.report(openai.classify(res(429, OPENAI_TOO_LARGE, { 'retry-after': '46' }), { now: clock.now(), model: 'gpt-4o' }));
    }
    expect(pool.snapshot().keys.map((k) => k.status)).toEqual(['active', 'active']);
    expect(pool.snapshot().pausedUntil).toBeUndefined();
    const next = await pool.acquire({ model: 'gpt-4o', deadlineMs: 0 });
    next.release();
  });
});
