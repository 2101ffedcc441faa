import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { keysSeen, ROOT, startCli, upstream, type CliProcess } from './helpers.js';

/**
 * The README's "Claude Code on Gemini keys", read from the README itself: keymux started with the environment
 * of its first block and the keymux.yaml of its second, and a client configured from exactly the environment of
 * its third (what Claude Code reads), sending requests shaped like Claude Code's. Only the URLs differ: Gemini's
 * base URL points at the simulator, and ANTHROPIC_BASE_URL at the keymux this test started.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = README.slice(README.indexOf('### Claude Code on Gemini keys'));
const blocks = [...section.matchAll(/```(sh|yaml)\n([\s\S]*?)```/g)].slice(0, 3).map((m) => m[2] ?? '');
const exports = (sh: string): Record<string, string> =>
  Object.fromEntries([...sh.matchAll(/^export (\w+)=(.*)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']));
const KEYMUX_ENV = exports(blocks[0] ?? '');
const KEYMUX_YAML = blocks[1] ?? '';
const CLAUDE_ENV = exports(blocks[2] ?? '');
const model = (name: string): string => CLAUDE_ENV[name] ?? '';

let sim: Simulator;
let cli: CliProcess;
let claude: Anthropic;

beforeAll(async () => {
  const keys = (KEYMUX_ENV.GEMINI_API_KEYS ?? '').split(',');
  sim = await startSimulator({ keys: Object.fromEntries(keys.map((k) => [k, {}])) });
  const dir = mkdtempSync(join(tmpdir(), 'keymux-claude-gemini-'));
  writeFileSync(join(dir, 'keymux.yaml'), KEYMUX_YAML);
  cli = await startCli({ ...KEYMUX_ENV, GEMINI_BASE_URL: sim.url }, dir, ['--host', '127.0.0.1']);
  // What Claude Code does with ANTHROPIC_BASE_URL and ANTHROPIC_AUTH_TOKEN.
  claude = new Anthropic({ baseURL: cli.url, authToken: CLAUDE_ENV.ANTHROPIC_AUTH_TOKEN ?? null, apiKey: null, maxRetries: 0 });
});

afterAll(async () => {
  expect(await cli.stop()).toBe(0);
  await sim.close();
});

const bash: Anthropic.Beta.BetaTool = {
  name: 'Bash',
  description: 'Run a shell command',
  input_schema: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', additionalProperties: false, properties: { command: { type: 'string' } }, required: ['command'] },
  cache_control: { type: 'ephemeral' },
};
const system: Anthropic.Beta.BetaTextBlockParam[] = [
  { type: 'text', text: "You are Claude Code, Anthropic's official CLI for Claude.", cache_control: { type: 'ephemeral' } },
];

describe('Claude Code on Gemini keys (README)', () => {
  it('the README blocks are there: two Gemini keys, aliases, the four variables Claude Code reads', () => {
    expect(KEYMUX_ENV.GEMINI_API_KEYS?.split(',').length).toBeGreaterThan(1);
    expect(KEYMUX_YAML).toContain('aliases:');
    expect(Object.keys(CLAUDE_ENV).sort()).toEqual(['ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'ANTHROPIC_DEFAULT_HAIKU_MODEL', 'ANTHROPIC_MODEL']);
  });

  it('a streamed turn on the main model, shaped like Claude Code’s, comes back as a correct Anthropic stream', async () => {
    const stream = claude.beta.messages.stream({
      model: model('ANTHROPIC_MODEL'),
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
    const sent = upstream(sim, ':streamGenerateContent').at(-1);
    expect(sent?.path).toBe(`/v1beta/models/${model('ANTHROPIC_MODEL').replace(/^gemini\//, '')}:streamGenerateContent`);
    expect(sent?.body).toMatchObject({
      systemInstruction: { parts: [{ text: "You are Claude Code, Anthropic's official CLI for Claude." }] },
      generationConfig: { maxOutputTokens: 32000, thinkingConfig: { thinkingBudget: 4000, includeThoughts: true } },
    });
  });

  it('a tool call and its result, as Claude Code runs Bash', async () => {
    const first = await claude.beta.messages.create({
      model: model('ANTHROPIC_MODEL'),
      max_tokens: 1024,
      system,
      tools: [bash],
      messages: [{ role: 'user', content: 'please use tool Bash to list files' }],
    });
    const use = first.content.find((b) => b.type === 'tool_use');
    expect(first.stop_reason).toBe('tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'Bash' });
    const second = await claude.beta.messages.create({
      model: model('ANTHROPIC_MODEL'),
      max_tokens: 1024,
      system,
      tools: [bash],
      messages: [
        { role: 'user', content: 'please use tool Bash to list files' },
        { role: 'assistant', content: first.content as Anthropic.Beta.BetaContentBlockParam[] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: use?.type === 'tool_use' ? use.id : '', content: 'README.md\npackage.json' }] },
      ],
    });
    expect(second.content[0]).toMatchObject({ type: 'text', text: expect.stringContaining('README.md') });
  });

  it('the small fast model, and Claude’s own model names through the keymux.yaml aliases', async () => {
    const quick = await claude.messages.create({ model: model('ANTHROPIC_DEFAULT_HAIKU_MODEL'), max_tokens: 50, messages: [{ role: 'user', content: 'title' }] });
    expect(quick.content[0]).toMatchObject({ type: 'text', text: 'echo: title' });
    const named = await claude.messages.create({ model: 'claude-3-5-haiku-latest', max_tokens: 50, messages: [{ role: 'user', content: 'named' }] });
    expect(named.model).toBe('claude-3-5-haiku-latest');
    const paths = upstream(sim, ':generateContent').slice(-2).map((r) => r.path);
    expect(paths).toEqual(['/v1beta/models/gemini-2.5-flash:generateContent', '/v1beta/models/gemini-2.5-flash:generateContent']);
  });

  it('token counting answers, and every Gemini key took turns', async () => {
    const n = await claude.messages.countTokens({ model: model('ANTHROPIC_MODEL'), system: 'be brief', messages: [{ role: 'user', content: 'how many tokens is this?' }] });
    expect(n.input_tokens).toBeGreaterThan(0);
    expect(new Set(keysSeen(sim, (r) => r.path.includes(':generateContent') || r.path.includes(':streamGenerateContent')))).toEqual(
      new Set((KEYMUX_ENV.GEMINI_API_KEYS ?? '').split(',')),
    );
  });
});
