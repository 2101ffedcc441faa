import { describe, expect, it } from 'vitest';
import { SANITIZE_RULES, adapterFor, createAdapter, findProvider, resolveProfile } from '../../src/providers/index.js';
import type { ProviderAdapter } from '../../src/providers/index.js';

/** A provider's adapter: from the catalog by name or alias, else a custom one keymux knows nothing about. */
const adapter = (name: string): ProviderAdapter =>
  findProvider(name)
    ? adapterFor(name)
    : createAdapter(resolveProfile({ name, label: 'x', aliases: [], dialect: 'openai', baseUrl: 'https://example.invalid/v1', limitsPerModel: false }));

/** A chat body as the provider's adapter prepares it. */
function sanitizeBody(name: string, body: object): { body: Record<string, unknown>; changed: string[] } {
  const r = adapter(name).prepare('chat', body);
  return { body: r.body as Record<string, unknown>, changed: r.changed };
}

const chat = {
  model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', name: 'alice', content: 'hi' }],
  max_completion_tokens: 256, stream: true, stream_options: { include_usage: true }, store: false, metadata: { a: '1' },
  service_tier: 'auto', user: 'u-1', seed: 7, logprobs: true, top_logprobs: 2, logit_bias: { '50256': -100 }, parallel_tool_calls: false,
};

describe('prepare: chat bodies', () => {
  it('every table entry names a catalog provider and cites a source', () => {
    for (const [name, rules] of Object.entries(SANITIZE_RULES)) {
      expect(findProvider(name)?.name).toBe(name);
      for (const r of rules) expect(r.source.length).toBeGreaterThan(5);
    }
  });

  it('Mistral: renames max_completion_tokens and seed, drops what it forbids', () => {
    const { body, changed } = sanitizeBody('mistral', chat);
    expect(body['max_tokens']).toBe(256);
    expect(body['random_seed']).toBe(7);
    for (const k of ['max_completion_tokens', 'seed', 'stream_options', 'store', 'metadata', 'service_tier', 'user']) expect(body).not.toHaveProperty(k);
    expect(body['logprobs']).toBe(true); // semantic parameters are not silently dropped
    expect(changed).toEqual(['max_completion_tokens→max_tokens', 'seed→random_seed', 'stream_options', 'store', 'metadata', 'service_tier', 'user']);
  });

  it('NVIDIA NIM (by alias): max_tokens and no OpenAI-platform fields', () => {
    const { body, changed } = sanitizeBody('nvidia', chat);
    expect(body['max_tokens']).toBe(256);
    expect(changed).toEqual(['max_completion_tokens→max_tokens', 'store', 'metadata', 'service_tier']);
    expect(body['stream_options']).toEqual({ include_usage: true });
  });

  it('an explicit max_tokens wins over the renamed value', () => {
    const { body, changed } = sanitizeBody('deepseek', { model: 'deepseek-chat', max_tokens: 100, max_completion_tokens: 999 });
    expect(body).toEqual({ model: 'deepseek-chat', max_tokens: 100 });
    expect(changed).toEqual(['max_completion_tokens→max_tokens']);
  });

  it('Groq: drops logprobs, top_logprobs, logit_bias and messages[].name; leaves n alone', () => {
    const { body, changed } = sanitizeBody('groq', { ...chat, n: 2 });
    expect(changed).toEqual(['logprobs', 'top_logprobs', 'logit_bias', 'messages[].name']);
    expect(body['messages']).toEqual([{ role: 'system', content: 's' }, { role: 'user', content: 'hi' }]);
    expect(body['n']).toBe(2);
    expect(body['max_completion_tokens']).toBe(256);
  });

  it('Cerebras: drops the fields it rejects', () => {
    expect(sanitizeBody('cerebras', chat).changed).toEqual(['logit_bias', 'parallel_tool_calls', 'service_tier']);
  });

  it('never mutates its input, and leaves other providers alone', () => {
    const before = structuredClone(chat);
    sanitizeBody('groq', chat);
    sanitizeBody('mistral', chat);
    expect(chat).toEqual(before);
    for (const name of ['openai', 'openrouter', 'together', 'unknown-provider']) {
      const r = sanitizeBody(name, chat);
      expect(r.changed).toEqual([]);
      expect(r.body).toEqual(chat);
      // An unchanged body is returned as is (nothing downstream mutates it).
      expect(r.body).toBe(chat);
    }
  });

  it('only chat bodies are sanitised', () => {
    expect(adapter('groq').prepare('completions', { model: 'm', prompt: 'p', logprobs: 2 })).toEqual({ body: { model: 'm', prompt: 'p', logprobs: 2 }, changed: [] });
  });

  it('sanitizes() says where prepare() may change a body: a provider with rules, on chat only', () => {
    for (const name of Object.keys(SANITIZE_RULES)) {
      expect(adapter(name).sanitizes('chat')).toBe(true);
      expect(adapter(name).sanitizes('completions')).toBe(false);
      expect(adapter(name).sanitizes('embeddings')).toBe(false);
    }
    for (const name of ['openai', 'openrouter', 'together', 'unknown-provider']) expect(adapter(name).sanitizes('chat')).toBe(false);
    // Where it says no, prepare() returns every body as it is.
    for (const name of ['openai', 'unknown-provider']) expect(adapter(name).prepare('chat', chat).body).toBe(chat);
  });

  it('a body without the parameters is unchanged', () => {
    expect(sanitizeBody('mistral', { model: 'm', messages: [] })).toEqual({ body: { model: 'm', messages: [] }, changed: [] });
  });
});
