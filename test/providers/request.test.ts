import { describe, expect, it } from 'vitest';
import { UnsupportedRouteError, adapterFor, createAdapter, findProvider, resolveProfile, upstreamUrl } from '../../src/providers/index.js';
import type { ProfileSettings, ProviderProfile, RouteKind } from '../../src/providers/index.js';

/** A catalog provider's profile with its default settings: the endpoint upstreamUrl takes. */
const p = (name: string, s?: ProfileSettings): ProviderProfile => resolveProfile(findProvider(name)!, s);

/** URL and headers of one call, the way the server builds it: through the configured provider's adapter. */
function build(name: string, route: RouteKind, o: { model: string; key: string; stream?: boolean; body?: string }, s?: ProfileSettings) {
  const call = createAdapter(p(name, s)).call(route, { model: o.model, stream: o.stream, body: o.body });
  return { url: call.url.href, method: call.method, headers: call.headers(o.key) };
}

describe('upstreamUrl', () => {
  it('OpenAI-compatible bases keep their version path', () => {
    expect(upstreamUrl(p('openai'), 'chat')).toBe('https://api.openai.com/v1/chat/completions');
    expect(upstreamUrl(p('openai'), 'responses')).toBe('https://api.openai.com/v1/responses');
    expect(upstreamUrl(p('groq'), 'chat')).toBe('https://api.groq.com/openai/v1/chat/completions');
    expect(upstreamUrl(p('nvidia_nim'), 'models')).toBe('https://integrate.api.nvidia.com/v1/models');
    expect(upstreamUrl(p('openrouter'), 'embeddings')).toBe('https://openrouter.ai/api/v1/embeddings');
    expect(upstreamUrl(p('mistral'), 'completions')).toBe('https://api.mistral.ai/v1/completions');
  });

  it('a base override (a simulator) replaces the default, trailing slash or not', () => {
    expect(upstreamUrl(p('openai'), 'chat', 'gpt-4o', { baseUrl: 'http://127.0.0.1:4010/v1/' })).toBe('http://127.0.0.1:4010/v1/chat/completions');
    expect(upstreamUrl(p('anthropic'), 'messages', '', { baseUrl: 'http://127.0.0.1:4011' })).toBe('http://127.0.0.1:4011/v1/messages');
  });

  it('Anthropic routes', () => {
    expect(upstreamUrl(p('anthropic'), 'messages')).toBe('https://api.anthropic.com/v1/messages');
    expect(upstreamUrl(p('anthropic'), 'count_tokens')).toBe('https://api.anthropic.com/v1/messages/count_tokens');
    expect(upstreamUrl(p('anthropic'), 'models', '', { baseUrl: 'https://api.anthropic.com/v1' })).toBe('https://api.anthropic.com/v1/models');
  });

  it('Gemini routes; streaming asks for SSE', () => {
    const g = p('gemini');
    expect(upstreamUrl(g, 'generateContent', 'gemini-2.5-flash')).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent');
    expect(upstreamUrl(g, 'streamGenerateContent', 'models/gemini-2.5-flash')).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse');
    expect(upstreamUrl(g, 'countTokens', 'gemini-2.5-pro')).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-pro:countTokens');
    expect(upstreamUrl(g, 'embedContent', 'gemini-embedding-001')).toBe('https://generativelanguage.googleapis.com/v1beta/models/gemini-embedding-001:embedContent');
    expect(upstreamUrl(g, 'models')).toBe('https://generativelanguage.googleapis.com/v1beta/models');
    expect(upstreamUrl(g, 'generateContent', 'gemini-2.5-flash', { baseUrl: 'http://127.0.0.1:4012/v1' })).toBe('http://127.0.0.1:4012/v1/models/gemini-2.5-flash:generateContent');
  });

  it('Azure: deployment path and api-version; the v1 API takes OpenAI paths', () => {
    const az = p('azure_openai');
    expect(upstreamUrl(az, 'chat', 'gpt-4o', { baseUrl: 'https://my-res.openai.azure.com' }))
      .toBe('https://my-res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(upstreamUrl(az, 'embeddings', 'emb', { baseUrl: 'https://my-res.openai.azure.com/', deployment: 'emb-prod', apiVersion: '2025-04-01-preview' }))
      .toBe('https://my-res.openai.azure.com/openai/deployments/emb-prod/embeddings?api-version=2025-04-01-preview');
    expect(upstreamUrl(az, 'chat', 'gpt-4o', { baseUrl: 'https://my-res.openai.azure.com/openai/v1' }))
      .toBe('https://my-res.openai.azure.com/openai/v1/chat/completions');
  });

  it('refuses routes a dialect lacks, and Azure without an endpoint', () => {
    expect(() => upstreamUrl(p('anthropic'), 'chat')).toThrow(UnsupportedRouteError);
    expect(() => upstreamUrl(p('gemini'), 'messages')).toThrow(UnsupportedRouteError);
    expect(() => upstreamUrl(p('azure_openai'), 'chat', 'gpt-4o')).toThrow(/no base URL/);
  });
});

describe('call headers', () => {
  it('auth per dialect, content-type when there is a body', () => {
    const headers = (name: string, route: RouteKind, key: string, s?: ProfileSettings) => build(name, route, { model: 'm', key, body: '{}' }, s).headers;
    expect(headers('openai', 'chat', 'sk-test')).toEqual({ authorization: 'Bearer sk-test', 'content-type': 'application/json' });
    expect(headers('anthropic', 'messages', 'sk-ant-api03-x')).toEqual({ 'x-api-key': 'sk-ant-api03-x', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
    expect(adapterFor('gemini').call('models', { model: '' }).headers('AIzaX')).toEqual({ 'x-goog-api-key': 'AIzaX' });
    expect(headers('azure_openai', 'chat', 'abc', { baseUrl: 'https://r.openai.azure.com' })).toEqual({ 'api-key': 'abc', 'content-type': 'application/json' });
  });
});

describe('adapter.call', () => {
  it('URL and headers in one call; a streamed generateContent becomes SSE', () => {
    expect(build('gemini', 'generateContent', { model: 'gemini-2.5-flash', key: 'AIzaX', stream: true, body: '{}' })).toEqual({
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      method: 'POST',
      headers: { 'x-goog-api-key': 'AIzaX', 'content-type': 'application/json' },
    });
    // An empty base URL setting keeps the catalog's.
    expect(build('openai', 'models', { model: '', key: 'sk-x' }, { baseUrl: '' })).toEqual({
      url: 'https://api.openai.com/v1/models', method: 'GET', headers: { authorization: 'Bearer sk-x' },
    });
  });

  it('Azure maps the model to its deployment', () => {
    const r = build('azure_openai', 'chat', { model: 'gpt-4o', key: 'k', body: '{}' }, {
      baseUrl: 'https://r.openai.azure.com', apiVersion: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod-4o' },
    });
    expect(r.url).toBe('https://r.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2025-01-01-preview');
    expect(r.headers).toEqual({ 'api-key': 'k', 'content-type': 'application/json' });
  });

  it('one adapter keeps each route and model its own URL, call after call; a missing route throws every time', () => {
    const gemini = createAdapter(p('gemini'));
    const url = (route: RouteKind, model: string, stream = false) => gemini.call(route, { model, stream, body: '{}' }).url.href;
    const root = 'https://generativelanguage.googleapis.com/v1beta/models';
    for (let i = 0; i < 3; i++) {
      expect(url('generateContent', 'gemini-2.5-flash')).toBe(`${root}/gemini-2.5-flash:generateContent`);
      expect(url('generateContent', 'gemini-2.5-pro')).toBe(`${root}/gemini-2.5-pro:generateContent`);
      expect(url('generateContent', 'gemini-2.5-pro', true)).toBe(`${root}/gemini-2.5-pro:streamGenerateContent?alt=sse`);
      expect(url('countTokens', 'gemini-2.5-pro')).toBe(`${root}/gemini-2.5-pro:countTokens`);
      expect(() => gemini.call('messages', { model: 'gemini-2.5-pro' })).toThrow(UnsupportedRouteError);
    }
    // Another profile of the same provider (a reload, another base URL) is not served the first one's URLs.
    const local = createAdapter(p('gemini', { baseUrl: 'http://127.0.0.1:4012/v1' }));
    expect(local.call('generateContent', { model: 'gemini-2.5-pro', body: '{}' }).url.href).toBe('http://127.0.0.1:4012/v1/models/gemini-2.5-pro:generateContent');
    // Model ids that would break out of their path segment are still refused, however often they are asked for.
    for (let i = 0; i < 2; i++) expect(() => url('generateContent', '../x')).toThrow();
  });
});
