// Claude Code's situation: the official @anthropic-ai/sdk talks to keymux, whose pool is an OpenAI-compatible
// provider (NVIDIA NIM, simulated). keymux translates Messages ⇄ chat.completions both ways, streams included.
import type Anthropic from '@anthropic-ai/sdk';
import { betaTool } from '@anthropic-ai/sdk/helpers/beta/json-schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicClient, startStack, upstream, type Stack } from './helpers.js';

const LLAMA = 'meta/llama-3.1-70b-instruct';
let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'nvapi-a': {}, 'nvapi-b': {} },
    sim: { flavor: 'nvidia_nim', models: [LLAMA, 'meta/llama-3.1-8b-instruct'] },
    env: (sim) => ({ NVIDIA_NIM_API_KEYS: 'nvapi-a,nvapi-b', NVIDIA_NIM_BASE_URL: `${sim}/v1` }),
    // The names Claude Code hard-codes, mapped onto NIM models.
    file: () => `modelMap:\n  claude-3-5-sonnet-latest: nvidia_nim/${LLAMA}\n  claude-3-5-haiku-latest: nvidia_nim/meta/llama-3.1-8b-instruct\n`,
  });
  client = anthropicClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

const chatBody = (i = 0): Record<string, any> => upstream(stack.sim, '/chat/completions')[i]?.body as Record<string, any>;

const weather: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } }, required: ['city'] },
};

describe('@anthropic-ai/sdk → keymux → OpenAI-compatible (NVIDIA NIM)', () => {
  it('messages.create: text, end_turn, usage; upstream got chat.completions with the system turn and max_tokens', async () => {
    const m = await client.messages.create({
      model: `nvidia_nim/${LLAMA}`,
      max_tokens: 256,
      system: 'You are terse.',
      messages: [{ role: 'user', content: 'hello nim' }],
    });
    expect(m.type).toBe('message');
    expect(m.role).toBe('assistant');
    expect(m.id).toMatch(/^msg_/);
    expect(m.content).toEqual([{ type: 'text', text: 'echo: hello nim' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const [r] = upstream(stack.sim, '/chat/completions');
    expect(r?.path).toBe('/v1/chat/completions');
    expect(r?.key).toMatch(/^nvapi-/);
    expect(r?.body).toMatchObject({
      model: LLAMA,
      max_tokens: 256,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hello nim' },
      ],
    });
  });

  it('a Claude model name routes through the config model map', async () => {
    const m = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 64, messages: [{ role: 'user', content: 'mapped' }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'echo: mapped' });
    // The client hears back the name it asked for, not the upstream model behind the map.
    expect(m.model).toBe('claude-3-5-sonnet-latest');
    const h = await client.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 64, messages: [{ role: 'user', content: 'small' }] });
    expect(h.content[0]).toMatchObject({ type: 'text', text: 'echo: small' });
    expect(upstream(stack.sim, '/chat/completions').map((r) => (r.body as { model: string }).model)).toEqual([LLAMA, 'meta/llama-3.1-8b-instruct']);
  });

  it('max_tokens reached → stop_reason max_tokens', async () => {
    const m = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 2, messages: [{ role: 'user', content: 'a long answer please' }] });
    expect(m.stop_reason).toBe('max_tokens');
  });

  it('messages.stream(): the Anthropic event sequence, the text, and the final usage and stop_reason', async () => {
    const s = client.messages.stream({ model: 'claude-3-5-sonnet-latest', max_tokens: 256, messages: [{ role: 'user', content: 'stream these words now' }] });
    const events: string[] = [];
    s.on('streamEvent', (e) => events.push(e.type === 'content_block_delta' ? `delta:${e.delta.type}` : e.type));
    let text = '';
    s.on('text', (t) => (text += t));
    const fin = await s.finalMessage();
    expect(text).toBe('echo: stream these words now');
    const deltas = events.filter((e) => e === 'delta:text_delta').length;
    expect(deltas).toBeGreaterThan(1);
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      ...Array<string>(deltas).fill('delta:text_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(fin.content).toEqual([{ type: 'text', text: 'echo: stream these words now' }]);
    expect(fin.model).toBe('claude-3-5-sonnet-latest');
    expect(fin.stop_reason).toBe('end_turn');
    expect(fin.usage.output_tokens).toBeGreaterThan(0);
    expect(fin.usage.input_tokens).toBeGreaterThan(0);
    // keymux asked NIM for a streamed answer with usage, which NIM only sends when asked.
    expect(chatBody()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('tool use round trip (non-stream): tool_use with parsed input → tool_result → final text', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'use tool get_weather for Paris' }];
    const first = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 256, tools: [weather], messages });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(use).toMatchObject({ name: 'get_weather', input: { city: 'use tool get_weather for Paris', days: 42 } });
    expect(use?.id).toBeTruthy();
    expect(chatBody(0).tools).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: weather.input_schema } },
    ]);

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: 'sunny, 21C' }] });
    const second = await client.messages.create({ model: 'claude-3-5-sonnet-latest', max_tokens: 256, tools: [weather], messages });
    expect(second.stop_reason).toBe('end_turn');
    expect(second.content).toEqual([{ type: 'text', text: 'echo: tool result: sunny, 21C' }]);
    // Upstream saw the call and its result the OpenAI way.
    const sent = chatBody(1).messages as Array<Record<string, any>>;
    expect(sent.at(-2)).toMatchObject({ role: 'assistant', tool_calls: [{ id: use!.id, type: 'function', function: { name: 'get_weather' } }] });
    expect(JSON.parse(sent.at(-2)!.tool_calls[0].function.arguments)).toEqual(use!.input);
    expect(sent.at(-1)).toEqual({ role: 'tool', tool_call_id: use!.id, content: 'sunny, 21C' });
  });

  it('tool use round trip (stream): input_json_delta assembled by the SDK into the tool input, then the final text', async () => {
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'please call the function get_weather' }];
    const s = client.messages.stream({ model: 'claude-3-5-sonnet-latest', max_tokens: 256, tools: [weather], messages });
    const jsonDeltas: string[] = [];
    s.on('streamEvent', (e) => {
      if (e.type === 'content_block_delta' && e.delta.type === 'input_json_delta') jsonDeltas.push(e.delta.partial_json);
    });
    const first = await s.finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    expect(jsonDeltas.length).toBeGreaterThan(1);
    const use = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(use?.input).toEqual({ city: 'please call the function get_weather', days: 42 });
    expect(JSON.parse(jsonDeltas.join(''))).toEqual(use?.input);

    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.id, content: [{ type: 'text', text: 'rain' }] }] });
    let text = '';
    const fin = await client.messages
      .stream({ model: 'claude-3-5-sonnet-latest', max_tokens: 256, tools: [weather], messages })
      .on('text', (t) => (text += t))
      .finalMessage();
    expect(text).toBe('echo: tool result: rain');
    expect(fin.stop_reason).toBe('end_turn');
  });

  it("the SDK's own tool loop (beta toolRunner, streamed) runs to the final answer", async () => {
    const seen: unknown[] = [];
    const tool = betaTool({
      name: 'get_weather',
      description: 'Weather for a city',
      inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      run: (args) => {
        seen.push(args);
        return `cloudy in ${args.city}`;
      },
    });
    const runner = client.beta.messages.toolRunner({
      model: 'claude-3-5-sonnet-latest',
      max_tokens: 256,
      stream: true,
      max_iterations: 3,
      tools: [tool],
      messages: [{ role: 'user', content: 'use tool get_weather' }],
    });
    const fin = await runner.runUntilDone();
    expect(seen).toEqual([{ city: 'use tool get_weather' }]);
    expect(fin.content).toEqual([{ type: 'text', text: 'echo: tool result: cloudy in use tool get_weather' }]);
    expect(upstream(stack.sim, '/chat/completions')).toHaveLength(2);
  });

  it('tool_choice any → OpenAI required; the forced call comes back as tool_use', async () => {
    const m = await client.messages.create({
      model: 'claude-3-5-sonnet-latest',
      max_tokens: 128,
      tools: [weather],
      tool_choice: { type: 'any' },
      messages: [{ role: 'user', content: 'Berlin' }],
    });
    expect(m.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Berlin' } });
    expect(chatBody().tool_choice).toBe('required');
  });

  it('messages.countTokens: estimated by keymux (OpenAI-compatible providers cannot count)', async () => {
    const { data, response } = await client.messages
      .countTokens({ model: 'claude-3-5-sonnet-latest', messages: [{ role: 'user', content: 'how many tokens is this sentence?' }] })
      .withResponse();
    expect(data.input_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-keymux-token-count')).toBe('estimate');
    expect(stack.sim.requests).toHaveLength(0);
  });

  it('models.list: NIM models in the Anthropic shape, and the mapped Claude names', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining([`nvidia_nim/${LLAMA}`, 'claude-3-5-sonnet-latest', 'claude-3-5-haiku-latest']));
  });

  it('what is dropped rather than refused (top_k, extended thinking) is said in x-keymux-warnings', async () => {
    const { data, response } = await client.messages
      .create({
        model: 'claude-3-5-sonnet-latest',
        max_tokens: 3000,
        top_k: 5, // no longer in the SDK's types, still sent by older clients
        thinking: { type: 'enabled', budget_tokens: 2048 },
        messages: [{ role: 'user', content: 'think' }],
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    expect(data.content[0]).toMatchObject({ type: 'text', text: 'echo: think' });
    const w = response.headers.get('x-keymux-warnings') ?? '';
    expect(w).toContain("dropped 'top_k'");
    expect(w).toContain('dropped extended thinking');
    expect(chatBody()).not.toHaveProperty('top_k');
    expect(chatBody()).not.toHaveProperty('reasoning_effort');
  });
});
