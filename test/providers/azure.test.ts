import { describe, expect, it } from 'vitest';
import { adapterFor, createAdapter, findProvider, resolveProfile } from '../../src/providers/index.js';
import { authHeaders, limitsOf } from './helpers.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const ctx = { now: NOW, model: 'gpt-4o' };
const azure = adapterFor('azure_openai');

describe('Azure OpenAI', () => {
  it('sends the key as api-key', () => {
    // The catalog entry has no endpoint, so no call can be built from it: the headers are the configured resource's.
    const configured = createAdapter(resolveProfile(findProvider('azure_openai')!, { baseUrl: 'https://my-res.openai.azure.com' }));
    expect(authHeaders(configured, '0123abcd')).toEqual({ 'api-key': '0123abcd' });
  });

  it('429: retry-after(-ms) and a deployment (model) scope', () => {
    const body = { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 6 seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.' } };
    expect(azure.classify({ status: 429, headers: { 'retry-after': '6', 'retry-after-ms': '5800', 'x-ratelimit-remaining-tokens': '0' }, body }, ctx))
      .toMatchObject({ kind: 'rate_limited', retryAfterMs: 5800, scope: 'model', reason: 'tokens per min' });
    // Only the text: "Please retry after 6 seconds".
    expect(azure.classify({ status: 429, headers: {}, body }, ctx)).toMatchObject({ retryAfterMs: 6000 });
    const calls = { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier.' } };
    expect(azure.classify({ status: 429, headers: { 'retry-after': '1' }, body: calls }, ctx)).toMatchObject({ reason: 'requests per min' });
  });

  it('reads x-ratelimit-remaining-requests|tokens', () => {
    expect(limitsOf(azure, { 'x-ratelimit-remaining-requests': '119', 'x-ratelimit-remaining-tokens': '119000' }, ctx))
      .toEqual({ requests: { remaining: 119 }, tokens: { remaining: 119000 } });
  });

  it('401 wrong key, 404 missing deployment, 400 content filter', () => {
    const denied = { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.' } };
    expect(azure.classify({ status: 401, headers: {}, body: denied }, ctx).kind).toBe('auth_failed');
    const missing = { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } };
    expect(azure.classify({ status: 404, headers: {}, body: missing }, ctx).kind).toBe('client_error');
    const filtered = { error: { message: "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.", type: null, param: 'prompt', code: 'content_filter', status: 400 } };
    expect(azure.classify({ status: 400, headers: {}, body: filtered }, ctx).kind).toBe('client_error');
  });
});
