import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import type { Headers } from '../../src/providers/index.js';
import { groupOf, limitsOf, usageOf } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW, model: 'gpt-4o' };
const openai = adapterFor('openai');
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });

const TPM_429 = {
  error: {
    message:
      'Rate limit reached for gpt-4o in organization org-abc123 on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 45.19s. Visit https://platform.openai.com/account/rate-limits to learn more.',
    type: 'tokens',
    param: null,
    code: 'rate_limit_exceeded',
  },
};

describe('OpenAI success', () => {
  const headers = {
    'openai-organization': 'org-abc123',
    'x-request-id': 'req_7c1a',
    'x-ratelimit-limit-requests': '500',
    'x-ratelimit-remaining-requests': '499',
    'x-ratelimit-reset-requests': '120ms',
    'x-ratelimit-limit-tokens': '30000',
    'x-ratelimit-remaining-tokens': '28500',
    'x-ratelimit-reset-tokens': '3s',
  };

  it('reads chat usage (cached, reasoning), limits and the organization', () => {
    const body = {
      id: 'chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG',
      object: 'chat.completion',
      model: 'gpt-4o-2024-08-06',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500,
        prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 128, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      },
    };
    expect(openai.classify(res(200, body, headers), ctx)).toEqual({
      kind: 'ok', status: 200, group: 'org-abc123',
      usage: { inputTokens: 1200, outputTokens: 300, cachedTokens: 1024, reasoningTokens: 128, totalTokens: 1500 },
      limits: {
        requests: { limit: 500, remaining: 499, resetMs: 120 },
        tokens: { limit: 30000, remaining: 28500, resetMs: 3000 },
      },
    });
  });

  it('reads embeddings, legacy completions and Responses API usage', () => {
    expect(usageOf(openai, { object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } }))
      .toEqual({ inputTokens: 8, totalTokens: 8 });
    expect(usageOf(openai, { object: 'text_completion', usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 } }))
      .toEqual({ inputTokens: 5, outputTokens: 7, totalTokens: 12 });
    expect(usageOf(openai, {
      id: 'resp_67ccd2bed1ec8190', object: 'response', status: 'completed',
      usage: { input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 64 }, total_tokens: 123 },
    })).toEqual({ inputTokens: 36, outputTokens: 87, cachedTokens: 0, reasoningTokens: 64, totalTokens: 123 });
    // A 2xx that is not JSON is no success at all (invalid-json.test.ts).
    expect(openai.classify({ status: 200, headers: {}, body: 'not json' }, ctx).kind).toBe('server_error');
    expect(usageOf(openai, { choices: [] })).toBeUndefined();
  });

  it('parses Go-duration resets and keeps the tighter project token budget', () => {
    expect(limitsOf(openai, {
      'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6m0s',
      'x-ratelimit-limit-tokens': '2000000', 'x-ratelimit-remaining-tokens': '1999000', 'x-ratelimit-reset-tokens': '1h2m3.5s',
      'x-ratelimit-limit-project-tokens': '100000', 'x-ratelimit-remaining-project-tokens': '50000', 'x-ratelimit-reset-project-tokens': '51.189s',
    }, ctx)).toEqual({
      requests: { limit: 10000, remaining: 9999, resetMs: 360_000 },
      tokens: { limit: 100000, remaining: 50000, resetMs: 51_189 },
    });
    expect(limitsOf(openai, { 'content-type': 'application/json' }, ctx)).toBeUndefined();
  });

  it('names no group without the header', () => expect(groupOf(openai, {})).toBeUndefined());
});

describe('OpenAI 429s', () => {
  const headers = {
    'retry-after': '46', 'retry-after-ms': '45190', 'openai-organization': 'org-abc123',
    'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '45.19s',
  };

  it('a per-model TPM limit: rate_limited, model scope, retry-after-ms, reason', () => {
    const o = openai.classify(res(429, TPM_429, headers), ctx);
    expect(o).toMatchObject({ kind: 'rate_limited', status: 429, scope: 'model', retryAfterMs: 45_190, reason: 'tokens per min', group: 'org-abc123' });
    expect(o.kind === 'rate_limited' && o.limits?.tokens).toEqual({ limit: 30000, remaining: 0, resetMs: 45_190 });
  });

  it('falls back to the message text and the organization it names when headers are missing', () => {
    expect(openai.classify(res(429, TPM_429), { now: NOW })).toMatchObject({
      kind: 'rate_limited', retryAfterMs: 45_190, scope: 'model', group: 'org-abc123',
    });
  });

  it('a limit that names no model is the whole group', () => {
    const body = { error: { message: 'Rate limit exceeded.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
    expect(openai.classify(res(429, body, { 'retry-after': '2' }), { now: NOW })).toMatchObject({
      kind: 'rate_limited', scope: 'group', reason: 'requests per min', retryAfterMs: 2000,
    });
  });

  it('insufficient_quota as a 429 is quota, with no short retry', () => {
    const body = { error: {
      message: 'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
      type: 'insufficient_quota', param: null, code: 'insufficient_quota',
    } };
    const o = openai.classify(res(429, body, { 'retry-after': '1' }), ctx);
    expect(o).toEqual({ kind: 'quota_exhausted', status: 429, scope: 'group', reason: 'insufficient_quota' });
  });

  it.each(['credit_balance_exhausted', 'organization_spend_limit_exceeded', 'project_spend_limit_exceeded', 'organization_usage_limit_exceeded'])(
    'billing code %s is quota', (code) => {
      const o = openai.classify(res(429, { error: { message: 'billing', type: 'invalid_request_error', code } }), ctx);
      expect(o).toMatchObject({ kind: 'quota_exhausted', reason: code, scope: 'group' });
      expect('retryAfterMs' in o).toBe(false);
    });

  it('slow_down is the provider asking everyone to back off', () => {
    const body = { error: { message: 'Please reduce your rate of requests.', type: 'server_error', param: null, code: 'slow_down' } };
    expect(openai.classify(res(503, body, { 'retry-after': '10' }), ctx)).toMatchObject({ kind: 'overloaded', reason: 'slow_down', retryAfterMs: 10_000 });
    expect(openai.classify(res(429, body), ctx)).toMatchObject({ kind: 'overloaded', reason: 'slow_down' });
  });
});

describe('OpenAI errors', () => {
  it('401 invalid_api_key → auth_failed', () => {
    const body = { error: {
      message: 'Incorrect API key provided: sk-proj-********************************************cdXA. You can find your API key at https://platform.openai.com/account/api-keys.',
      type: 'invalid_request_error', param: null, code: 'invalid_api_key',
    } };
    expect(openai.classify(res(401, body), ctx)).toEqual({ kind: 'auth_failed', status: 401, reason: 'invalid_api_key' });
  });

  it.each<[string, number, unknown]>([
    ['403 unsupported_country_region_territory', 403, { error: { code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported', param: null, type: 'request_forbidden' } }],
    ['404 model_not_found', 404, { error: { message: 'The model `gpt-5-turbo` does not exist or you do not have access to it.', type: 'invalid_request_error', param: null, code: 'model_not_found' } }],
    ['400 context too long', 400, { error: { message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }],
    ['400 unknown parameter', 400, { error: { message: 'Unrecognized request argument supplied: foo', type: 'invalid_request_error', param: null, code: null } }],
    ['422', 422, { error: { message: 'Invalid schema', type: 'invalid_request_error', code: null } }],
    ['413', 413, 'Request Entity Too Large'],
  ])('%s → client_error (never the key’s fault)', (_name, status, body) => {
    expect(openai.classify(res(status, body), ctx).kind).toBe('client_error');
  });

  it('5xx: 500/502/504 server_error, 503 server_is_overloaded overloaded', () => {
    const e500 = { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } };
    expect(openai.classify(res(500, e500), ctx)).toMatchObject({ kind: 'server_error', status: 500 });
    expect(openai.classify(res(502, '<html>Bad Gateway</html>'), ctx).kind).toBe('server_error');
    expect(openai.classify(res(504, ''), ctx).kind).toBe('server_error');
    const e503 = { error: { message: 'The server is overloaded or not ready yet.', type: 'server_error', param: null, code: 'server_is_overloaded' } };
    expect(openai.classify(res(503, e503, { 'retry-after': '3' }), ctx)).toMatchObject({ kind: 'overloaded', retryAfterMs: 3000 });
  });

  it('x-should-retry decides between client and provider trouble', () => {
    expect(openai.classify(res(500, { error: { message: 'x', type: 'server_error' } }, { 'x-should-retry': 'false' }), ctx).kind).toBe('client_error');
    expect(openai.classify(res(400, { error: { message: 'x' } }, { 'x-should-retry': 'true' }), ctx).kind).toBe('server_error');
    // Key verdicts stand whatever the header says.
    expect(openai.classify(res(401, { error: { code: 'invalid_api_key', message: 'x' } }, { 'x-should-retry': 'true' }), ctx).kind).toBe('auth_failed');
  });

  it('408 and 409 are transient', () => {
    expect(openai.classify(res(408, ''), ctx).kind).toBe('server_error');
    expect(openai.classify(res(409, ''), ctx).kind).toBe('server_error');
  });
});
