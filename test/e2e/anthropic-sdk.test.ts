// The official @anthropic-ai/sdk against keymux, whose Anthropic pool points at the simulator (same dialect).
import type Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicClient, keysSeen, startStack, upstream, type Stack } from './helpers.js';

let stack: Stack;
let client: Anthropic;

beforeAll(async () => {
  stack = await startStack({
    keys: { 'sk-ant-a': {}, 'sk-ant-b': {} },
    env: (sim) => ({ ANTHROPIC_API_KEYS: 'sk-ant-a,sk-ant-b', ANTHROPIC_BASE_URL: sim }),
  });
  client = anthropicClient(stack.url);
});
afterAll(() => stack.close());
beforeEach(() => stack.sim.reset());

const MODEL = 'anthropic/claude-sonnet-4-6';
const user = (content: string): Anthropic.MessageParam[] => [{ role: 'user', content }];

describe('@anthropic-ai/sdk → keymux → Anthropic (same dialect)', () => {
  it('messages.create: text, stop_reason, usage; the upstream sees the bare model and the client anthropic-version', async () => {
    const m = await client.messages.create({ model: MODEL, max_tokens: 100, system: 'be brief', messages: user('hi there') });
    expect(m.content).toEqual([{ type: 'text', text: 'echo: hi there' }]);
    expect(m.stop_reason).toBe('end_turn');
    expect(m.usage.input_tokens).toBeGreaterThan(0);
    expect(m.usage.output_tokens).toBeGreaterThan(0);
    const [r] = upstream(stack.sim, '/v1/messages');
    expect(r?.dialect).toBe('anthropic');
    expect(r?.body).toMatchObject({ model: 'claude-sonnet-4-6', system: 'be brief', max_tokens: 100 });
  });

  it('messages.stream(): the event sequence and the assembled final message', async () => {
    const s = client.messages.stream({ model: MODEL, max_tokens: 100, messages: user('a b c d') });
    const events: string[] = [];
    s.on('streamEvent', (e) => events.push(e.type));
    let text = '';
    s.on('text', (t) => (text += t));
    const fin = await s.finalMessage();
    expect(text).toBe('echo: a b c d');
    expect(fin.content).toEqual([{ type: 'text', text: 'echo: a b c d' }]);
    expect(fin.stop_reason).toBe('end_turn');
    expect(fin.usage.output_tokens).toBeGreaterThan(0);
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('content_block_delta');
  });

  it('messages.stream(): a tool_use block whose input the SDK assembles from input_json_delta', async () => {
    const fin = await client.messages
      .stream({
        model: MODEL,
        max_tokens: 200,
        tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } }],
        messages: user('use tool get_weather'),
      })
      .finalMessage();
    expect(fin.stop_reason).toBe('tool_use');
    expect(fin.content[0]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'use tool get_weather', days: 42 } });
  });

  it('messages.countTokens: answered by the provider', async () => {
    const c = await client.messages.countTokens({ model: MODEL, messages: user('count me please') });
    expect(c.input_tokens).toBeGreaterThan(0);
    expect(upstream(stack.sim, '/v1/messages/count_tokens')).toHaveLength(1);
  });

  it('models.list: the Anthropic shape, ids prefixed with the provider', async () => {
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m.type).toBe('model');
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['anthropic/claude-sonnet-4-6', 'anthropic/claude-haiku-4-5']));
  });

  it('models.retrieve: one model in the Anthropic shape', async () => {
    const m = await client.models.retrieve('anthropic/claude-haiku-4-5');
    expect(m).toMatchObject({ type: 'model', id: 'anthropic/claude-haiku-4-5' });
  });

  it('a bare model name resolves to the only Anthropic provider', async () => {
    const m = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 50, messages: user('bare') });
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'echo: bare' });
  });

  it('rotation: the simulator sees both keys over several requests', async () => {
    for (let i = 0; i < 4; i++) await client.messages.create({ model: MODEL, max_tokens: 20, messages: user(`n${i}`) });
    expect(keysSeen(stack.sim, (r) => r.path === '/v1/messages')).toEqual(['sk-ant-a', 'sk-ant-b']);
  });
});
