// The Responses API over chat-only providers with the official openai SDK, unmodified but for base URL and key:
// NVIDIA NIM (OpenAI chat only), Anthropic and Gemini. Plain, streamed, and a function-call round trip continued with
// previous_response_id from keymux's own response store.
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openaiClient, rejection, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;
let client: OpenAI;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'nvapi-a': {}, 'sk-ant-a': {}, 'AIza-a': {} },
    env: (sim) => ({
      NVIDIA_NIM_API_KEYS: 'nvapi-a',
      NVIDIA_NIM_BASE_URL: `${sim}/v1`,
      ANTHROPIC_API_KEYS: 'sk-ant-a',
      ANTHROPIC_BASE_URL: sim,
      GEMINI_API_KEYS: 'AIza-a',
      GEMINI_BASE_URL: sim,
    }),
  });
  client = openaiClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

const lookup: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'lookup',
  description: 'Look a word up',
  parameters: { type: 'object', properties: { word: { type: 'string' } }, required: ['word'] },
  strict: false,
};

const targets = [
  { name: 'NVIDIA NIM', model: 'nvidia_nim/meta/llama-3.1-8b-instruct', path: '/v1/chat/completions', messages: (b: any) => b.messages },
  { name: 'Anthropic', model: 'anthropic/claude-sonnet-4-6', path: '/v1/messages', messages: (b: any) => b.messages },
  { name: 'Gemini', model: 'gemini/gemini-2.5-flash', path: ':', messages: (b: any) => [b.systemInstruction, b.contents] },
];

function lastUp(path: string): Record<string, any> {
  const r = upstream(stack.sim, path).at(-1);
  if (!r) throw new Error(`the simulator saw no request at ${path}`);
  return r.body as Record<string, any>;
}

describe.each(targets)('openai SDK responses → keymux → $name (chat only)', (t) => {
  it('responses.create: output_text, usage, instructions as the system prompt', async () => {
    const r = await client.responses.create({ model: t.model, instructions: 'Answer briefly.', input: 'hi responses', max_output_tokens: 200 });
    expect(r.object).toBe('response');
    expect(r.id).toMatch(/^resp_/);
    expect(r.status).toBe('completed');
    expect(r.model).toBe(t.model);
    expect(r.output_text).toBe('echo: hi responses');
    expect(r.usage?.input_tokens).toBeGreaterThan(0);
    expect(r.usage?.output_tokens).toBeGreaterThan(0);
    expect(r.usage?.total_tokens).toBe(r.usage!.input_tokens + r.usage!.output_tokens);
    expect(upstream(stack.sim, '/responses')).toHaveLength(0);
    const up = lastUp(t.path);
    expect(JSON.stringify(up)).toContain('Answer briefly.');
  });

  it('responses.create({stream: true}): the response.* events, in order, with usage at the end', async () => {
    const stream = await client.responses.create({ model: t.model, input: 'streamed words here', stream: true });
    const types: string[] = [];
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const ev of stream) {
      types.push(ev.type);
      if (ev.type === 'response.output_text.delta') text += ev.delta;
      if (ev.type === 'response.completed') completed = ev.response;
    }
    expect(text).toBe('echo: streamed words here');
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(completed?.usage?.output_tokens).toBeGreaterThan(0);
    expect(completed?.output_text ?? (completed?.output[0] as any)?.content?.[0]?.text).toBe('echo: streamed words here');
  });

  it('responses.stream().finalResponse(): the SDK helper accumulates the events', async () => {
    const final = await client.responses.stream({ model: t.model, input: 'helper' }).finalResponse();
    expect(final.output_text).toBe('echo: helper');
    expect(final.status).toBe('completed');
  });

  it('a function-call round trip, continued with previous_response_id (stored by keymux)', async () => {
    const first = await client.responses.create({ model: t.model, input: 'please use a tool to look up cat', tools: [lookup] });
    const call = first.output.find((o): o is OpenAI.Responses.ResponseFunctionToolCall => o.type === 'function_call');
    expect(call?.name).toBe('lookup');
    expect(JSON.parse(call!.arguments)).toHaveProperty('word');
    const second = await client.responses.create({
      model: t.model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call!.call_id, output: 'a small feline' }],
      tools: [lookup],
    });
    expect(second.output_text).toContain('a small feline');
    expect(second.previous_response_id).toBe(first.id);
    // The provider saw the whole conversation: the user turn, the assistant's tool call, the tool's result.
    const up = JSON.stringify(t.messages(lastUp(t.path)));
    expect(up).toContain('please use a tool to look up cat');
    expect(up).toContain('lookup'); // the call (Gemini carries no call ids, so the name is what all three keep)
    expect(up).toContain('a small feline');
  });

  it('streamed function call: function_call_arguments.delta/.done, and the item in response.completed', async () => {
    const final = await client.responses.stream({ model: t.model, input: 'call the tool lookup now', tools: [lookup] }).finalResponse();
    const call = final.output.find((o) => o.type === 'function_call');
    expect(call).toMatchObject({ type: 'function_call', name: 'lookup', status: 'completed' });
    expect(JSON.parse((call as OpenAI.Responses.ResponseFunctionToolCall).arguments)).toHaveProperty('word');
  });
});

describe('Responses over chat: what is refused, dropped and forgotten', () => {
  const model = 'nvidia_nim/meta/llama-3.1-8b-instruct';

  it("a Codex CLI-shaped request (store: false, reasoning items sent back, include, prompt_cache_key): SSE with event: lines", async () => {
    const res = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer unused', 'openai-beta': 'responses=experimental' },
      body: JSON.stringify({
        model,
        instructions: 'You are a coding agent.',
        input: [
          { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'list files' }] },
          { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'opaque' },
          { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'shell', arguments: '{"command":["ls"]}' },
          { type: 'function_call_output', call_id: 'call_1', output: 'README.md' },
        ],
        tools: [{ type: 'function', name: 'shell', description: 'Runs a command', strict: false, parameters: { type: 'object', properties: { command: { type: 'array', items: { type: 'string' } } } } }],
        tool_choice: 'auto',
        parallel_tool_calls: false,
        reasoning: { effort: 'medium', summary: 'auto' },
        store: false,
        stream: true,
        include: ['reasoning.encrypted_content'],
        prompt_cache_key: 'session-1',
      }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    expect(res.headers.get('x-keymux-warnings')).toContain('reasoning input items dropped');
    const text = await res.text();
    const events = [...text.matchAll(/^event: (.+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('response.created');
    expect(events.at(-1)).toBe('response.completed');
    const last = JSON.parse(text.trim().split('\n').at(-1)!.slice('data: '.length));
    expect(last.response.output[0].content[0].text).toBe('echo: tool result: README.md');
    expect(last.response.usage.input_tokens_details).toEqual({ cached_tokens: 0 });
    const up = lastUp('/v1/chat/completions');
    expect(up.messages.map((m: any) => m.role)).toEqual(['system', 'user', 'assistant', 'tool']);
    expect(up).not.toHaveProperty('store');
  });

  it('a built-in tool is refused, naming it (KMX_ERR_UNTRANSLATABLE)', async () => {
    const err = await rejection(client.responses.create({ model, input: 'news?', tools: [{ type: 'web_search' }] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain("the built-in tool 'web_search'");
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('KMX_ERR_UNTRANSLATABLE');
  });

  it('drops are listed in x-keymux-warnings', async () => {
    const { response } = await client.responses
      .create({ model, input: 'hi', include: ['reasoning.encrypted_content'], prompt_cache_key: 'k' })
      .withResponse();
    const w = response.headers.get('x-keymux-warnings') ?? '';
    expect(w).toContain('include dropped');
    expect(w).toContain('prompt_cache_key dropped');
  });

  it('store: false keeps nothing: its id cannot be continued', async () => {
    const r = await client.responses.create({ model, input: 'forget me', store: false });
    const err = await rejection(client.responses.create({ model, input: 'again', previous_response_id: r.id }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('not found');
  });
});
