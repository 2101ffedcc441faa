import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { Runtime } from '../../src/server/runtime.js';

let rt: Runtime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function runtime(env: Record<string, string>): Runtime {
  rt = new Runtime(loadConfig({ cwd: '/nonexistent-keymux-dir', env }));
  return rt;
}

describe('model resolution', () => {
  it('splits provider/model at the first slash, by canonical name or alias', () => {
    const r = runtime({ NVIDIA_NIM_API_KEY: 'nvapi-a', OPENAI_API_KEY: 'sk-a' });
    expect(r.resolve('nvidia_nim/meta/llama-3.1-8b-instruct')).toMatchObject({ provider: { name: 'nvidia_nim' }, model: 'meta/llama-3.1-8b-instruct' });
    expect(r.resolve('nvidia/meta/llama-3.1-8b-instruct')).toMatchObject({ provider: { name: 'nvidia_nim' }, model: 'meta/llama-3.1-8b-instruct' });
    expect(r.resolve('openai/gpt-4o')).toMatchObject({ provider: { name: 'openai' }, model: 'gpt-4o' });
  });

  it("keeps vendor/name model ids whole where the provider's ids are vendor/name", () => {
    const r = runtime({ NVIDIA_NIM_API_KEY: 'nvapi-a', OPENROUTER_API_KEY: 'sk-or-v1-a' });
    // NIM's own model nvidia/llama-3.1-nemotron-70b-instruct, typed with the alias as its "prefix".
    expect(r.resolve('nvidia/llama-3.1-nemotron-70b-instruct')).toMatchObject({ provider: { name: 'nvidia_nim' }, model: 'nvidia/llama-3.1-nemotron-70b-instruct' });
    expect(r.resolve('nvidia_nim/nvidia/llama-3.1-nemotron-70b-instruct')).toMatchObject({ model: 'nvidia/llama-3.1-nemotron-70b-instruct' });
    expect(r.resolve('openrouter/auto')).toMatchObject({ provider: { name: 'openrouter' }, model: 'openrouter/auto' });
    expect(r.resolve('openrouter/meta-llama/llama-3.1-8b-instruct:free')).toMatchObject({ model: 'meta-llama/llama-3.1-8b-instruct:free' });
  });

  it('takes a bare model when one provider (of the route’s dialect) is configured', () => {
    const r = runtime({ NVIDIA_NIM_API_KEY: 'nvapi-a', ANTHROPIC_API_KEY: 'sk-ant-a' });
    expect(r.resolve('claude-sonnet-4-5', 'anthropic')).toMatchObject({ provider: { name: 'anthropic' }, model: 'claude-sonnet-4-5' });
    expect(r.resolve('meta/llama-3.1-8b-instruct', 'openai')).toMatchObject({ provider: { name: 'nvidia_nim' }, model: 'meta/llama-3.1-8b-instruct' });
    const two = runtime({ NVIDIA_NIM_API_KEY: 'nvapi-a', GROQ_API_KEY: 'gsk-a' });
    expect(() => two.resolve('llama-3.1-8b', 'openai')).toThrow(/nvidia_nim, groq|groq, nvidia_nim/);
  });

  it('names the configured providers for an unknown model, and says when none is configured', () => {
    expect(() => runtime({ OPENAI_API_KEY: 'sk-a', GROQ_API_KEY: 'gsk-a' }).resolve('mistral/large')).toThrow(/provider\/model.*openai, groq/);
    expect(() => runtime({}).resolve('gpt-4o')).toThrow(/no provider is configured/);
  });
});
