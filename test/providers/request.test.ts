import { describe, expect, it } from 'vitest';
import { UnsupportedRouteError, buildUpstreamRequest, findProvider, upstreamHeaders, upstreamUrl } from '../../src/providers/index.js';
import type { ProviderInfo } from '../../src/providers/index.js';

const p = (name: string): ProviderInfo => findProvider(name)!;

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

describe('upstreamHeaders', () => {
  it('auth per dialect, content-type when there is a body', () => {
    expect(upstreamHeaders(p('openai'), 'sk-test')).toEqual({ authorization: 'Bearer sk-test', 'content-type': 'application/json' });
    expect(upstreamHeaders(p('anthropic'), 'sk-ant-api03-x')).toEqual({ 'x-api-key': 'sk-ant-api03-x', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' });
    expect(upstreamHeaders(p('gemini'), 'AIzaX', { body: false })).toEqual({ 'x-goog-api-key': 'AIzaX' });
    expect(upstreamHeaders(p('azure_openai'), 'abc')).toEqual({ 'api-key': 'abc', 'content-type': 'application/json' });
  });
});

describe('buildUpstreamRequest', () => {
  it('URL and headers in one call; a streamed generateContent becomes SSE', () => {
    expect(buildUpstreamRequest(p('gemini'), { route: 'generateContent', model: 'gemini-2.5-flash', key: 'AIzaX', stream: true })).toEqual({
      url: 'https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
      headers: { 'x-goog-api-key': 'AIzaX', 'content-type': 'application/json' },
    });
    expect(buildUpstreamRequest(p('openai'), { route: 'models', model: '', key: 'sk-x', baseUrl: '' })).toEqual({
      url: 'https://api.openai.com/v1/models', headers: { authorization: 'Bearer sk-x' },
    });
  });

  it('Azure maps the model to its deployment', () => {
    const r = buildUpstreamRequest(p('azure_openai'), {
      route: 'chat', model: 'gpt-4o', key: 'k', baseUrl: 'https://r.openai.azure.com', apiVersion: '2025-01-01-preview', deployments: { 'gpt-4o': 'prod-4o' },
    });
    expect(r.url).toBe('https://r.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2025-01-01-preview');
    expect(r.headers).toEqual({ 'api-key': 'k', 'content-type': 'application/json' });
  });
});
