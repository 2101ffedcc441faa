// The real CLI (`keymux serve`) as a child process, configured only by environment variables, with proxy keys:
// each official SDK authenticates its own way (Bearer, x-api-key, x-goog-api-key), and SIGTERM drains and exits.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { anthropicClient, geminiClient, keysSeen, openaiClient, rejection, startCli, type CliProcess } from './helpers.js';

const PROXY_KEY = 'kmx-proxy-secret-1';
let sim: Simulator;
let cli: CliProcess;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ keys: { 'sk-a': {}, 'sk-b': {}, 'sk-ant-a': {}, 'sk-ant-b': {}, 'AIza-a': {}, 'AIza-b': {} } });
  // An empty working directory: no keymux.yaml or .env of the repository may leak in.
  dir = mkdtempSync(join(tmpdir(), 'keymux-cli-'));
  cli = await startCli(
    {
      OPENAI_API_KEYS: 'sk-a,sk-b',
      OPENAI_BASE_URL: `${sim.url}/v1`,
      ANTHROPIC_API_KEYS: 'sk-ant-a,sk-ant-b',
      ANTHROPIC_BASE_URL: sim.url,
      GEMINI_API_KEY_1: 'AIza-a',
      GEMINI_API_KEY_2: 'AIza-b',
      GEMINI_BASE_URL: sim.url,
      KEYMUX_PROXY_KEYS: `${PROXY_KEY},kmx-proxy-secret-2`,
      KEYMUX_HOST: '127.0.0.1',
    },
    dir,
  );
}, 30_000);

afterAll(async () => {
  if (cli) await cli.stop();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('keymux serve (child process) with proxy keys', () => {
  it('logs one JSON startup line with the URL, the providers and the auth mode', () => {
    expect(cli.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const start = cli.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((o) => o.url === cli.url);
    expect(start?.providers).toEqual(expect.arrayContaining(['openai (2 keys)', 'anthropic (2 keys)', 'gemini (2 keys)']));
    expect(start?.auth).toBe('proxy keys required');
  });

  it('openai SDK: Authorization Bearer <proxy key> → chat and a stream; the provider never sees the proxy key', async () => {
    const client = openaiClient(cli.url, PROXY_KEY);
    const c = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'via cli' }] });
    expect(c.choices[0]?.message.content).toBe('echo: via cli');
    let text = '';
    const s = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'streamed via cli' }], stream: true });
    for await (const ch of s) text += ch.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: streamed via cli');
    expect(keysSeen(sim)).not.toContain(PROXY_KEY);
  });

  it('openai SDK with a wrong proxy key → AuthenticationError (401); nothing reaches the provider', async () => {
    const before = sim.requests.length;
    const err = await rejection(openaiClient(cli.url, 'wrong').chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as Error).message).toContain('Missing or invalid proxy key');
    expect(sim.requests.length).toBe(before);
  });

  it('anthropic SDK: x-api-key <proxy key> → messages; a wrong key → AuthenticationError in Anthropic shape', async () => {
    const m = await anthropicClient(cli.url, PROXY_KEY).messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'ant' }] });
    expect(m.content[0]).toMatchObject({ type: 'text', text: 'echo: ant' });
    const err = await rejection(anthropicClient(cli.url, 'wrong').messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }));
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('anthropic SDK with authToken (Bearer, as Claude Code with ANTHROPIC_AUTH_TOKEN) → messages.stream', async () => {
    const client = new Anthropic({ apiKey: null, authToken: 'kmx-proxy-secret-2', baseURL: cli.url, maxRetries: 0 });
    const fin = await client.messages.stream({ model: 'anthropic/claude-haiku-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'bearer' }] }).finalMessage();
    expect(fin.content[0]).toMatchObject({ type: 'text', text: 'echo: bearer' });
  });

  it('@google/genai: x-goog-api-key <proxy key> → generateContent and a stream; a wrong key → 401', async () => {
    const client = geminiClient(cli.url, PROXY_KEY);
    const r = await client.models.generateContent({ model: 'gemini-2.5-flash', contents: 'gem' });
    expect(r.text).toBe('echo: gem');
    let text = '';
    for await (const ch of await client.models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'gem stream' })) text += ch.text ?? '';
    expect(text).toBe('echo: gem stream');
    const err = (await rejection(geminiClient(cli.url, 'wrong').models.generateContent({ model: 'gemini-2.5-flash', contents: 'x' }))) as { status?: number; message: string };
    expect(err.status).toBe(401);
    expect(err.message).toContain('UNAUTHENTICATED');
  });

  it('rotation: over several requests the simulator sees both keys of each provider', async () => {
    const o = openaiClient(cli.url, PROXY_KEY);
    const a = anthropicClient(cli.url, PROXY_KEY);
    const g = geminiClient(cli.url, PROXY_KEY);
    for (let i = 0; i < 4; i++) {
      await o.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: `r${i}` }] });
      await a.messages.create({ model: 'anthropic/claude-sonnet-4-6', max_tokens: 20, messages: [{ role: 'user', content: `r${i}` }] });
      await g.models.generateContent({ model: 'gemini-2.5-flash', contents: `r${i}` });
    }
    expect(keysSeen(sim, (r) => r.path === '/v1/chat/completions')).toEqual(['sk-a', 'sk-b']);
    expect(keysSeen(sim, (r) => r.path === '/v1/messages')).toEqual(['sk-ant-a', 'sk-ant-b']);
    expect(keysSeen(sim, (r) => r.dialect === 'gemini')).toEqual(['AIza-a', 'AIza-b']);
  });

  it('SIGTERM: drains, logs it, and exits 0; no provider or proxy secret was ever logged', async () => {
    const code = await cli.stop();
    expect(code).toBe(0);
    expect(cli.lines.some((l) => l.includes('draining in-flight requests'))).toBe(true);
    expect(cli.lines.filter((l) => l.includes('"request"')).length).toBeGreaterThan(10);
    expect(cli.lines.join('\n')).not.toMatch(/\bsk-a\b|\bsk-b\b|sk-ant-|AIza-|kmx-proxy-secret/);
    expect(cli.stderr()).not.toMatch(/error/i);
  }, 30_000);
});
