// Errors as the official SDKs see them: a dead key is keymux's business (retried, invisible); a pool with no key
// left is a 429 that says why; a request that cannot be translated is a 400 that names the feature.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { anthropicClient, geminiClient, openaiClient, rejection, startStack, type Stack } from './helpers.js';

describe('a revoked key among good ones', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      keys: {
        ...{ 'sk-good-1': {}, 'sk-dead': { revoked: true }, 'sk-good-2': {}, 'nvapi-dead': { revoked: true }, 'nvapi-good': {} },
        ...{ 'sk-ant-dead': { revoked: true }, 'sk-ant-good': {}, 'AIza-dead': { revoked: true }, 'AIza-good': {} },
      },
      env: (sim) => ({
        ANTHROPIC_API_KEYS: 'sk-ant-dead,sk-ant-good',
        ANTHROPIC_BASE_URL: sim,
        GEMINI_API_KEYS: 'AIza-dead,AIza-good',
        GEMINI_BASE_URL: sim,
        OPENAI_API_KEYS: 'sk-dead,sk-good-1,sk-good-2',
        OPENAI_BASE_URL: `${sim}/v1`,
        NVIDIA_NIM_API_KEYS: 'nvapi-dead,nvapi-good',
        NVIDIA_NIM_BASE_URL: `${sim}/v1`,
      }),
    });
  });
  afterAll(() => stack.close());

  it('openai SDK (maxRetries 0): every request succeeds; the dead key is tried once, then left out', async () => {
    const client = openaiClient(stack.url);
    const attempts: string[] = [];
    for (let i = 0; i < 6; i++) {
      const { data, response } = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `q${i}` }] }).withResponse();
      expect(data.choices[0]?.message.content).toBe(`echo: q${i}`);
      attempts.push(response.headers.get('x-keymux-attempts') ?? '');
    }
    const counts = stack.sim.countsByKey((r) => r.path === '/v1/chat/completions');
    expect(counts['sk-dead']).toBe(1);
    expect(stack.sim.requests.find((r) => r.key === 'sk-dead')?.status).toBe(401);
    expect(attempts.filter((a) => a === '2')).toHaveLength(1);
    expect(stack.server.runtime.providers.get('openai')!.pool.snapshot().keys.filter((k) => k.status === 'disabled')).toHaveLength(1);
  });

  it('anthropic SDK over a translated pool: the same, invisible to the client', async () => {
    const client = anthropicClient(stack.url);
    for (let i = 0; i < 3; i++) {
      const m = await client.messages.create({ model: 'nvidia_nim/meta/llama-3.1-8b-instruct', max_tokens: 50, messages: [{ role: 'user', content: `a${i}` }] });
      expect(m.content[0]).toMatchObject({ type: 'text', text: `echo: a${i}` });
    }
    expect(stack.sim.countsByKey()['nvapi-dead']).toBe(1);
  });

  it('anthropic SDK (same dialect, 401 upstream) and @google/genai (400 API_KEY_INVALID upstream): invisible too', async () => {
    const a = anthropicClient(stack.url);
    const g = geminiClient(stack.url);
    for (let i = 0; i < 3; i++) {
      const m = await a.messages.create({ model: 'anthropic/claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: `b${i}` }] });
      expect(m.content[0]).toMatchObject({ type: 'text', text: `echo: b${i}` });
      const r = await g.models.generateContent({ model: 'gemini-2.5-flash', contents: `c${i}` });
      expect(r.text).toBe(`echo: c${i}`);
    }
    const counts = stack.sim.countsByKey();
    expect([counts['sk-ant-dead'], counts['AIza-dead']]).toEqual([1, 1]);
    expect(stack.sim.requests.find((r) => r.key === 'AIza-dead')?.status).toBe(400);
  });
});

describe('every key rate-limited', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      keys: {
        ...{ 'sk-r1': { rpm: 1 }, 'sk-r2': { rpm: 1 }, 'nvapi-r1': { rpm: 1 }, 'nvapi-r2': { rpm: 1 } },
        ...{ 'sk-ant-r1': { rpm: 1 }, 'AIza-r1': { rpm: 1 }, 'AIza-r2': { rpm: 1 } },
      },
      env: (sim) => ({
        GEMINI_API_KEYS: 'AIza-r1,AIza-r2',
        GEMINI_BASE_URL: sim,
        OPENAI_API_KEYS: 'sk-r1,sk-r2',
        OPENAI_BASE_URL: `${sim}/v1`,
        NVIDIA_NIM_API_KEYS: 'nvapi-r1,nvapi-r2',
        NVIDIA_NIM_BASE_URL: `${sim}/v1`,
        ANTHROPIC_API_KEYS: 'sk-ant-r1',
        ANTHROPIC_BASE_URL: sim,
      }),
      // NIM sends no rate-limit headers: keys are found out by their 429s (which carry no Retry-After either).
      sim: { flavor: 'nvidia_nim' },
      // A 429 without Retry-After cools a key for a minute; a request waits for a key no longer than 200ms.
      file: () => 'queue:\n  timeoutMs: 200\ncooldown:\n  defaultMs: 60s\n',
    });
  });
  afterAll(() => stack.close());

  it('openai SDK: RateLimitError (429) with Retry-After and a message that says why', async () => {
    const client = openaiClient(stack.url);
    const ask = () => client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    await ask();
    const err = await rejection(ask());
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    const e = err as InstanceType<typeof OpenAI.RateLimitError>;
    expect(e.status).toBe(429);
    expect(e.message).toMatch(/^429 openai: no key can take the request: every key is cooling down after rate limits; retry in \d+s$/);
    expect(Number(e.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('anthropic SDK over NIM (translated): RateLimitError with an Anthropic-shaped body', async () => {
    const client = anthropicClient(stack.url);
    const ask = () => client.messages.create({ model: 'nvidia_nim/meta/llama-3.1-8b-instruct', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    await ask();
    const err = await rejection(ask());
    expect(err).toBeInstanceOf(Anthropic.RateLimitError);
    const e = err as InstanceType<typeof Anthropic.RateLimitError>;
    expect(e.status).toBe(429);
    expect((e.error as { type?: string; error?: { type?: string } }).error?.type).toBe('rate_limit_error');
    expect(e.message).toContain('every key is cooling down after rate limits');
    // Both keys did answer 429 upstream; the client saw none of those, only keymux's verdict.
    expect(stack.sim.countsByKey((r) => r.status === 429 && r.key?.startsWith('nvapi-') === true)).toEqual({ 'nvapi-r1': 1, 'nvapi-r2': 1 });
  });

  it('@google/genai: a 429 ApiError with RESOURCE_EXHAUSTED and the reason', async () => {
    const g = geminiClient(stack.url);
    const ask = () => g.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    await ask();
    await ask();
    const err = (await rejection(ask())) as { status?: number; message: string };
    expect(err.status).toBe(429);
    expect(err.message).toContain('RESOURCE_EXHAUSTED');
    expect(err.message).toContain('gemini: no key can take the request: every key is cooling down after rate limits');
  });

  it('openai SDK over Anthropic (translated): the 429 arrives as an OpenAI RateLimitError', async () => {
    const client = openaiClient(stack.url);
    const ask = () => client.chat.completions.create({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    const err = await rejection(ask());
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as Error).message).toMatch(/rate limit|cooling|budget/i);
  });
});

describe('a request keymux cannot translate', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      keys: { 'sk-ant': {}, 'AIza': {}, 'nvapi': {} },
      env: (sim) => ({
        ANTHROPIC_API_KEYS: 'sk-ant',
        ANTHROPIC_BASE_URL: sim,
        GEMINI_API_KEYS: 'AIza',
        GEMINI_BASE_URL: sim,
        NVIDIA_NIM_API_KEYS: 'nvapi',
        NVIDIA_NIM_BASE_URL: `${sim}/v1`,
      }),
    });
  });
  afterAll(() => stack.close());
  // Nothing untranslatable may reach a provider, nor cost a key anything.
  afterEach(() => {
    const posted = stack.sim.requests.filter((r) => r.method === 'POST').map((r) => r.path);
    stack.sim.reset();
    expect(posted).toEqual([]);
  });

  it('openai SDK, n: 2 to Anthropic → BadRequestError naming the feature', async () => {
    const err = await rejection(
      openaiClient(stack.url).chat.completions.create({ model: 'anthropic/claude-sonnet-4-6', n: 2, messages: [{ role: 'user', content: 'hi' }] }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.code).toBe('KMX_ERR_UNTRANSLATABLE');
    expect(e.message).toContain('n > 1');
  });

  it('openai SDK, web_search_options to Gemini → BadRequestError naming the feature', async () => {
    const err = await rejection(
      openaiClient(stack.url).chat.completions.create({
        model: 'gemini/gemini-2.5-flash',
        web_search_options: {},
        messages: [{ role: 'user', content: 'news?' }],
      }),
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('keymux cannot translate web_search_options to the');
  });

  it('openai SDK, embeddings and a built-in Responses tool on an Anthropic model → BadRequestError naming the feature', async () => {
    const c = openaiClient(stack.url);
    const e1 = await rejection(c.embeddings.create({ model: 'anthropic/claude-sonnet-4-6', input: 'x' }));
    expect(e1).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e1 as Error).message).toContain('/v1/chat/completions');
    // Responses translate to Anthropic (translate-responses.test.ts); OpenAI's hosted tools do not.
    const e2 = await rejection(c.responses.create({ model: 'anthropic/claude-sonnet-4-6', input: 'x', tools: [{ type: 'web_search' }] }));
    expect(e2).toBeInstanceOf(OpenAI.BadRequestError);
    expect((e2 as Error).message).toContain("the built-in tool 'web_search'");
  });

  it('anthropic SDK, a server tool (web search) over NIM → BadRequestError with an Anthropic error body', async () => {
    const err = await rejection(
      anthropicClient(stack.url).messages.create({
        model: 'nvidia_nim/meta/llama-3.1-8b-instruct',
        max_tokens: 50,
        tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 1 }],
        messages: [{ role: 'user', content: 'news?' }],
      }),
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect((e.error as { error?: { type?: string } }).error?.type).toBe('invalid_request_error');
    expect(e.message).toContain("Anthropic-defined tool 'web_search_20250305'");
  });

  it('anthropic SDK, the MCP connector over NIM → BadRequestError', async () => {
    const err = await rejection(
      anthropicClient(stack.url).beta.messages.create({
        model: 'nvidia_nim/meta/llama-3.1-8b-instruct',
        max_tokens: 50,
        betas: ['mcp-client-2025-04-04'],
        mcp_servers: [{ type: 'url', url: 'https://mcp.example.com/sse', name: 'example' }],
        messages: [{ role: 'user', content: 'hi' }],
      }),
    );
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('mcp_servers');
  });

  // #15: a Gemini client is translated to other providers now; what cannot be carried is refused by name.
  it('@google/genai against a non-Gemini provider, with a tool only Gemini has → 400 with a Gemini error status', async () => {
    const err = (await rejection(
      geminiClient(stack.url).models.generateContent({ model: 'nvidia_nim/meta/llama-3.1-8b-instruct', contents: 'hi', config: { tools: [{ codeExecution: {} }] } }),
    )) as { status?: number; message: string };
    expect(err.status).toBe(400);
    expect(err.message).toContain('INVALID_ARGUMENT');
    expect(err.message).toContain("Gemini tool 'codeExecution'");
  });
});
