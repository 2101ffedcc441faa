// Model addressing (provider/model split at the first slash, bare models, aliases, unknown ones) and the
// per-provider request sanitising.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { call, chatBody, openaiEnv, scratchDir, start, type Harness } from './helpers.js';

describe('model addressing with two providers', () => {
  let sim: Simulator;
  let h: Harness;
  const dir = scratchDir();
  beforeAll(async () => {
    sim = await startSimulator({ keys: { 'sk-oa': {}, 'nvapi-nim': {} } });
    const file = dir.write(
      'keymux.yaml',
      ['aliases:', '  fast: nvidia_nim/meta/llama-3.1-8b-instruct', '  smart: openai/gpt-4o', ''].join('\n'),
    );
    h = await start({
      sim,
      configPath: file,
      cwd: dir.dir,
      env: (s) => ({
        OPENAI_API_KEYS: 'sk-oa',
        OPENAI_BASE_URL: `${s.url}/v1`,
        NVIDIA_NIM_API_KEYS: 'nvapi-nim',
        NVIDIA_NIM_BASE_URL: `${s.url}/v1`,
      }),
    });
  });
  afterAll(async () => {
    await h.close();
    dir.remove();
  });

  test('provider/model splits at the first slash: the rest goes upstream as the model', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'nvidia_nim/meta/llama-3.1-8b-instruct' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('nvidia_nim');
    const rec = h.sim.requests.at(-1)!;
    expect(rec.key).toBe('nvapi-nim');
    expect(rec.model).toBe('meta/llama-3.1-8b-instruct');
  });

  test('a provider alias works as the prefix (nvidia/… → nvidia_nim)', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'nvidia/meta/llama-3.1-8b-instruct' }));
    expect(r.status).toBe(200);
    expect(h.sim.requests.at(-1)!).toMatchObject({ key: 'nvapi-nim', model: 'meta/llama-3.1-8b-instruct' });
  });

  test('aliases from the config resolve to provider/model', async () => {
    const fast = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'fast' }));
    expect(fast.status).toBe(200);
    expect(h.sim.requests.at(-1)!).toMatchObject({ key: 'nvapi-nim', model: 'meta/llama-3.1-8b-instruct' });
    const smart = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'smart' }));
    expect(smart.status).toBe(200);
    expect(h.sim.requests.at(-1)!).toMatchObject({ key: 'sk-oa', model: 'gpt-4o' });
  });

  test('GET /v1/models lists both providers and the aliases', async () => {
    const r = await call(h.url, '/v1/models');
    const ids: string[] = r.json.data.map((m: { id: string }) => m.id);
    expect(ids).toContain('openai/gpt-4o-mini');
    expect(ids).toContain('nvidia_nim/gpt-4o-mini');
    expect(ids).toContain('fast');
  });

  test('a bare model is ambiguous with two providers: 404 naming the configured providers', async () => {
    const n = h.sim.requests.length;
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'gpt-4o-mini' }));
    expect(r.status).toBe(404);
    expect(r.json.error.message).toContain('openai');
    expect(r.json.error.message).toContain('nvidia_nim');
    expect(r.json.error.code).toBe('KMX_ERR_UNKNOWN_MODEL');
    expect(h.sim.requests.length).toBe(n);
  });

  test('an unknown provider prefix: 404 naming the configured providers', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'nosuch/some-model' }));
    expect(r.status).toBe(404);
    expect(r.json.error.message).toMatch(/openai.*nvidia_nim|nvidia_nim.*openai/);
  });

  test('a missing model is a 400', async () => {
    const r = await call(h.url, '/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }] });
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain('model');
  });
});

describe('model addressing with one provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim: { keys: { 'sk-a': {} }, models: ['gpt-4o-mini', 'org/model-x'] }, env: openaiEnv('sk-a') });
  });
  afterAll(() => h.close());

  test('a bare model goes to the only provider', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(200);
    expect(h.sim.requests.at(-1)!.model).toBe('gpt-4o-mini');
  });

  test('a slash model whose head is no provider: 404 naming the provider, since OpenAI ids carry no vendor prefix', async () => {
    const n = h.sim.requests.length;
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'opnai/gpt-4o' }));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('KMX_ERR_UNKNOWN_MODEL');
    expect(r.json.error.message).toContain('openai');
    expect(h.sim.requests.length).toBe(n);
  });

  test('a model the provider does not know: its 404 passes through, not retried', async () => {
    const n = h.sim.requests.length;
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'openai/no-such-model' }));
    expect(r.status).toBe(404);
    expect(r.json.error.code).toBe('model_not_found');
    expect(h.sim.requests.length).toBe(n + 1);
  });
});

describe('model addressing with one custom provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'sk-a': {} }, models: ['org/model-x'] },
      env: (s) => ({ LOCAL_LLM_BASE_URL: `${s.url}/v1` }),
      file: 'providers:\n  local-llm:\n    dialect: openai\n    baseUrl: ${LOCAL_LLM_BASE_URL}\n    keys: [ sk-a ]\n',
    });
  });
  afterAll(() => h.close());

  test('a slash model whose head is no provider goes to it unchanged (its ids may have one)', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'org/model-x' }));
    expect(r.status).toBe(200);
    expect(h.sim.requests.at(-1)!.model).toBe('org/model-x');
  });
});

describe('per-provider request sanitising', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({
      sim: { keys: { 'nvapi-1': {} }, flavor: 'nvidia_nim' },
      env: (s) => ({ NVIDIA_NIM_API_KEYS: 'nvapi-1', NVIDIA_NIM_BASE_URL: `${s.url}/v1` }),
    });
  });
  afterAll(() => h.close());

  test('nvidia_nim receives max_tokens when the client sent max_completion_tokens', async () => {
    const r = await call(
      h.url,
      '/v1/chat/completions',
      chatBody('x', { model: 'nvidia_nim/meta/llama-3.1-8b-instruct', max_completion_tokens: 50, store: true }),
    );
    expect(r.status).toBe(200);
    const body = h.sim.requests.at(-1)!.body as Record<string, unknown>;
    expect(body.max_tokens).toBe(50);
    expect(body).not.toHaveProperty('max_completion_tokens');
    expect(body).not.toHaveProperty('store');
    expect(r.headers.get('x-keymux-warnings')).toContain('max_completion_tokens');
  });

  test('sanitising applies to streams too', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'meta/llama-3.1-8b-instruct', max_completion_tokens: 20, stream: true }));
    expect(r.status).toBe(200);
    const body = h.sim.requests.at(-1)!.body as Record<string, unknown>;
    expect(body.max_tokens).toBe(20);
    expect(body).not.toHaveProperty('max_completion_tokens');
    // keymux's own ask for usage goes through the rules with the client's fields.
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(r.headers.get('x-keymux-warnings')).toBe('adjusted for nvidia_nim: max_completion_tokens->max_tokens');
  });
});

describe('no provider configured', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ env: () => ({}) });
  });
  afterAll(() => h.close());

  test('/healthz is 200 but /readyz is 503', async () => {
    expect((await call(h.url, '/healthz')).status).toBe(200);
    const r = await call(h.url, '/readyz');
    expect(r.status).toBe(503);
    expect(r.json.reason).toContain('no usable');
  });

  test('a request says no provider is configured and how to add one', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x'));
    expect(r.status).toBe(404);
    expect(r.json.error.message).toMatch(/no provider is configured.*OPENAI_API_KEYS/);
    const m = await call(h.url, '/v1/models');
    expect(m.json.data).toEqual([]);
  });
});
