import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { HttpError } from '../../src/server/errors.js';
import { Runtime } from '../../src/server/runtime.js';

let rt: Runtime | undefined;
afterEach(async () => {
  await rt?.close();
  rt = undefined;
});

function runtime(env: Record<string, string>, file?: string): Runtime {
  const dir = file === undefined ? '/nonexistent-keymux-dir' : mkdtempSync(join(tmpdir(), 'keymux-resolve-'));
  if (file !== undefined) writeFileSync(join(dir, 'keymux.yaml'), file);
  rt = new Runtime(loadConfig({ cwd: dir, env }));
  return rt;
}

/** The HttpError resolve() throws (or a failed expectation when it throws none). */
function refusal(f: () => unknown): HttpError {
  try {
    f();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('resolve() did not refuse');
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

  it('a prefix that names no provider is a 404 where the provider’s ids never carry one (OpenAI, Anthropic, Gemini)', () => {
    const oa = runtime({ OPENAI_API_KEY: 'sk-a' });
    for (const model of ['opnai/gpt-4o', 'nosuch/x']) {
      const e = refusal(() => oa.resolve(model, 'openai'));
      expect(e.code, model).toBe('KMX_ERR_UNKNOWN_MODEL');
      expect(e.status).toBe(404);
      expect(e.message).toContain(`"${model.split('/')[0]}"`);
      expect(e.message).toContain('openai');
    }
    expect(refusal(() => runtime({ ANTHROPIC_API_KEY: 'sk-ant-a' }).resolve('nosuch/claude-sonnet-4-5', 'anthropic')).code).toBe('KMX_ERR_UNKNOWN_MODEL');
    const ge = runtime({ GEMINI_API_KEY: 'AIza-a' });
    expect(refusal(() => ge.resolve('nosuch/gemini-2.5-flash', 'gemini')).message).toContain('gemini');
    // Not prefixes: Gemini's own resource names.
    expect(ge.resolve('tunedModels/my-tuned-1', 'gemini')).toMatchObject({ provider: { name: 'gemini' }, model: 'tunedModels/my-tuned-1' });
    expect(ge.resolve('models/gemini-2.5-flash', 'gemini')).toMatchObject({ model: 'models/gemini-2.5-flash' });
    expect(ge.resolve('gemini/tunedModels/my-tuned-1')).toMatchObject({ model: 'tunedModels/my-tuned-1' });
  });

  it('vendor/model ids still go whole to the providers whose ids have them, to custom providers, and where listed', () => {
    expect(runtime({ TOGETHER_API_KEY: 'tg-a' }).resolve('meta-llama/Llama-3-8b-chat-hf', 'openai')).toMatchObject({
      provider: { name: 'together' },
      model: 'meta-llama/Llama-3-8b-chat-hf',
    });
    expect(runtime({ OPENROUTER_API_KEY: 'sk-or-v1-a' }).resolve('anthropic/claude-3.5-sonnet', 'openai')).toMatchObject({ model: 'anthropic/claude-3.5-sonnet' });
    // A custom server's ids are its own business (vLLM serves `meta-llama/Llama-3.1-8B-Instruct`).
    const custom = runtime({}, 'providers:\n  local-llm:\n    dialect: openai\n    baseUrl: http://127.0.0.1:9/v1\n    keys: [ none ]\n');
    expect(custom.resolve('meta-llama/Llama-3.1-8B-Instruct', 'openai')).toMatchObject({ provider: { name: 'local-llm' }, model: 'meta-llama/Llama-3.1-8B-Instruct' });
    // A model the configuration lists is the provider's, slash or not.
    const listed = runtime({}, 'providers:\n  openai:\n    keys: [ sk-a ]\n    models: [ gpt-4o, org/model-x ]\n');
    expect(listed.resolve('org/model-x', 'openai')).toMatchObject({ provider: { name: 'openai' }, model: 'org/model-x' });
  });

  it('ids with a slash of their own (Groq, Fireworks) go whole; the provider’s own prefix is still stripped', () => {
    const groq = runtime({ GROQ_API_KEY: 'gsk_a' });
    expect(groq.resolve('openai/gpt-oss-120b', 'openai')).toMatchObject({ provider: { name: 'groq' }, model: 'openai/gpt-oss-120b' });
    expect(groq.resolve('groq/openai/gpt-oss-120b', 'openai')).toMatchObject({ model: 'openai/gpt-oss-120b' });
    expect(groq.resolve('groq/llama-3.3-70b-versatile', 'openai')).toMatchObject({ model: 'llama-3.3-70b-versatile' });
    const fw = runtime({ FIREWORKS_API_KEY: 'fw_a' });
    expect(fw.resolve('accounts/fireworks/models/llama-v3p1-8b-instruct', 'openai')).toMatchObject({
      provider: { name: 'fireworks' },
      model: 'accounts/fireworks/models/llama-v3p1-8b-instruct',
    });
  });
});
