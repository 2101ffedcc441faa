// The official openai SDK against keymux, whose pools speak other dialects: Anthropic Messages and native Gemini.
// keymux translates chat.completions ⇄ each of them, streams and tool calls included.
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiClient, startStack, type Stack } from './helpers.js';

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'sk-ant-a': {}, 'sk-ant-b': {}, 'AIza-a': {}, 'AIza-b': {} },
    env: (sim) => ({
      ANTHROPIC_API_KEYS: 'sk-ant-a,sk-ant-b',
      ANTHROPIC_BASE_URL: sim,
      GEMINI_API_KEYS: 'AIza-a,AIza-b',
      GEMINI_BASE_URL: sim,
    }),
  });
  client = openaiClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

interface Target {
  name: string;
  model: string;
  /** The upstream path a (non-)streamed chat must arrive at. */
  path: (stream: boolean) => string;
  /** The system prompt, where the upstream dialect puts it. */
  system: (body: Record<string, any>) => unknown;
  /** The tool result text, where the upstream dialect puts it in the last turn. */
  toolResult: (body: Record<string, any>) => unknown;
}

const targets: Target[] = [
  {
    name: 'Anthropic',
    model: 'anthropic/claude-sonnet-4-6',
    path: () => '/v1/messages',
    system: (b) => b.system,
    toolResult: (b) => b.messages.at(-1).content,
  },
  {
    name: 'Gemini',
    model: 'gemini/gemini-2.5-flash',
    path: (s) => `/v1beta/models/gemini-2.5-flash:${s ? 'streamGenerateContent' : 'generateContent'}`,
    system: (b) => b.systemInstruction,
    toolResult: (b) => b.contents.at(-1).parts,
  },
];

const lookup: OpenAI.ChatCompletionTool = {
  type: 'function',
  function: { name: 'lookup', description: 'Look a word up', parameters: { type: 'object', properties: { word: { type: 'string' }, limit: { type: 'integer' } }, required: ['word'] } },
};

function last(): { path: string; body: Record<string, any>; key: string | undefined } {
  const r = stack.sim.requests.at(-1);
  if (!r) throw new Error('the simulator saw no request');
  return { path: r.path, body: r.body as Record<string, any>, key: r.key };
}

describe.each(targets)('openai SDK → keymux → $name', (t) => {
  it('chat.completions.create: text, finish_reason, usage; upstream got its own dialect', async () => {
    const c = await client.chat.completions.create({
      model: t.model,
      messages: [
        { role: 'system', content: 'Answer briefly.' },
        { role: 'user', content: 'translate me' },
      ],
      max_tokens: 300,
    });
    expect(c.object).toBe('chat.completion');
    expect(c.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'echo: translate me' });
    expect(c.choices[0]?.finish_reason).toBe('stop');
    expect(c.usage?.prompt_tokens).toBeGreaterThan(0);
    expect(c.usage?.completion_tokens).toBeGreaterThan(0);
    expect(c.usage?.total_tokens).toBe(c.usage!.prompt_tokens + c.usage!.completion_tokens);
    const up = last();
    expect(up.path).toBe(t.path(false));
    expect(JSON.stringify(t.system(up.body))).toContain('Answer briefly.');
    expect(up.body.messages?.some((m: { role: string }) => m.role === 'system') ?? false).toBe(false);
  });

  it('chat stream with include_usage: deltas add up, finish_reason stop, one usage chunk at the end', async () => {
    const stream = await client.chat.completions.create({
      model: t.model,
      messages: [{ role: 'user', content: 'stream it to me' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let finish: string | null | undefined;
    const usages: OpenAI.CompletionUsage[] = [];
    for await (const ch of stream) {
      expect(ch.object).toBe('chat.completion.chunk');
      text += ch.choices[0]?.delta.content ?? '';
      finish = ch.choices[0]?.finish_reason ?? finish;
      if (ch.usage) usages.push(ch.usage);
    }
    expect(text).toBe('echo: stream it to me');
    expect(finish).toBe('stop');
    expect(usages).toHaveLength(1);
    expect(usages[0]!.completion_tokens).toBeGreaterThan(0);
    expect(last().path).toBe(t.path(true));
  });

  it('chat stream without stream_options: no usage chunk', async () => {
    const stream = await client.chat.completions.create({ model: t.model, messages: [{ role: 'user', content: 'quiet' }], stream: true });
    let text = '';
    let usage = false;
    for await (const ch of stream) {
      text += ch.choices[0]?.delta.content ?? '';
      if (ch.usage) usage = true;
    }
    expect(text).toBe('echo: quiet');
    expect(usage).toBe(false);
  });

  it('tool call round trip (non-stream): tool_calls with JSON arguments → tool result → final answer', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'use tool lookup on "keymux"' }];
    const first = await client.chat.completions.create({ model: t.model, messages, tools: [lookup] });
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.id).toBeTruthy();
    expect(call.function.name).toBe('lookup');
    expect(JSON.parse(call.function.arguments)).toEqual({ word: 'use tool lookup on "keymux"', limit: 42 });

    messages.push(first.choices[0]!.message);
    messages.push({ role: 'tool', tool_call_id: call.id, content: 'a key multiplexer' });
    const second = await client.chat.completions.create({ model: t.model, messages, tools: [lookup] });
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('a key multiplexer');
    expect(JSON.stringify(t.toolResult(last().body))).toContain('a key multiplexer');
  });

  it('tool call round trip (stream): the SDK assembles the streamed call, the result goes back, the answer streams', async () => {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'call the function lookup' }];
    const first = await client.chat.completions.stream({ model: t.model, messages, tools: [lookup] }).finalChatCompletion();
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    if (call?.type !== 'function') throw new Error('expected a function tool call');
    expect(call.function.name).toBe('lookup');
    expect(JSON.parse(call.function.arguments)).toEqual({ word: 'call the function lookup', limit: 42 });
    expect(last().path).toBe(t.path(true));

    messages.push({ role: 'assistant', content: null, tool_calls: [call] });
    messages.push({ role: 'tool', tool_call_id: call.id, content: '{"meaning":"multiplexer"}' });
    const second = await client.chat.completions.stream({ model: t.model, messages, tools: [lookup] }).finalChatCompletion();
    expect(second.choices[0]?.finish_reason).toBe('stop');
    expect(second.choices[0]?.message.content).toContain('multiplexer');
  });

  it("the SDK's own tool loop (runTools, streamed) runs to the final answer", async () => {
    const seen: unknown[] = [];
    const runner = client.chat.completions.runTools({
      model: t.model,
      stream: true,
      messages: [{ role: 'user', content: 'use tool lookup' }],
      tools: [
        {
          type: 'function',
          function: {
            name: 'lookup',
            description: 'Look a word up',
            parameters: { type: 'object', properties: { word: { type: 'string' } } },
            parse: (s: string) => JSON.parse(s) as { word: string },
            function: (args: { word: string }) => {
              seen.push(args);
              return `meaning of ${args.word}`;
            },
          },
        },
      ],
    });
    expect(await runner.finalContent()).toContain('meaning of use tool lookup');
    expect(seen).toEqual([{ word: 'use tool lookup' }]);
  });

  it('tool_choice required forces a call', async () => {
    const c = await client.chat.completions.create({ model: t.model, messages: [{ role: 'user', content: 'cat' }], tools: [lookup], tool_choice: 'required' });
    const call = c.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toMatchObject({ word: 'cat' });
  });
});

describe('what the upstream receives', () => {
  it('Anthropic: max_tokens defaulted, tools as input_schema, the tool result as a tool_result block', async () => {
    const first = await client.chat.completions.create({ model: 'anthropic/claude-sonnet-4-6', messages: [{ role: 'user', content: 'use tool lookup' }], tools: [lookup] });
    let up = last();
    expect(up.body).toMatchObject({ model: 'claude-sonnet-4-6', max_tokens: expect.any(Number), tools: [{ name: 'lookup', input_schema: lookup.function.parameters }] });
    const call = first.choices[0]!.message.tool_calls![0]!;
    await client.chat.completions.create({
      model: 'anthropic/claude-sonnet-4-6',
      messages: [{ role: 'user', content: 'use tool lookup' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'found' }],
      tools: [lookup],
    });
    up = last();
    expect(up.body.messages.at(-2)).toMatchObject({ role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'lookup' }] });
    expect(up.body.messages.at(-1)).toMatchObject({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id }] });
  });

  it('Gemini: function declarations, a functionCall turn and a functionResponse named after the call', async () => {
    const first = await client.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'use tool lookup' }], tools: [lookup] });
    let up = last();
    expect(up.key).toMatch(/^AIza-/);
    expect(up.body.tools[0].functionDeclarations[0]).toMatchObject({ name: 'lookup' });
    const call = first.choices[0]!.message.tool_calls![0]!;
    await client.chat.completions.create({
      model: 'gemini/gemini-2.5-flash',
      messages: [{ role: 'user', content: 'use tool lookup' }, first.choices[0]!.message, { role: 'tool', tool_call_id: call.id, content: 'found' }],
      tools: [lookup],
    });
    up = last();
    expect(up.body.contents.at(-2)).toMatchObject({ role: 'model', parts: [{ functionCall: { name: 'lookup' } }] });
    expect(up.body.contents.at(-1).parts[0].functionResponse).toMatchObject({ name: 'lookup' });
  });

  it('what is dropped rather than refused is said in x-keymux-warnings', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: 'anthropic/claude-sonnet-4-6', seed: 7, logit_bias: { '50256': -100 }, temperature: 1.5, messages: [{ role: 'user', content: 'w' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: w');
    const w = response.headers.get('x-keymux-warnings') ?? '';
    expect(w).toContain("dropped 'seed'");
    expect(w).toContain("dropped 'logit_bias'");
    expect(w).toContain('temperature 1.5 clamped to 1');
    expect(last().body).toMatchObject({ temperature: 1 });
    expect(last().body.seed).toBeUndefined();

    const g = await client.chat.completions
      .create({ model: 'gemini/gemini-2.5-flash', parallel_tool_calls: false, tools: [lookup], messages: [{ role: 'user', content: 'w' }] })
      .withResponse();
    expect(g.response.headers.get('x-keymux-warnings')).toContain("dropped 'parallel_tool_calls: false'");
  });
});
