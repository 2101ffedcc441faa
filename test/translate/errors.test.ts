import { describe, expect, it } from 'vitest';
import {
  readUpstreamError, toAnthropicError, toGeminiError, toOpenAIError, translationErrorBody, TranslationError,
} from '../../src/translate/index.js';

const OPENAI_429 = {
  error: {
    message: 'Rate limit reached for gpt-4o on tokens per min (TPM): Limit 30000, Used 29000, Requested 1500. Please try again in 45.19s.',
    type: 'tokens', param: null, code: 'rate_limit_exceeded',
  },
};
const ANTHROPIC_529 = { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' };
const GEMINI_429 = {
  error: {
    code: 429, message: 'You exceeded your current quota, please check your plan and billing details.', status: 'RESOURCE_EXHAUSTED',
    details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '26s' }],
  },
};

describe('upstream error → Anthropic error', () => {
  it.each([
    [400, 'invalid_request_error'], [401, 'authentication_error'], [402, 'billing_error'], [403, 'permission_error'],
    [404, 'not_found_error'], [413, 'request_too_large'], [429, 'rate_limit_error'], [500, 'api_error'], [502, 'api_error'],
    [503, 'overloaded_error'], [504, 'timeout_error'], [529, 'overloaded_error'], [422, 'invalid_request_error'],
  ])('status %i → %s', (status, type) => {
    expect(toAnthropicError(status, { error: { message: 'boom', type: 'x', code: null } })).toEqual({ type: 'error', error: { type, message: 'boom' } });
  });

  it('keeps the OpenAI message verbatim', () => {
    expect(toAnthropicError(429, OPENAI_429)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: OPENAI_429.error.message } });
  });

  it.each([
    [{ status: 429, title: 'Too Many Requests' }, 'Too Many Requests'], // NVIDIA NIM problem+json
    [{ status: 403, title: 'Forbidden', detail: 'Authorization failed' }, 'Forbidden: Authorization failed'],
    [{ object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', code: '1300' }, 'Rate limit exceeded'], // Mistral
    [[GEMINI_429], GEMINI_429.error.message], // Gemini's OpenAI-compatible endpoint: an array
    ['upstream connect error', 'upstream connect error'],
    ['{"error":{"message":"as text"}}', 'as text'],
    [{ error: 'plain string error' }, 'plain string error'],
    ['', 'Upstream error (HTTP 502)'],
    [undefined, 'Upstream error (HTTP 502)'],
  ])('reads the message of %j', (body, message) => {
    expect(readUpstreamError(502, body).message).toBe(message);
  });
});

describe('upstream error → OpenAI error', () => {
  it('maps Anthropic errors, keeping their type as code', () => {
    expect(toOpenAIError(529, ANTHROPIC_529)).toEqual({ error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } });
    expect(toOpenAIError(401, { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } }))
      .toEqual({ error: { message: 'invalid x-api-key', type: 'authentication_error', param: null, code: 'authentication_error' } });
  });

  it('maps Gemini errors, keeping their status as code', () => {
    expect(toOpenAIError(429, GEMINI_429)).toEqual({ error: { message: GEMINI_429.error.message, type: 'rate_limit_error', param: null, code: 'RESOURCE_EXHAUSTED' } });
    expect(toOpenAIError(400, { error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT' } }))
      .toMatchObject({ error: { type: 'invalid_request_error', code: 'INVALID_ARGUMENT' } });
  });

  it('prefers an OpenAI-style string code', () => {
    expect(toOpenAIError(429, OPENAI_429).error.code).toBe('rate_limit_exceeded');
  });
});

describe('Gemini error shape and TranslationError bodies', () => {
  it('builds Google-style errors', () => {
    expect(toGeminiError(429, OPENAI_429)).toEqual({ error: { code: 429, message: OPENAI_429.error.message, status: 'RESOURCE_EXHAUSTED' } });
    expect(toGeminiError(503, ANTHROPIC_529)).toEqual({ error: { code: 503, message: 'Overloaded', status: 'UNAVAILABLE' } });
  });

  it("renders a TranslationError in each client's dialect", () => {
    const err = new TranslationError('KMX_ERR_UNTRANSLATABLE', 'keymux cannot translate n > 1 to the Anthropic Messages API', 'n > 1');
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(400);
    expect(translationErrorBody('openai', err)).toEqual({ error: { message: err.message, type: 'invalid_request_error', param: null, code: 'KMX_ERR_UNTRANSLATABLE' } });
    expect(translationErrorBody('anthropic', err)).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: err.message } });
    expect(translationErrorBody('gemini', err)).toEqual({ error: { code: 400, message: err.message, status: 'INVALID_ARGUMENT' } });
  });
});
