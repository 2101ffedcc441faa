import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { keysSeen, startCli, upstream, type CliProcess } from './helpers.js';

/**
 * The README's "Claude Code on free keys", as written: keymux started with NVIDIA NIM keys and the keymux.yaml
 * of the README, and a client configured from exactly the environment Claude Code reads (ANTHROPIC_BASE_URL,
 * ANTHROPIC_AUTH_TOKEN, ANTHROPIC_MODEL, ANTHROPIC_DEFAULT_HAIKU_MODEL), sending requests shaped like Claude
 * Code's: the beta endpoint, cached system blocks and tools, metadata, thinking, streaming.
 */

// README: keymux side
const KEYMUX_YAML = `# keymux.yaml: Claude Code's built-in model names, for when it sends them anyway
aliases:
  claude-sonnet-4-5: nvidia_nim/moonshotai/kimi-k2-instruct
  claude-3-5-haiku-latest: nvidia_nim/meta/llama-3.1-8b-instruct
`;
const KEYMUX_ENV = { NVIDIA_NIM_API_KEYS: 'nvapi-one,nvapi-two,nvapi-three', KEYMUX_PROXY_KEYS: 'my-local-secret' };
// README: Claude Code side (the base URL is the test's keymux)
const CLAUDE_ENV = {
  ANTHROPIC_AUTH_TOKEN: 'my-local-secret',
  ANTHROPIC_MODEL: 'nvidia_nim/moonshotai/kimi-k2-instruct',
  ANTHROPIC_DEFAULT_HAIKU_MODEL: 'nvidia_nim/meta/llama-3.1-8b-instruct',
};

let sim: Simulator;
let cli: CliProcess;
let claude: Anthropic;

beforeAll(async () => {
  sim = await startSimulator({ flavor: 'nvidia_nim', keys: { 'nvapi-one': {}, 'nvapi-two': {}, 'nvapi-three': {} } });
  const dir = mkdtempSync(join(tmpdir(), 'keymux-claude-code-'));
  writeFileSync(join(dir, 'keymux.yaml'), KEYMUX_YAML);
  cli = await startCli({ ...KEYMUX_ENV, NVIDIA_NIM_BASE_URL: `${sim.url}/v1` }, dir, ['--host', '127.0.0.1']);
  // What Claude Code does with ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN.
  claude = new Anthropic({ baseURL: cli.url, authToken: CLAUDE_ENV.ANTHROPIC_AUTH_TOKEN, apiKey: null, maxRetries: 0 });
});

afterAll(async () => {
  expect(await cli.stop()).toBe(0);
  await sim.close();
});

const bash: Anthropic.Beta.BetaTool = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  cache_control: { type: 'ephemeral' },
};
const system: Anthropic.Beta.BetaTextBlockParam[] = [
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
];

describe('Claude Code on free keys (README)', () => {
  it('a streamed turn on the main model, shaped like Claude Code’s, comes back as a correct Anthropic stream', async () => {
    const stream = claude.beta.messages.stream({
      model: CLAUDE_ENV.ANTHROPIC_MODEL,
      max_tokens: 32000,
      betas: ['claude-code-20250219', 'interleaved-thinking-2025-05-14'],
      system,
      tools: [bash],
      metadata: { user_id: 'user_abc_account_def_session_1' },
      thinking: { type: 'enabled', budget_tokens: 4000 },
      messages: [{ role: 'user', content: [{ type: 'text', text: 'say hello', cache_control: { type: 'ephemeral' } }] }],
    });
    const final = await stream.finalMessage();
    expect(final.content.at(-1)).toMatchObject({ type: 'text', text: 'echo: say hello' });
    expect(final.stop_reason).toBe('end_turn');
    expect(final.usage.output_tokens).toBeGreaterThan(0);
    const sent = upstream(sim, '/chat/completions').at(-1)!;
    expect(sent.body).toMatchObject({ model: 'moonshotai/kimi-k2-instruct', stream: true, messages: [{ role: 'system' }, { role: 'user' }] });
  });

  it('a tool call and its result, as Claude Code runs Bash', async () => {
    const first = await claude.beta.messages.create({
      model: CLAUDE_ENV.ANTHROPIC_MODEL,
      max_tokens: 1024,
      system,
      tools: [bash],
      messages: [{ role: 'user', content: 'please use tool Bash to list files' }],
    });
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(first.stop_reason).toBe('tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'Bash' });
    const second = await claude.beta.messages.create({
      model: CLAUDE_ENV.ANTHROPIC_MODEL,
      max_tokens: 1024,
      system,
      tools: [bash],
      messages: [
        { role: 'user', content: 'please use tool Bash to list files' },
        { role: 'assistant', content: first.content as Anthropic.Beta.BetaContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: 'README.md\npackage.json' }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text' });
  });

  it('the small fast model, and Claude’s own model names through the keymux.yaml aliases', async () => {
    const quick = await claude.messages.create({ model: CLAUDE_ENV.ANTHROPIC_DEFAULT_HAIKU_MODEL, max_tokens: 50, messages: [{ role: 'user', content: 'title' }] });
    expect(quick.content[0]).toMatchObject({ type: 'text', text: 'echo: title' });
    const named = await claude.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 50, messages: [{ role: 'user', content: 'named' }] });
    expect(named.model).toBe('claude-3-5-haiku-latest');
    const models = upstream(sim, '/chat/completions').slice(-2).map((r) => (r.body as { model: string }).model);
    expect(models).toEqual(['meta/llama-3.1-8b-instruct', 'meta/llama-3.1-8b-instruct']);
  });

  it('token counting answers (an estimate: NIM cannot count), and every NIM key took turns', async () => {
    const n = await claude.messages.countTokens({ model: CLAUDE_ENV.ANTHROPIC_MODEL, system: 'be brief', messages: [{ role: 'user', content: 'how many tokens is this?' }] });
    expect(n.input_tokens).toBeGreaterThan(0);
    expect(new Set(keysSeen(sim))).toEqual(new Set(['nvapi-one', 'nvapi-two', 'nvapi-three']));
  });

  it('without the proxy key, Claude Code gets a 401 and nothing reaches NVIDIA', async () => {
    const before = sim.requests.length;
    const stranger = new Anthropic({ baseURL: cli.url, authToken: 'wrong', apiKey: null, maxRetries: 0 });
    await expect(stranger.messages.create({ model: CLAUDE_ENV.ANTHROPIC_MODEL, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 401 });
    expect(sim.requests.length).toBe(before);
  });
});
