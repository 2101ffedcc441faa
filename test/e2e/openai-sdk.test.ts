// The official openai SDK against keymux, whose OpenAI pool points at the simulator (same dialect: pass-through).
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keysSeen, openaiClient, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'sk-one': {}, 'sk-two': {}, 'sk-three': {} },
    env: (sim) => ({ OPENAI_API_KEYS: 'sk-one,sk-two,sk-three', OPENAI_BASE_URL: `${sim}/v1` }),
  });
  client = openaiClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

const MODEL = 'openai/gpt-4o-mini';

describe('openai SDK → keymux → OpenAI (same dialect)', () => {
  it('chat.completions.create: the reply, the usage, and the upstream model without its provider prefix', async () => {
    const c = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hello there' }] });
    expect(c.choices[0]?.message.content).toBe('echo: hello there');
    expect(c.choices[0]?.finish_reason).toBe('stop');
    expect(c.usage?.total_tokens).toBeGreaterThan(0);
    const [r] = upstream(stack.sim, '/chat/completions');
    expect(r?.path).toBe('/v1/chat/completions');
    expect((r?.body as { model: string }).model).toBe('gpt-4o-mini');
  });

  it('chat stream with stream_options.include_usage: text chunks, then the usage chunk', async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'one two three four' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null | undefined;
    let chunks = 0;
    for await (const ch of stream) {
      chunks++;
      text += ch.choices[0]?.delta.content ?? '';
      finish = ch.choices[0]?.finish_reason ?? finish;
      if (ch.usage) {
        expect(ch.choices).toEqual([]);
        usage = ch.usage;
      }
    }
    expect(text).toBe('echo: one two three four');
    expect(finish).toBe('stop');
    expect(chunks).toBeGreaterThan(2);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('chat stream without stream_options: keymux asks upstream for usage but the client sees no usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a b c' }], stream: true });
    let text = '';
    let sawUsage = false;
    let emptyChoices = 0;
    for await (const ch of stream) {
      text += ch.choices[0]?.delta.content ?? '';
      if (ch.usage) sawUsage = true;
      if (ch.choices.length === 0) emptyChoices++;
    }
    expect(text).toBe('echo: a b c');
    expect(sawUsage).toBe(false);
    expect(emptyChoices).toBe(0);
    // Upstream was asked for usage all the same, so the pool learns the tokens spent.
    const [r] = upstream(stack.sim, '/chat/completions');
    expect((r?.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
  });

  it('chat.completions.stream helper: a tool call with JSON arguments', async () => {
    const final = await client.chat.completions
      .stream({
        model: MODEL,
        messages: [{ role: 'user', content: 'please use tool lookup' }],
        tools: [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      })
      .finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : undefined).toEqual({ q: 'please use tool lookup' });
  });

  it('models.list: every upstream model, prefixed with its provider', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['openai/gpt-4o-mini', 'openai/gpt-4o', 'openai/text-embedding-3-small']));
    expect(ids.every((id) => id.startsWith('openai/'))).toBe(true);
  });

  it('models.retrieve: one model by its provider/model id; an unknown one is a 404', async () => {
    const m = await client.models.retrieve('openai/gpt-4o');
    expect(m).toMatchObject({ id: 'openai/gpt-4o', object: 'model', owned_by: 'openai' });
    await expect(client.models.retrieve('openai/no-such-model')).rejects.toMatchObject({ status: 404 });
  });

  it('embeddings.create: float vectors of the asked dimensions, and base64 (the SDK default) decoded by the SDK', async () => {
    const e = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['alpha', 'beta'], dimensions: 8, encoding_format: 'float' });
    expect(e.data).toHaveLength(2);
    expect(e.data[0]?.embedding).toHaveLength(8);
    expect(e.usage.prompt_tokens).toBeGreaterThan(0);
    const b = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'alpha', dimensions: 8 });
    expect(b.data[0]?.embedding).toHaveLength(8);
    expect(b.data[0]?.embedding[0]).toBeCloseTo(e.data[0]!.embedding[0]!, 5);
    expect(upstream(stack.sim, '/embeddings').map((r) => r.path)).toEqual(['/v1/embeddings', '/v1/embeddings']);
  });

  it('responses.create, non-stream and stream', async () => {
    const r = await client.responses.create({ model: 'openai/gpt-4o', input: 'hi responses' });
    expect(r.output_text).toBe('echo: hi responses');
    expect(r.usage?.output_tokens).toBeGreaterThan(0);

    const events: string[] = [];
    let text = '';
    const stream = await client.responses.create({ model: 'openai/gpt-4o', input: 'streamed words here', stream: true });
    for await (const ev of stream) {
      events.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
    }
    expect(text).toBe('echo: streamed words here');
    expect(events[0]).toBe('response.created');
    expect(events.at(-1)).toBe('response.completed');

    const final = await client.responses.stream({ model: 'openai/gpt-4o', input: 'helper' }).finalResponse();
    expect(final.output_text).toBe('echo: helper');
    expect(upstream(stack.sim, '/responses').every((q) => (q.body as { model: string }).model === 'gpt-4o')).toBe(true);
  });

  it('rotation: several requests are spread over more than one key', async () => {
    for (let i = 0; i < 6; i++) {
      await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: `n${i}` }] });
    }
    expect(keysSeen(stack.sim).length).toBeGreaterThan(1);
  });

  it('the response names the provider and the key id used, never the secret', async () => {
    const { response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'x' }] }).withResponse();
    expect(response.headers.get('x-keymux-provider')).toBe('openai');
    const keyId = response.headers.get('x-keymux-key') ?? '';
    expect(keyId).not.toBe('');
    expect(keyId).not.toMatch(/sk-(one|two|three)/);
  });
});
