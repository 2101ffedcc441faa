import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import type { Headers } from '../../src/providers/index.js';
import { authHeaders, groupOf, limitsOf, usageOf } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW, model: 'gemini-2.5-flash' };
const gemini = adapterFor('gemini');
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });
const gerr = (code: number, status: string, message: string, details?: unknown[]) =>
  ({ error: { code, message, status, ...(details && { details }) } });

const quotaFailure = (quotaId: string, model = 'gemini-2.5-flash', metric = 'generativelanguage.googleapis.com/generate_content_free_tier_requests') => ({
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [{ quotaMetric: metric, quotaId, quotaDimensions: { location: 'global', model }, quotaValue: '10' }],
});
const help = { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] };
const retryInfo = (d: string) => ({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: d });
const errorInfo = (reason: string, metadata: Record<string, string> = { service: 'generativelanguage.googleapis.com' }) =>
  ({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata });

describe('Gemini success', () => {
  it('reads usageMetadata; thinking tokens count as output', () => {
    const body = {
      candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 45, totalTokenCount: 365, thoughtsTokenCount: 200, cachedContentTokenCount: 64 },
      modelVersion: 'gemini-2.5-flash', responseId: 'mAitaLmkHPPlz7IPvtfUqQ4',
    };
    expect(gemini.classify(res(200, body), ctx)).toEqual({
      kind: 'ok', status: 200,
      usage: { inputTokens: 120, outputTokens: 245, reasoningTokens: 200, cachedTokens: 64, totalTokens: 365 },
    });
  });

  it('a non-SSE stream body is a JSON array: usage from its last chunk', () => {
    const body = [
      { candidates: [], usageMetadata: { promptTokenCount: 10, totalTokenCount: 10 } },
      { candidates: [], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 } },
    ];
    expect(usageOf(gemini, body)).toEqual({ inputTokens: 10, outputTokens: 5, totalTokens: 15 });
  });

  it('no limit headers, no group headers, x-goog-api-key', () => {
    expect(limitsOf(gemini, { 'x-ratelimit-limit-requests': '1' }, ctx)).toBeUndefined();
    expect(groupOf(gemini, {})).toBeUndefined();
    expect(authHeaders(gemini, 'AIzaSyTEST')).toEqual({ 'x-goog-api-key': 'AIzaSyTEST' });
  });
});

describe('Gemini 429 RESOURCE_EXHAUSTED', () => {
  it('per-minute QuotaFailure with RetryInfo: rate_limited for that model, with the limit it states (quotaValue)', () => {
    const body = gerr(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota, please check your plan and billing details.', [
      quotaFailure('GenerateRequestsPerMinutePerProjectPerModel-FreeTier'), help, retryInfo('26s'),
    ]);
    expect(gemini.classify(res(429, body), ctx)).toEqual({
      kind: 'rate_limited', status: 429, scope: 'model', reason: 'requests per min', retryAfterMs: 26_000, statedRpm: 10,
    });
  });

  it('a stated limit is taken only from a count of requests per minute, as a whole number', () => {
    const stated = (quotaId: string, quotaValue: unknown) => {
      const qf = { ...quotaFailure(quotaId), violations: [{ ...quotaFailure(quotaId).violations[0]!, quotaValue }] };
      return (gemini.classify(res(429, gerr(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', [qf, retryInfo('5s')])), ctx) as { statedRpm?: number }).statedRpm;
    };
    expect(stated('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', '15')).toBe(15);
    // Tokens a minute are no request rate; a day's count goes to quota_exhausted without one.
    expect(stated('GenerateContentInputTokensPerModelPerMinute-FreeTier', '250000')).toBeUndefined();
    expect(stated('GenerateRequestsPerDayPerProjectPerModel-FreeTier', '200')).toBeUndefined();
    // What is no positive whole number states nothing.
    for (const bad of ['0', '-3', '1.5', 'lots', '', 1e300, undefined, null, {}]) {
      expect(stated('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', bad)).toBeUndefined();
    }
  });

  it('input tokens per minute, retry from the message when RetryInfo is absent', () => {
    const body = gerr(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota. Please retry in 1.5s.', [
      quotaFailure('GenerateContentInputTokensPerModelPerMinute-FreeTier', 'gemini-2.5-pro', 'generativelanguage.googleapis.com/generate_content_free_tier_input_token_count'),
    ]);
    expect(gemini.classify(res(429, body), ctx)).toMatchObject({ kind: 'rate_limited', reason: 'input tokens per min', retryAfterMs: 1500, scope: 'model' });
  });

  it('per-day QuotaFailure: quota until midnight Pacific, whatever RetryInfo says', () => {
    const body = gerr(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', [
      quotaFailure('GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'gemini-2.5-pro'), help, retryInfo('50s'),
    ]);
    expect(gemini.classify(res(429, body), ctx)).toEqual({
      kind: 'quota_exhausted', status: 429, scope: 'model', reason: 'requests per day',
      retryAfterMs: Date.parse('2026-11-26T08:00:00Z') - NOW, // midnight PST
    });
    // On the day DST starts the Pacific day is 23 hours long.
    const dst = Date.parse('2026-03-08T08:30:00Z');
    expect(gemini.classify(res(429, body), { now: dst })).toMatchObject({ retryAfterMs: Date.parse('2026-03-09T07:00:00Z') - dst });
  });

  it('without QuotaFailure it is Google’s load: overloaded, the key untouched', () => {
    expect(gemini.classify(res(429, gerr(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).')), ctx))
      .toMatchObject({ kind: 'overloaded', status: 429 });
  });
});

describe('Gemini auth and errors', () => {
  it('400 INVALID_ARGUMENT with API_KEY_INVALID is an invalid key', () => {
    const body = gerr(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [errorInfo('API_KEY_INVALID'), { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message: 'API key not valid. Please pass a valid API key.' }]);
    expect(gemini.classify(res(400, body), ctx)).toEqual({ kind: 'auth_failed', status: 400, reason: 'API_KEY_INVALID' });
    expect(gemini.classify(res(400, gerr(400, 'INVALID_ARGUMENT', 'API Key not found. Please pass a valid API key.')), ctx).kind).toBe('auth_failed');
  });

  it('403 PERMISSION_DENIED: suspended, leaked, denied → auth_failed', () => {
    const suspended = gerr(403, 'PERMISSION_DENIED', "Permission denied: Consumer 'api_key:AIzaSyD-FAKEFAKEFAKEFAKEFAKEFAKEFAKE12' has been suspended.",
      [errorInfo('CONSUMER_SUSPENDED', { consumer: 'projects/123456789', service: 'generativelanguage.googleapis.com' })]);
    expect(gemini.classify(res(403, suspended), ctx)).toEqual({ kind: 'auth_failed', status: 403, reason: 'CONSUMER_SUSPENDED', group: 'projects/123456789' });
    expect(gemini.classify(res(403, gerr(403, 'PERMISSION_DENIED', 'Your API key was reported as leaked. Please use another API key.')), ctx))
      .toMatchObject({ kind: 'auth_failed', reason: 'reported as leaked' });
    expect(gemini.classify(res(403, gerr(403, 'PERMISSION_DENIED', 'Your project has been denied access. Please contact support.')), ctx).kind).toBe('auth_failed');
  });

  it.each<[string, number, string, string]>([
    ['region: FAILED_PRECONDITION', 400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'],
    ['bad request', 400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified\n'],
    ['unknown model', 404, 'NOT_FOUND', 'models/gemini-9-ultra is not found for API version v1beta, or is not supported for generateContent.'],
  ])('%s → client_error', (_n, code, status, message) => {
    expect(gemini.classify(res(code, gerr(code, status, message)), ctx).kind).toBe('client_error');
  });

  it('5xx: INTERNAL and DEADLINE_EXCEEDED server_error, UNAVAILABLE overloaded', () => {
    expect(gemini.classify(res(500, gerr(500, 'INTERNAL', 'An internal error has occurred.')), ctx).kind).toBe('server_error');
    expect(gemini.classify(res(504, gerr(504, 'DEADLINE_EXCEEDED', 'Deadline expired before operation could complete.')), ctx).kind).toBe('server_error');
    expect(gemini.classify(res(503, gerr(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.')), ctx)).toMatchObject({ kind: 'overloaded', reason: 'UNAVAILABLE' });
  });

  it('an error that is not Google-shaped falls back to its status', () => {
    expect(gemini.classify(res(502, '<html>502 Bad Gateway</html>'), ctx).kind).toBe('server_error');
  });
});
