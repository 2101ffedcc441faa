// Fallback groups over the simulator: an alias naming a list of targets falls over from a target that cannot
// serve (exhausted, revoked, rate-limited) to the next with no client error, and comes back when it recovers.
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/pool/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type KeyBehaviour, type RecordedRequest, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { DEAD_PORT, anthropicBody, call, captureLogs, chatBody, configFrom, dataJson, geminiBody, scratchDir, type Env, type LogCapture } from './helpers.js';

/**
 * The server's injected clock: real timers (retry backoffs of a few ms stay real), but now() can jump ahead, so
 * an hour-long quota cooldown or a minute's rate window passes without the test waiting for it.
 */
class JumpClock implements Clock {
  #skew = 0;
  now = (): number => Date.now() + this.#skew;
  setTimer(fn: () => void, ms: number) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  }
  jump(ms: number): void {
    this.#skew += ms;
  }
}

interface Setup {
  clock: JumpClock;
  server: KeymuxServer;
  url: string;
  logs: LogCapture;
  sims: Record<string, Simulator>;
}

let open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.reverse()) await close();
  open = [];
});

/** Simulators by name, a keymux server over them with `yaml` and `env(sims)`, on a JumpClock. */
async function setup(sims: Record<string, SimulatorOptions>, env: (s: Record<string, Simulator>) => Env, yaml: string): Promise<Setup> {
  const clock = new JumpClock();
  const started: Record<string, Simulator> = {};
  for (const [name, o] of Object.entries(sims)) {
    const sim = await startSimulator({ now: clock.now, ...o });
    started[name] = sim;
    open.push(() => sim.close());
  }
  const dir = scratchDir();
  const configPath = dir.write('keymux.yaml', yaml);
  const config = configFrom(env(started), { cwd: dir.dir, configPath });
  const logs = captureLogs();
  const server = createServer(config, { clock, logger: logs.logger });
  const url = await server.listen(0, '127.0.0.1');
  open.push(async () => {
    await server.close(1_000);
    dir.remove();
  });
  return { clock, server, url, logs, sims: started };
}

const NIM_KEYS = ['nvapi-first-key-aaaaaaaaaaaa', 'nvapi-first-key-bbbbbbbbbbbb'];
const OR_KEY = 'sk-or-v1-second-key-cccccccccccc';
const GROQ_KEY = 'gsk_third_key_dddddddddddddddd';
const CODER = `aliases:
  coder:
    - nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct
    - openrouter/qwen/qwen3-coder:free
    - groq/llama-3.3-70b-versatile
queue: { timeoutMs: 60s }
`;

/** The group: NIM, then OpenRouter, then Groq, each its own simulator. */
function coder(first: Record<string, KeyBehaviour> = Object.fromEntries(NIM_KEYS.map((k) => [k, {}])), firstOpts: Partial<SimulatorOptions> = {}) {
  return setup(
    {
      nim: { flavor: 'nvidia_nim', keys: first, ...firstOpts },
      or: { flavor: 'openrouter', keys: { [OR_KEY]: {} } },
      groq: { flavor: 'groq', keys: { [GROQ_KEY]: {} } },
    },
    (s) => ({
      NVIDIA_NIM_API_KEYS: NIM_KEYS.join(','),
      NVIDIA_NIM_BASE_URL: `${s.nim!.url}/v1`,
      OPENROUTER_API_KEY: OR_KEY,
      OPENROUTER_BASE_URL: `${s.or!.url}/api/v1`,
      GROQ_API_KEY: GROQ_KEY,
      GROQ_BASE_URL: `${s.groq!.url}/openai/v1`,
    }),
    CODER,
  );
}

const inference = (r: RecordedRequest) => r.path.endsWith('/chat/completions') || r.path.includes('/messages') || r.path.includes(':generate') || r.path.includes(':streamGenerate');
const count = (sim: Simulator | undefined) => sim!.requests.filter(inference).length;
const statuses = (sim: Simulator | undefined) => sim!.requests.filter(inference).map((r) => r.status);

describe('fallback groups', () => {
  it('first target exhausted (quota): the second serves, naming the group; back to the first once it recovers', async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { quotaExhausted: true }])));
    const r = await call(s.url, '/v1/chat/completions', chatBody('hello', { model: 'coder' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(r.headers.get('x-keymux-model')).toBe('qwen/qwen3-coder:free');
    // The pass-through body names the model the client asked for, not the target's.
    expect(r.json.model).toBe('coder');
    expect(r.json.choices[0].message.content).toBe('echo: hello');
    // Both NIM keys tried (and refused), then OpenRouter: three attempts, retry.maxAttempts' budget.
    expect(statuses(s.sims.nim).every((st) => st >= 400)).toBe(true);
    expect(count(s.sims.nim)).toBe(2);
    expect(s.sims.or!.requests.filter(inference).map((x) => x.model)).toEqual(['qwen/qwen3-coder:free']);
    expect(r.headers.get('x-keymux-attempts')).toBe('3');
    // The request's log line names the group and the target that served it.
    expect(s.logs.requests().at(-1)).toMatchObject({ group: 'coder', provider: 'openrouter', model: 'qwen/qwen3-coder:free', attempts: 3, status: 200 });

    // Exhausted keys are out until their quota returns: NIM is not asked again, OpenRouter serves at once.
    const again = await call(s.url, '/v1/chat/completions', chatBody('again', { model: 'coder' }));
    expect(again.status).toBe(200);
    expect(again.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(count(s.sims.nim)).toBe(2);
    expect(count(s.sims.groq)).toBe(0);

    // The quota comes back (the provider's and, after its cooldown, keymux's view of it): NIM serves again.
    for (const k of NIM_KEYS) s.sims.nim!.setKey(k, {});
    s.clock.jump(2 * 3_600_000);
    const back = await call(s.url, '/v1/chat/completions', chatBody('back', { model: 'coder' }));
    expect(back.status).toBe(200);
    expect(back.headers.get('x-keymux-provider')).toBe('nvidia_nim');
    expect(back.headers.get('x-keymux-model')).toBe('qwen/qwen3-coder-480b-a35b-instruct');
    expect(back.json.model).toBe('coder');
    expect(s.sims.nim!.requests.filter(inference).at(-1)).toMatchObject({ status: 200, model: 'qwen/qwen3-coder-480b-a35b-instruct' });
  });

  it('first target revoked: the second serves, and the revoked keys are not asked again', async () => {
    const s = await setup(
      { groq: { flavor: 'groq', keys: {} }, or: { flavor: 'openrouter', keys: { [OR_KEY]: {} } } },
      (x) => ({ GROQ_API_KEYS: 'gsk_revoked_1111111111111111,gsk_revoked_2222222222222222', GROQ_BASE_URL: `${x.groq!.url}/openai/v1`, OPENROUTER_API_KEY: OR_KEY, OPENROUTER_BASE_URL: `${x.or!.url}/api/v1` }),
      'aliases:\n  fast: [groq/llama-3.3-70b-versatile, openrouter/meta-llama/llama-3.3-70b-instruct:free]\n',
    );
    const r = await call(s.url, '/v1/chat/completions', chatBody('hi', { model: 'fast' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(r.json.model).toBe('fast');
    expect(statuses(s.sims.groq)).toEqual([401, 401]);
    const keys = s.server.runtime.providers.get('groq')!.pool.snapshot().keys;
    expect(keys.map((k) => k.status)).toEqual(['disabled', 'disabled']);
    const again = await call(s.url, '/v1/chat/completions', chatBody('hi again', { model: 'fast' }));
    expect(again.status).toBe(200);
    expect(again.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(count(s.sims.groq)).toBe(2);
  });

  it("NIM's refusal (403 on every key) moves on too: another provider may serve what this account may not", async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { revoked: true }])));
    const r = await call(s.url, '/v1/chat/completions', chatBody('hi', { model: 'coder' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(statuses(s.sims.nim)).toEqual([403, 403]);
  });

  it('first target rate-limited on every key: the next target at once, not a queue until the deadline; the first again after its window', async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { rpm: 1 }])));
    // Each NIM key's minute is used up behind keymux's back.
    for (const k of NIM_KEYS) {
      const direct = await call(s.sims.nim!.url, '/v1/chat/completions', chatBody('elsewhere', { model: 'x' }), { headers: { authorization: `Bearer ${k}` } });
      expect(direct.status).toBe(200);
    }
    const r = await call(s.url, '/v1/chat/completions', chatBody('busy', { model: 'coder' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(statuses(s.sims.nim)).toEqual([200, 200, 429, 429]);
    // NIM's keys cool for most of a minute, far beyond the spill wait: the request goes straight to OpenRouter
    // (the queue's 60 s deadline would outlast this test) and NIM is not asked.
    const next = await call(s.url, '/v1/chat/completions', chatBody('next', { model: 'coder' }));
    expect(next.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(count(s.sims.nim)).toBe(4);
    expect(count(s.sims.or)).toBe(2);
    expect(count(s.sims.groq)).toBe(0);

    s.clock.jump(61_000);
    const later = await call(s.url, '/v1/chat/completions', chatBody('later', { model: 'coder' }));
    expect(later.status).toBe(200);
    expect(later.headers.get('x-keymux-provider')).toBe('nvidia_nim');
  });

  it('a failing first target (5xx on every key, or unreachable) moves on to the next within the request', async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { failRate: 1 }])));
    const r = await call(s.url, '/v1/chat/completions', chatBody('5xx', { model: 'coder' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    expect(statuses(s.sims.nim).length).toBeGreaterThan(0);
    expect(statuses(s.sims.nim).every((st) => st >= 500)).toBe(true);

    const dead = await setup(
      { b: { keys: { 'sk-bbbbbbbbbbbbbbbb': {} } } },
      (x) => ({ OPENAI_API_KEY: 'sk-aaaaaaaaaaaaaaaa', OPENAI_BASE_URL: `http://127.0.0.1:${DEAD_PORT}/v1`, GROQ_API_KEY: 'sk-bbbbbbbbbbbbbbbb', GROQ_BASE_URL: `${x.b!.url}/openai/v1` }),
      'aliases:\n  g: [openai/gpt-4o-mini, groq/llama]\n',
    );
    const n = await call(dead.url, '/v1/chat/completions', chatBody('net', { model: 'g' }));
    expect(n.status).toBe(200);
    expect(n.headers.get('x-keymux-provider')).toBe('groq');
    expect(n.json.model).toBe('g');
  });

  it('a key due back within retry.spillWaitMs is waited for; with no spill wait the next target serves at once', async () => {
    for (const [spill, served] of [['5s', 'openai'], ['0', 'groq']] as const) {
      const s = await setup(
        { a: { keys: { 'sk-aaaaaaaaaaaaaaaa': { latencyMs: 150 } } }, b: { keys: { 'sk-bbbbbbbbbbbbbbbb': {} } } },
        (x) => ({ OPENAI_BASE_URL: `${x.a!.url}/v1`, GROQ_API_KEY: 'sk-bbbbbbbbbbbbbbbb', GROQ_BASE_URL: `${x.b!.url}/openai/v1` }),
        `aliases:\n  g: [openai/gpt-4o-mini, groq/llama]\nretry: { spillWaitMs: ${spill} }\nproviders:\n  openai:\n    keys: [{ key: sk-aaaaaaaaaaaaaaaa, maxConcurrent: 1 }]\n`,
      );
      // The one OpenAI key is busy with a slow request when the group's request comes.
      const one = call(s.url, '/v1/chat/completions', chatBody('one', { model: 'openai/gpt-4o-mini' }));
      await s.sims.a!.waitFor((r) => inference(r));
      const two = await call(s.url, '/v1/chat/completions', chatBody('two', { model: 'g' }));
      expect((await one).status).toBe(200);
      expect(two.status).toBe(200);
      expect(two.headers.get('x-keymux-provider'), `spillWaitMs ${spill}`).toBe(served);
      expect(count(s.sims.a) + count(s.sims.b)).toBe(2);
    }
  });

  it("capacity-aware: a learned budget's refill due within the spill wait is waited for, one due beyond it spills", async () => {
    for (const [spill, served] of [['5s', 'openai'], ['100ms', 'groq']] as const) {
      const s = await setup(
        // Two requests per 3 s, said in OpenAI's rate-limit headers: keymux learns when the key has room again (~1.5 s).
        { a: { keys: { 'sk-aaaaaaaaaaaaaaaa': { rpm: 2, windowMs: 3_000 } } }, b: { keys: { 'sk-bbbbbbbbbbbbbbbb': {} } } },
        (x) => ({ OPENAI_API_KEY: 'sk-aaaaaaaaaaaaaaaa', OPENAI_BASE_URL: `${x.a!.url}/v1`, GROQ_API_KEY: 'sk-bbbbbbbbbbbbbbbb', GROQ_BASE_URL: `${x.b!.url}/openai/v1` }),
        `aliases:\n  g: [openai/gpt-4o-mini, groq/llama]\nretry: { spillWaitMs: ${spill} }\n`,
      );
      for (const text of ['one', 'two']) expect((await call(s.url, '/v1/chat/completions', chatBody(text, { model: 'openai/gpt-4o-mini' }))).status).toBe(200);
      const r = await call(s.url, '/v1/chat/completions', chatBody('three', { model: 'g' }));
      expect(r.status).toBe(200);
      expect(r.headers.get('x-keymux-provider'), `spillWaitMs ${spill}`).toBe(served);
      // Either way no request went into the provider's 429: the wait (or the spill) came from the learned budget.
      expect(statuses(s.sims.a)).toEqual(served === 'openai' ? [200, 200, 200] : [200, 200]);
    }
  });

  it('a client error from the first target is the answer at once: the second gets no request', async () => {
    const s = await coder();
    const r = await call(s.url, '/v1/chat/completions', { model: 'coder', messages: [] });
    expect(r.status).toBe(400);
    expect(r.text).toContain('messages');
    expect(r.headers.get('x-keymux-provider')).toBe('nvidia_nim');
    expect(count(s.sims.nim)).toBe(1);
    expect(count(s.sims.or)).toBe(0);
    // A 404 for a model the provider does not serve is the client's too.
    const n = await coder(undefined, { models: ['some/other-model'] });
    const nf = await call(n.url, '/v1/chat/completions', chatBody('x', { model: 'coder' }));
    expect(nf.status).toBe(404);
    expect(count(n.sims.or)).toBe(0);
  });

  it('the last target failing too: its answer (or keymux’s error for it) goes back, within the attempt budget', async () => {
    const s = await setup(
      { a: { keys: { 'sk-aaaaaaaaaaaaaaaa': { quotaExhausted: true } } }, b: { keys: { 'sk-bbbbbbbbbbbbbbbb': { revoked: true } } } },
      (x) => ({ OPENAI_API_KEY: 'sk-aaaaaaaaaaaaaaaa', OPENAI_BASE_URL: `${x.a!.url}/v1`, GROQ_API_KEY: 'sk-bbbbbbbbbbbbbbbb', GROQ_BASE_URL: `${x.b!.url}/openai/v1` }),
      'aliases:\n  g: [openai/gpt-4o-mini, groq/llama]\nretry: { maxAttempts: 1 }\n',
    );
    const r = await call(s.url, '/v1/chat/completions', chatBody('x', { model: 'g' }));
    // Each target keeps its one attempt even with maxAttempts 1; the last target's 401 is what the client hears.
    expect(r.status).toBe(401);
    expect(r.headers.get('x-keymux-provider')).toBe('groq');
    expect(r.headers.get('x-keymux-attempts')).toBe('2');
    expect(r.text).not.toContain('sk-bbbbbbbbbbbbbbbb');
    expect([count(s.sims.a), count(s.sims.b)]).toEqual([1, 1]);
    // Now both pools refuse at once: keymux's error for the last target.
    const again = await call(s.url, '/v1/chat/completions', chatBody('x', { model: 'g' }));
    expect(again.status).toBe(503);
    expect(again.json.error.code).toBe('KMX_ERR_NO_KEYS');
    expect(again.json.error.message).toContain('groq');
    expect([count(s.sims.a), count(s.sims.b)]).toEqual([1, 1]);
  });

  it('mixed dialects: an OpenAI client through an Anthropic target, then a Gemini one, then an OpenAI one, translated per attempt', async () => {
    const ANT = 'sk-ant-api03-first-eeeeeeeeeeee';
    const GEM = 'AIzaSy-second-ffffffffffffffffff';
    const s = await setup(
      { ant: { keys: { [ANT]: { quotaExhausted: true } } }, gem: { keys: { [GEM]: {} } }, oa: { keys: { 'sk-third-gggggggggggg': {} } } },
      (x) => ({
        ANTHROPIC_API_KEY: ANT, ANTHROPIC_BASE_URL: x.ant!.url,
        GEMINI_API_KEY: GEM, GEMINI_BASE_URL: x.gem!.url,
        OPENAI_API_KEY: 'sk-third-gggggggggggg', OPENAI_BASE_URL: `${x.oa!.url}/v1`,
      }),
      'aliases:\n  smart: [anthropic/claude-sonnet-4-6, gemini/gemini-2.5-flash, openai/gpt-4o-mini]\n',
    );
    const r = await call(s.url, '/v1/chat/completions', chatBody('translate me', { model: 'smart' }));
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('gemini');
    expect(r.json).toMatchObject({ object: 'chat.completion', model: 'smart', choices: [{ message: { role: 'assistant', content: 'echo: translate me' } }] });
    expect(s.sims.ant!.requests.filter(inference).map((x) => [x.dialect, x.status])).toEqual([['anthropic', 402]]);
    expect(s.sims.gem!.requests.filter(inference).map((x) => [x.dialect, x.model])).toEqual([['gemini', 'gemini-2.5-flash']]);

    // The Gemini key revoked too: the OpenAI target, as it is; then an Anthropic client over the same group.
    s.sims.gem!.setKey(GEM, { revoked: true });
    const third = await call(s.url, '/v1/chat/completions', chatBody('third', { model: 'smart' }));
    expect(third.headers.get('x-keymux-provider')).toBe('openai');
    expect(third.json.model).toBe('smart');
    const ac = await call(s.url, '/v1/messages', anthropicBody('from claude code', { model: 'smart' }), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(ac.status).toBe(200);
    expect(ac.headers.get('x-keymux-provider')).toBe('openai');
    expect(ac.json).toMatchObject({ type: 'message', model: 'smart', content: [{ type: 'text', text: 'echo: from claude code' }] });
  });

  it('an Anthropic client through an Anthropic target passes through, renamed; a Gemini client names the group in its URL', async () => {
    const ANT = 'sk-ant-api03-first-eeeeeeeeeeee';
    const s = await setup(
      { ant: { keys: { [ANT]: {} } }, oa: { keys: { 'sk-third-gggggggggggg': {} } } },
      (x) => ({ ANTHROPIC_API_KEY: ANT, ANTHROPIC_BASE_URL: x.ant!.url, OPENAI_API_KEY: 'sk-third-gggggggggggg', OPENAI_BASE_URL: `${x.oa!.url}/v1` }),
      'aliases:\n  smart: [anthropic/claude-sonnet-4-6, openai/gpt-4o-mini]\n',
    );
    const ac = await call(s.url, '/v1/messages', anthropicBody('hi', { model: 'smart' }), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(ac.headers.get('x-keymux-provider')).toBe('anthropic');
    expect(ac.json).toMatchObject({ type: 'message', model: 'smart' });
    expect(s.sims.ant!.requests.at(-1)).toMatchObject({ model: 'claude-sonnet-4-6', dialect: 'anthropic' });
    const st = await call(s.url, '/v1/messages', anthropicBody('stream', { model: 'smart', stream: true }), { headers: { 'anthropic-version': '2023-06-01' } });
    expect(st.headers.get('x-keymux-provider')).toBe('anthropic');
    const events = dataJson(st.events);
    expect(events.find((e) => e.type === 'message_start')?.message.model).toBe('smart');
    expect(events.filter((e) => e.type === 'content_block_delta').map((e) => e.delta.text).join('')).toBe('echo: stream');
    const g = await call(s.url, '/v1beta/models/smart:generateContent', geminiBody('from gemini'));
    expect(g.status).toBe(200);
    expect(g.headers.get('x-keymux-provider')).toBe('anthropic');
    expect(g.json.candidates[0].content.parts[0].text).toBe('echo: from gemini');
  });

  it('streams through a group: the stream of the target that serves, its chunks naming the group', async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { quotaExhausted: true }])));
    const r = await call(s.url, '/v1/chat/completions', chatBody('stream me', { model: 'coder', stream: true }));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/event-stream');
    expect(r.headers.get('x-keymux-provider')).toBe('openrouter');
    const chunks = dataJson(r.events);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.model === 'coder')).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('echo: stream me');
    // The usage chunk keymux asked for is still hidden from a client that did not.
    expect(chunks.some((c) => c.usage != null && c.choices.length === 0)).toBe(false);
    expect(r.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a target whose dialect cannot take the request is skipped with a warning, not a failure', async () => {
    const ANT = 'sk-ant-api03-first-eeeeeeeeeeee';
    const s = await setup(
      { ant: { keys: { [ANT]: {} } }, oa: { keys: { 'sk-third-gggggggggggg': {} } } },
      (x) => ({ ANTHROPIC_API_KEY: ANT, ANTHROPIC_BASE_URL: x.ant!.url, OPENAI_API_KEY: 'sk-third-gggggggggggg', OPENAI_BASE_URL: `${x.oa!.url}/v1` }),
      'aliases:\n  embed: [anthropic/claude-sonnet-4-6, openai/text-embedding-3-small]\n  claude-only: [anthropic/claude-sonnet-4-6]\n',
    );
    const r = await call(s.url, '/v1/embeddings', { model: 'embed', input: 'hello' });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-keymux-provider')).toBe('openai');
    expect(r.headers.get('x-keymux-warnings')).toContain('skipped anthropic/claude-sonnet-4-6');
    expect(r.json.model).toBe('embed');
    expect(s.logs.entries().some((e) => e.msg?.toString().startsWith('fallback group') && e.target === 'anthropic/claude-sonnet-4-6')).toBe(true);
    // No target usable: the target's own refusal.
    const none = await call(s.url, '/v1/embeddings', { model: 'claude-only', input: 'hello' });
    expect(none.status).toBe(400);
    expect(none.json.error.code).toBe('KMX_ERR_UNTRANSLATABLE');
    expect(count(s.sims.ant)).toBe(0);
  });

  it('GET /v1/models lists the groups; GET /v1/providers shows each with its targets and whether they can serve', async () => {
    const s = await coder(Object.fromEntries(NIM_KEYS.map((k) => [k, { quotaExhausted: true }])));
    await call(s.url, '/v1/chat/completions', chatBody('x', { model: 'coder' }));
    const models = await call(s.url, '/v1/models');
    expect(models.json.data).toContainEqual({ id: 'coder', object: 'model', created: 0, owned_by: 'keymux' });
    expect((await call(s.url, '/v1/models/coder')).json).toMatchObject({ id: 'coder', owned_by: 'keymux' });
    // A route that wants one model (counting tokens) takes the group's first target.
    const counted = await call(s.url, '/v1/token-count', { model: 'coder', messages: [{ role: 'user', content: 'count me' }] });
    expect(counted.json.model).toBe('nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct');
    const providers = await call(s.url, '/v1/providers');
    expect(providers.json.groups).toEqual([
      {
        name: 'coder',
        targets: [
          { target: 'nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct', provider: 'nvidia_nim', model: 'qwen/qwen3-coder-480b-a35b-instruct', configured: true, usable: false },
          { target: 'openrouter/qwen/qwen3-coder:free', provider: 'openrouter', model: 'qwen/qwen3-coder:free', configured: true, usable: true },
          { target: 'groq/llama-3.3-70b-versatile', provider: 'groq', model: 'llama-3.3-70b-versatile', configured: true, usable: true },
        ],
      },
    ]);
  });

  it('a reload changes the groups: a new order is followed, a removed group is an unknown model', async () => {
    const s = await coder();
    const env = { NVIDIA_NIM_API_KEYS: NIM_KEYS.join(','), NVIDIA_NIM_BASE_URL: `${s.sims.nim!.url}/v1`, GROQ_API_KEY: GROQ_KEY, GROQ_BASE_URL: `${s.sims.groq!.url}/openai/v1` };
    const dir = scratchDir();
    open.push(async () => dir.remove());
    s.server.reload(configFrom(env, { cwd: dir.dir, configPath: dir.write('keymux.yaml', 'aliases:\n  coder2: [groq/llama-3.3-70b-versatile, nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct]\n') }));
    const r = await call(s.url, '/v1/chat/completions', chatBody('x', { model: 'coder2' }));
    expect(r.headers.get('x-keymux-provider')).toBe('groq');
    expect(r.json.model).toBe('coder2');
    const gone = await call(s.url, '/v1/chat/completions', chatBody('x', { model: 'coder' }));
    expect(gone.status).toBe(404);
    expect(gone.json.error.code).toBe('KMX_ERR_UNKNOWN_MODEL');
  });

  it('a plain provider/model answer says which target served it too', async () => {
    const s = await coder();
    const r = await call(s.url, '/v1/chat/completions', chatBody('plain', { model: 'groq/llama-3.3-70b-versatile' }));
    expect(r.headers.get('x-keymux-provider')).toBe('groq');
    expect(r.headers.get('x-keymux-model')).toBe('llama-3.3-70b-versatile');
    // Not a group: the body is the provider's, as it wrote it.
    expect(r.json.model).toBe('llama-3.3-70b-versatile');
  });
});
