// The official SDKs must accept what the simulator says: the best check that it talks like the providers.
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from './server.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { ok: {}, limited: { rpm: 1 }, gone: { revoked: true } } });
});
afterAll(() => sim.close());

describe('openai SDK', () => {
  const client = (key: string): OpenAI => new OpenAI({ apiKey: key, baseURL: `${sim.url}/v1`, maxRetries: 0 });

  it('chat, stream with usage, tool call, embeddings, responses', async () => {
    const c = await client('ok').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.choices[0]?.message.content).toBe('echo: hi');
    const stream = await client('ok').chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'a b c' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const ch of stream) {
      text += ch.choices[0]?.delta.content ?? '';
      if (ch.usage) usage = ch.usage;
    }
    expect(text).toBe('echo: a b c');
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const runner = client('ok').chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'use tool' }],
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { x: { type: 'string' } } } } }],
    });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ x: 'use tool' });
    const e = await client('ok').embeddings.create({ model: 'text-embedding-3-small', input: 'x', dimensions: 4 });
    expect(e.data[0]?.embedding).toHaveLength(4);
    const r = await client('ok').responses.create({ model: 'gpt-4o', input: 'yo' });
    expect(r.output_text).toBe('echo: yo');
    const rs = client('ok').responses.stream({ model: 'gpt-4o', input: 'yo yo' });
    expect((await rs.finalResponse()).output_text).toBe('echo: yo yo');
  });

  it('errors map to the SDK error classes', async () => {
    await expect(client('gone').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await client('limited').chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
    const err = await client('limited')
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect((err as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
  });
});

describe('anthropic SDK', () => {
  const client = (key: string): Anthropic => new Anthropic({ apiKey: key, baseURL: sim.url, maxRetries: 0 });

  it('messages, stream accumulation, tool use, count tokens', async () => {
    const m = await client('ok').messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'echo: hi' });
    const s = client('ok').messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'a b c' }] });
    const fin = await s.finalMessage();
    expect(fin.content[0]).toMatchObject({ type: 'text', text: 'echo: a b c' });
    expect(fin.usage.output_tokens).toBeGreaterThan(0);
    const t = await client('ok')
      .messages.stream({
        model: 'claude-sonnet-4-6',
        max_tokens: 100,
        tool_choice: { type: 'any' },
        tools: [{ name: 'f', input_schema: { type: 'object', properties: { n: { type: 'number' } } } }],
        messages: [{ role: 'user', content: 'go' }],
      })
      .finalMessage();
    expect(t.content[0]).toMatchObject({ type: 'tool_use', name: 'f', input: { n: 42 } });
    const c = await client('ok').messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'hi' }] });
    expect(c.input_tokens).toBeGreaterThan(0);
  });

  it('errors map to the SDK error classes', async () => {
    const body = { model: 'claude-sonnet-4-6', max_tokens: 10, messages: [{ role: 'user' as const, content: 'x' }] };
    await expect(client('gone').messages.create(body)).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    sim.setKey('limited', { rpm: 1 });
    await client('limited').messages.create(body);
    await expect(client('limited').messages.create(body)).rejects.toBeInstanceOf(Anthropic.RateLimitError);
  });
});

describe('@google/genai SDK', () => {
  const client = (key: string): GoogleGenAI =>
    new GoogleGenAI({ apiKey: key, httpOptions: { baseUrl: sim.url, retryOptions: { attempts: 1 } } });

  it('generateContent, stream, countTokens, embedContent', async () => {
    const r = await client('ok').models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(r.text).toBe('echo: hi');
    let text = '';
    let total: number | undefined;
    for await (const ch of await client('ok').models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'a b c' })) {
      text += ch.text ?? '';
      total = ch.usageMetadata?.totalTokenCount ?? total;
    }
    expect(text).toBe('echo: a b c');
    expect(total).toBeGreaterThan(0);
    const c = await client('ok').models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' });
    expect(c.totalTokens).toBeGreaterThan(0);
    const e = await client('ok').models.embedContent({ model: 'text-embedding-004', contents: 'x' });
    expect(e.embeddings?.[0]?.values).toHaveLength(64);
  });

  it('errors carry the status', async () => {
    const err = await client('gone')
      .models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })
      .then(
        () => ({ status: 200, message: '' }),
        (e: unknown) => e as { status?: number; message: string },
      );
    expect(err.status).toBe(400);
    expect(err.message).toContain('API_KEY_INVALID');
  });
});
