import { describe, expect, it } from 'vitest';
import { CATALOG, UnknownProviderError, adapterFor, createAdapter, resolveProfile } from '../../src/providers/index.js';
import type { Headers, ProviderInfo } from '../../src/providers/index.js';
import { limitsOf, usageOf } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW };
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });

describe('adapterFor', () => {
  it('builds an adapter for every catalog entry and alias', () => {
    for (const p of CATALOG) expect(adapterFor(p).profile.wire).toBe(p.dialect);
    expect(adapterFor('nvidia').profile.name).toBe('nvidia_nim');
    expect(adapterFor('google').profile.wire).toBe('gemini');
    expect(adapterFor('azure').profile.wire).toBe('azure');
    // Azure speaks OpenAI's dialect inside its own envelope.
    expect(adapterFor('azure').profile.dialect).toBe('openai');
    expect(adapterFor('openai')).toBe(adapterFor('OpenAI'));
  });
  it('refuses unknown names with a typed error', () => {
    expect(() => adapterFor('nope')).toThrow(UnknownProviderError);
  });
});

describe('Groq', () => {
  const groq = adapterFor('groq');
  it('its request limit is per day, tokens per minute', () => {
    expect(limitsOf(groq, {
      'x-ratelimit-limit-requests': '14400', 'x-ratelimit-remaining-requests': '14370', 'x-ratelimit-reset-requests': '2m59.56s',
      'x-ratelimit-limit-tokens': '18000', 'x-ratelimit-remaining-tokens': '17997', 'x-ratelimit-reset-tokens': '7.66s',
    }, ctx)).toEqual({
      requestsPerDay: { limit: 14400, remaining: 14370, resetMs: 179_560 },
      tokens: { limit: 18000, remaining: 17997, resetMs: 7660 },
    });
  });

  it('429 TPM: retry-after header, model scope, organization from the text', () => {
    const body = { error: {
      message: 'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used 5635, Requested 1130. Please try again in 7.65s. Need more tokens? Upgrade to Dev Tier today at https://console.groq.com/settings/billing',
      type: 'tokens', code: 'rate_limit_exceeded',
    } };
    expect(groq.classify(res(429, body, { 'retry-after': '8' }), ctx)).toMatchObject({
      kind: 'rate_limited', retryAfterMs: 8000, scope: 'model', reason: 'tokens per min', group: 'org_01jabc',
    });
    expect(groq.classify(res(429, { error: { ...body.error, message: 'Rate limit reached. Please try again in 5.289s' } }), ctx))
      .toMatchObject({ kind: 'rate_limited', retryAfterMs: 5289 });
  });

  it('429 on a per-day budget is quota until the hinted time', () => {
    const body = { error: {
      message: 'Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_01jabc` service tier `on_demand` on tokens per day (TPD): Limit 100000, Used 99500, Requested 1200. Please try again in 14m24s.',
      type: 'tokens', code: 'rate_limit_exceeded',
    } };
    expect(groq.classify(res(429, body), ctx)).toMatchObject({ kind: 'quota_exhausted', retryAfterMs: 864_000, reason: 'tokens per day', scope: 'model' });
  });
});

describe('OpenRouter', () => {
  const or = adapterFor('openrouter');
  const inBody = (msg: string, resetIn: number) => ({ error: {
    message: msg, code: 429,
    metadata: { headers: { 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(NOW + resetIn) } },
  }, user_id: 'user_2abc' });

  it('429 free-models-per-min: reset from the in-body headers (epoch ms)', () => {
    expect(or.classify(res(429, inBody('Rate limit exceeded: free-models-per-min. ', 30_000)), ctx)).toEqual({
      kind: 'rate_limited', status: 429, scope: 'group', reason: 'free-models-per-min', retryAfterMs: 30_000,
      limits: { requests: { limit: 20, remaining: 0, resetMs: 30_000 } },
    });
  });

  it('429 free-models-per-day: quota until the in-body reset', () => {
    const o = or.classify(res(429, inBody('Rate limit exceeded: free-models-per-day. Add 10 credits to unlock 1000 free model requests per day', 6 * 3_600_000)), ctx);
    expect(o).toMatchObject({ kind: 'quota_exhausted', scope: 'group', reason: 'free-models-per-day', retryAfterMs: 6 * 3_600_000 });
  });

  it('429 naming metadata.provider_name is the upstream’s load, not the key’s', () => {
    const body = { error: { message: 'Provider returned error', code: 429, metadata: {
      raw: 'google/gemini-2.0-flash-exp:free is temporarily rate-limited upstream. Please retry shortly.', provider_name: 'Google AI Studio',
    } }, user_id: 'user_2abc' };
    expect(or.classify(res(429, body), ctx)).toMatchObject({ kind: 'overloaded', reason: 'upstream rate limited (Google AI Studio)' });
  });

  it('a 200 carrying an upstream error is classified by its code', () => {
    const body = { id: 'gen-1', choices: [{ finish_reason: 'stop', message: { content: null } }],
      error: { message: 'Provider returned error', code: 429, metadata: { raw: 'error code: 1015', provider_name: 'Kluster' } } };
    expect(or.classify(res(200, body), ctx).kind).toBe('overloaded');
    expect(or.classify(res(200, { error: { message: 'Upstream error', code: 502 } }), ctx).kind).toBe('server_error');
  });

  it('402 is credit, 403 moderation is the request’s, 401 the key’s', () => {
    expect(or.classify(res(402, { error: { message: 'Insufficient credits. Add more using https://openrouter.ai/credits', code: 402 } }), ctx))
      .toMatchObject({ kind: 'quota_exhausted', scope: 'group' });
    const flagged = { error: { code: 403, message: 'openai/gpt-4o requires moderation on OpenAI. Your input was flagged for "violence".',
      metadata: { reasons: ['violence'], flagged_input: '...', provider_name: 'OpenAI', model_slug: 'openai/gpt-4o' } } };
    expect(or.classify(res(403, flagged), ctx)).toMatchObject({ kind: 'client_error', reason: 'moderation' });
    expect(or.classify(res(401, { error: { message: 'No auth credentials found', code: 401 } }), ctx).kind).toBe('auth_failed');
  });
});

describe('NVIDIA NIM', () => {
  const nim = adapterFor('nvidia_nim');
  it('429 problem+json without any hint: rate_limited, backoff left to the pool', () => {
    expect(nim.classify(res(429, { status: 429, title: 'Too Many Requests' }, { 'content-type': 'application/problem+json' }), ctx))
      .toEqual({ kind: 'rate_limited', status: 429, scope: 'group', reason: 'Too Many Requests' });
  });
  it('"Worker local total request limit reached" is transient concurrency', () => {
    expect(nim.classify(res(429, { status: 429, title: 'Too Many Requests', detail: 'Worker local total request limit reached' }), ctx).kind).toBe('overloaded');
    expect(nim.classify(res(500, { error: 'Worker local total request limit reached' }), ctx).kind).toBe('overloaded');
  });
  it('403 "Authorization failed" is the key', () => {
    expect(nim.classify(res(403, { status: 403, title: 'Forbidden', detail: 'Authorization failed' }), ctx))
      .toEqual({ kind: 'auth_failed', status: 403, reason: 'Authorization failed' });
  });
  it('404/410 unknown or retired model: the model’s, not the key’s', () => {
    expect(nim.classify(res(404, { status: 404, title: 'Not Found', detail: "Function '23d4f03a-b8a6-4adb-a183-7daa083a09cc': Not found for account 'Qawmu2vUw3rd'" }), ctx).kind).toBe('client_error');
    expect(nim.classify(res(410, { status: 410, title: 'Gone', detail: 'The model has reached its end of life' }), ctx).kind).toBe('client_error');
  });
  it('has no rate-limit headers', () => expect(limitsOf(nim, {}, ctx)).toBeUndefined());
});

describe('Mistral', () => {
  const mistral = adapterFor('mistral');
  it('429 code "1300"', () => {
    expect(mistral.classify(res(429, { object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', param: null, code: '1300' }), ctx))
      .toEqual({ kind: 'rate_limited', status: 429, scope: 'group', reason: 'rate_limited' });
  });
  it('ratelimitbysize headers are per-minute tokens; newer names are read too', () => {
    expect(limitsOf(mistral, {
      'x-ratelimitbysize-limit-minute': '500000', 'x-ratelimitbysize-remaining-minute': '499000',
      'x-ratelimitbysize-limit-month': '1000000000', 'x-ratelimitbysize-remaining-month': '999000000',
      'ratelimitbysize-reset': '29', 'ratelimitbysize-query-cost': '1000',
    }, ctx)).toEqual({ tokens: { limit: 500000, remaining: 499000, resetMs: 29_000 } });
    expect(limitsOf(mistral, {
      'x-ratelimit-limit-tokens-minute': '5000000', 'x-ratelimit-remaining-tokens-minute': '4999911',
      'x-ratelimit-limit-req-minute': '720', 'x-ratelimit-remaining-req-minute': '717',
    }, ctx)).toEqual({ tokens: { limit: 5000000, remaining: 4999911 }, requests: { limit: 720, remaining: 717 } });
  });
  it('422 extra_forbidden is the request’s fault; 401 the key’s', () => {
    const body = { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'store'], msg: 'Extra inputs are not permitted', input: false }] }, type: 'invalid_request_error', param: null, code: null };
    expect(mistral.classify(res(422, body), ctx).kind).toBe('client_error');
    expect(mistral.classify(res(401, { message: 'Unauthorized', request_id: '9b1c' }), ctx).kind).toBe('auth_failed');
  });
});

describe('DeepSeek', () => {
  const ds = adapterFor('deepseek');
  it('402 Insufficient Balance is quota', () => {
    expect(ds.classify(res(402, { error: { message: 'Insufficient Balance', type: 'unknown_error', param: null, code: 'invalid_request_error' } }), ctx))
      .toMatchObject({ kind: 'quota_exhausted', scope: 'group' });
  });
  it('reads cache-hit usage and reasoning tokens', () => {
    expect(usageOf(ds, { usage: { prompt_tokens: 10, completion_tokens: 20, total_tokens: 30, prompt_cache_hit_tokens: 4, prompt_cache_miss_tokens: 6, completion_tokens_details: { reasoning_tokens: 12 } } }))
      .toEqual({ inputTokens: 10, outputTokens: 20, totalTokens: 30, cachedTokens: 4, reasoningTokens: 12 });
  });
  it('503 under load is overloaded', () => expect(ds.classify(res(503, 'Server Overloaded'), ctx).kind).toBe('overloaded'));
});

describe('quirks follow the host when the name is custom', () => {
  const info: ProviderInfo = { name: 'fastllama', label: 'x', aliases: [], dialect: 'openai', baseUrl: 'https://api.groq.com/openai/v1', limitsPerModel: true };
  it('a provider named otherwise but pointing at api.groq.com reads Groq’s headers', () => {
    expect(limitsOf(adapterFor(info), { 'x-ratelimit-limit-requests': '1000' }, ctx)).toEqual({ requestsPerDay: { limit: 1000 } });
  });

  it('…and gets Groq’s sanitising rules', () => {
    expect(resolveProfile(info).identity).toBe('groq');
    expect(createAdapter(resolveProfile(info)).prepare('chat', { model: 'm', messages: [], logprobs: true }).changed).toContain('logprobs');
  });
});

describe("Gemini's OpenAI-compatible endpoint: errors in a JSON array", () => {
  const info: ProviderInfo = { name: 'gemini_openai', label: 'Gemini (OpenAI)', aliases: [], dialect: 'openai', baseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai', limitsPerModel: true };
  const compat = adapterFor(info);
  it('429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo', () => {
    const body = [{ error: { code: 429, message: 'You exceeded your current quota. Please retry in 26.3s.', status: 'RESOURCE_EXHAUSTED', details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests', quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier', quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' }, quotaValue: '10' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' },
    ] } }];
    expect(compat.classify(res(429, body), ctx)).toMatchObject({ kind: 'rate_limited', scope: 'model', retryAfterMs: 26_000, reason: 'requests per min' });
  });
  it('400 API_KEY_INVALID is the key', () => {
    const body = [{ error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
    ] } }];
    expect(compat.classify(res(400, body), ctx)).toMatchObject({ kind: 'auth_failed', reason: 'API_KEY_INVALID' });
  });
});
