import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import type { Headers } from '../../src/providers/index.js';
import { authHeaders, limitsOf } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW, model: 'claude-sonnet-4-5' };
const anthropic = adapterFor('anthropic');
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });
const err = (type: string, message: string, extra: Record<string, unknown> = {}) =>
  ({ type: 'error', error: { type, message, ...extra }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });

describe('Anthropic success', () => {
  const headers = {
    'anthropic-organization-id': 'c2f3a4b5-0000-4000-8000-000000000001',
    'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy',
    'anthropic-ratelimit-requests-limit': '50',
    'anthropic-ratelimit-requests-remaining': '49',
    'anthropic-ratelimit-requests-reset': '2026-11-25T12:00:01Z',
    'anthropic-ratelimit-tokens-limit': '90000',
    'anthropic-ratelimit-tokens-remaining': '88000',
    'anthropic-ratelimit-tokens-reset': '2026-11-25T12:00:02Z',
    'anthropic-ratelimit-input-tokens-limit': '80000',
    'anthropic-ratelimit-input-tokens-remaining': '79000',
    'anthropic-ratelimit-input-tokens-reset': '2026-11-25T12:00:01Z',
  };
  const body = {
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5',
    content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn',
    usage: { input_tokens: 2095, cache_creation_input_tokens: 100, cache_read_input_tokens: 1800, output_tokens: 503, service_tier: 'standard' },
  };

  it('usage counts cache reads and writes as input; RFC 3339 resets become ms; the organization is the group', () => {
    expect(anthropic.classify(res(200, body, headers), ctx)).toEqual({
      kind: 'ok', status: 200, group: 'c2f3a4b5-0000-4000-8000-000000000001',
      usage: { inputTokens: 3995, outputTokens: 503, cachedTokens: 1800, totalTokens: 4498 },
      limits: { requests: { limit: 50, remaining: 49, resetMs: 1000 }, tokens: { limit: 90000, remaining: 88000, resetMs: 2000 } },
    });
  });

  it('without the tokens family, the tighter of input/output', () => {
    expect(limitsOf(anthropic, {
      'anthropic-ratelimit-input-tokens-limit': '80000', 'anthropic-ratelimit-input-tokens-remaining': '79000', 'anthropic-ratelimit-input-tokens-reset': '2026-11-25T12:00:30Z',
      'anthropic-ratelimit-output-tokens-limit': '16000', 'anthropic-ratelimit-output-tokens-remaining': '3000', 'anthropic-ratelimit-output-tokens-reset': '2026-11-25T12:00:45Z',
    }, ctx)).toEqual({ tokens: { limit: 16000, remaining: 3000, resetMs: 45_000 } });
    expect(limitsOf(anthropic, {}, ctx)).toBeUndefined();
  });

  it('sends x-api-key and anthropic-version; OAuth tokens as bearer', () => {
    expect(authHeaders(anthropic, 'sk-ant-api03-xyz')).toEqual({ 'x-api-key': 'sk-ant-api03-xyz', 'anthropic-version': '2023-06-01' });
    expect(authHeaders(anthropic, 'sk-ant-oat01-abc')).toMatchObject({ authorization: 'Bearer sk-ant-oat01-abc', 'anthropic-version': '2023-06-01' });
  });
});

describe('Anthropic 429s and billing', () => {
  const rl = err('rate_limit_error',
    'This request would exceed the rate limit for your organization (c2f3a4b5-0000-4000-8000-000000000001) of 30,000 input tokens per minute. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later.');

  it('rate_limit_error with retry-after', () => {
    const o = anthropic.classify(res(429, rl, { 'retry-after': '13', 'anthropic-ratelimit-input-tokens-remaining': '0' }), ctx);
    expect(o).toMatchObject({ kind: 'rate_limited', status: 429, retryAfterMs: 13_000, reason: 'input tokens per min', scope: 'group' });
  });

  it('without retry-after, the reset of the spent budget', () => {
    const o = anthropic.classify(res(429, err('rate_limit_error', 'Number of requests has exceeded your per-minute rate limit'), {
      'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-11-25T12:00:20Z',
    }), ctx);
    expect(o).toMatchObject({ kind: 'rate_limited', retryAfterMs: 20_000, reason: 'requests per min' });
  });

  it('enforced_spend_limit_reached is the monthly cap: quota, no cooldown', () => {
    const body = err('rate_limit_error', 'You have reached your monthly spend limit.', { details: { error_code: 'enforced_spend_limit_reached' } });
    expect(anthropic.classify(res(429, body), ctx)).toEqual({ kind: 'quota_exhausted', status: 429, scope: 'group', reason: 'enforced_spend_limit_reached' });
  });

  it('402 billing_error, and the 400s that are billing', () => {
    expect(anthropic.classify(res(402, err('billing_error', 'Payment required')), ctx).kind).toBe('quota_exhausted');
    const limits = err('invalid_request_error', 'You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.');
    expect(anthropic.classify(res(400, limits), ctx)).toMatchObject({
      kind: 'quota_exhausted', retryAfterMs: Date.parse('2026-12-01T00:00:00Z') - NOW,
    });
    const credit = err('invalid_request_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.');
    expect(anthropic.classify(res(400, credit), ctx).kind).toBe('quota_exhausted');
  });
});

describe('Anthropic errors', () => {
  it.each<[number, string, string]>([
    [401, 'authentication_error', 'auth_failed'],
    [403, 'permission_error', 'auth_failed'],
    [413, 'request_too_large', 'client_error'],
    [404, 'not_found_error', 'client_error'],
    [400, 'invalid_request_error', 'client_error'],
    [500, 'api_error', 'server_error'],
    [504, 'timeout_error', 'server_error'],
    [529, 'overloaded_error', 'overloaded'],
  ])('%d %s → %s', (status, type, kind) => {
    const o = anthropic.classify(res(status, err(type, 'message')), ctx);
    expect(o.kind).toBe(kind);
    expect(o.status).toBe(status);
  });

  it('an invalid request keeps a short reason from its message', () => {
    const o = anthropic.classify(res(400, err('invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum')), ctx);
    expect(o).toEqual({ kind: 'client_error', status: 400, reason: 'prompt is too long: 215000 tokens > 200000 maximum' });
  });

  it('529 with x-should-retry: true stays overloaded, with its retry-after', () => {
    expect(anthropic.classify(res(529, err('overloaded_error', 'Overloaded'), { 'x-should-retry': 'true', 'retry-after': '2' }), ctx))
      .toMatchObject({ kind: 'overloaded', retryAfterMs: 2000 });
  });
});
