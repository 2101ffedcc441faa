// Pool-wide rate-limit headers: every answer tells the client the pool's limits in its own dialect (the sum over
// the provider's keys, shared quota groups once), never one upstream key's. The simulator and keymux share a
// ManualClock, so "waiting until the reset" is advancing it: exact, and no test sleeps.
import { afterEach, describe, expect, test } from 'vitest';
import { ManualClock } from '../../src/pool/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';
import { anthropicBody, call, captureLogs, chatBody, configFrom, geminiBody, scratchDir, type Env, type Reply } from './helpers.js';

interface Rig {
  clock: ManualClock;
  sim: Simulator;
  server: KeymuxServer;
  url: string;
}

const rigs: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of rigs.splice(0)) await close();
});

/** A simulator and a keymux server on one ManualClock; `file` is a keymux.yaml. */
async function rig(sim: Omit<SimulatorOptions, 'now'>, env: (s: Simulator) => Env, file?: string): Promise<Rig> {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 12));
  const s = await startSimulator({ ...sim, now: () => clock.now() });
  const dir = file !== undefined ? scratchDir() : undefined;
  const config = configFrom(env(s), dir ? { cwd: dir.dir, configPath: dir.write('keymux.yaml', file!) } : {});
  const server = createServer(config, { clock, logger: captureLogs().logger });
  const url = await server.listen(0, '127.0.0.1');
  rigs.push(async () => {
    await server.close(1_000);
    await s.close();
    dir?.remove();
  });
  return { clock, sim: s, server, url };
}

const openai = (keys: string[]) => (s: Simulator): Env => ({ OPENAI_API_KEYS: keys.join(','), OPENAI_BASE_URL: `${s.url}/v1` });
/** A request that must not hang: a request keymux queued would wait on the ManualClock for ever. */
const chat = (url: string, text = 'hi') => call(url, '/v1/chat/completions', chatBody(text), { signal: AbortSignal.timeout(10_000) });
const num = (r: Reply, name: string): number | undefined => (r.headers.get(name) === null ? undefined : Number(r.headers.get(name)));
const rateHeaders = (r: Reply): string[] => [...r.headers.keys()].filter((n) => n.includes('ratelimit'));

/** ms of a Go duration as keymux writes it (`1.2s`, `59s`, `1m0s`, `200ms`). */
function goMs(s: string | null): number {
  let ms = 0;
  for (const m of (s ?? '').matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    const v = Number(m[1]);
    ms += m[2] === 'h' ? v * 3_600_000 : m[2] === 'm' ? v * 60_000 : m[2] === 's' ? v * 1000 : v;
  }
  return ms;
}

describe('pool-wide rate-limit headers', () => {
  test('an OpenAI client sees the sum over three keys, not the upstream key’s own headers', async () => {
    const keys = ['sk-a', 'sk-b', 'sk-c'];
    // Three accounts (the sim names each key's own organization, so keymux does not take them for one).
    const r = await rig({ keys: Object.fromEntries(keys.map((k) => [k, { rpm: 60, tpm: 10_000, group: `org-${k}` }])), flavor: 'openai' }, openai(keys));
    // Each key's limits are learned from its first answer: three requests (spread over the keys) teach all three.
    for (let i = 0; i < 3; i++) expect((await chat(r.url)).status).toBe(200);
    expect(new Set(r.sim.requests.map((q) => q.key))).toEqual(new Set(keys));
    const res = await chat(r.url);
    expect(res.status).toBe(200);
    expect(num(res, 'x-ratelimit-limit-requests')).toBe(180);
    expect(num(res, 'x-ratelimit-limit-tokens')).toBe(30_000);
    // The sim holds 59 + 59 + 58 requests (four sent, no time passed); keymux keeps each key's network-trip margin
    // (0.2 of a request at 60 rpm), so it offers one less per key: what it would dispatch now without waiting.
    expect(num(res, 'x-ratelimit-remaining-requests')).toBe(173);
    expect(num(res, 'x-ratelimit-remaining-tokens')).toBeLessThan(30_000);
    // Something left: the reset is when the whole pool is full again (the last request's key: 2 s at 1 a second).
    expect(goMs(res.headers.get('x-ratelimit-reset-requests'))).toBe(2_000);
    expect(res.headers.get('x-ratelimit-reset-requests')).toBe('2s');
    expect(rateHeaders(res).filter((n) => n.startsWith('anthropic-'))).toEqual([]);
  });

  test('keys sharing an account (quota group) are counted once', async () => {
    const sim = { keys: { 'sk-a': { rpm: 60, group: 'org' }, 'sk-b': { rpm: 60, group: 'org' }, 'sk-c': { rpm: 30 } }, flavor: 'openai' as const };
    const file = 'providers:\n  openai:\n    keys:\n      - { key: sk-a, group: org }\n      - { key: sk-b, group: org }\n      - sk-c\n';
    const r = await rig(sim, (s) => ({ OPENAI_BASE_URL: `${s.url}/v1` }), file);
    for (let i = 0; i < 3; i++) expect((await chat(r.url)).status).toBe(200);
    const res = await chat(r.url);
    expect(num(res, 'x-ratelimit-limit-requests')).toBe(90);
  });

  test('an Anthropic client gets Anthropic’s names with an RFC 3339 reset; an OpenAI client of the same pool OpenAI’s', async () => {
    const keys = ['sk-ant-api03-one', 'sk-ant-api03-two'];
    const r = await rig({ keys: Object.fromEntries(keys.map((k) => [k, { rpm: 50, group: `org-${k}` }])) }, (s) => ({ ANTHROPIC_API_KEYS: keys.join(','), ANTHROPIC_BASE_URL: s.url }));
    const headers = { 'anthropic-version': '2023-06-01' };
    const messages = () => call(r.url, '/v1/messages', anthropicBody('hi'), { headers, signal: AbortSignal.timeout(10_000) });
    for (let i = 0; i < 2; i++) expect((await messages()).status).toBe(200);
    const res = await messages();
    expect(res.status).toBe(200);
    expect(num(res, 'anthropic-ratelimit-requests-limit')).toBe(100);
    // 49 + 48 in the sim. Anthropic's resets are whole seconds, so keymux learns a refill no faster than they
    // allow (budget.ts refillRate): each key's level is taken at its floored remaining, less the trip margin.
    expect(num(res, 'anthropic-ratelimit-requests-remaining')).toBe(95);
    const reset = res.headers.get('anthropic-ratelimit-requests-reset')!;
    expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // Full again when the key used twice has refilled, by its own last reading: the sim's 2.4 s, which its
    // RFC 3339 reset rounded up to 3 s.
    expect(Date.parse(reset)).toBe(r.clock.now() + 3_000);
    expect(rateHeaders(res).filter((n) => n.startsWith('x-ratelimit'))).toEqual([]);
    // The same pool, asked in OpenAI's dialect (translated): OpenAI's names.
    const viaOpenAI = await call(r.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'claude-sonnet-4-6' });
    expect(viaOpenAI.status).toBe(200);
    expect(num(viaOpenAI, 'x-ratelimit-limit-requests')).toBe(100);
    expect(viaOpenAI.headers.get('anthropic-ratelimit-requests-limit')).toBeNull();
  });

  test('a provider that sends no rate-limit headers: none are invented; configured rpm shows', async () => {
    const r = await rig({ keys: { 'sk-a': { rpm: 60 }, 'sk-b': { rpm: 60 } }, flavor: 'nvidia_nim' }, openai(['sk-a', 'sk-b']));
    for (let i = 0; i < 3; i++) {
      const res = await chat(r.url);
      expect(res.status).toBe(200);
      expect(rateHeaders(res)).toEqual([]);
    }
    const file = 'providers:\n  openai:\n    keys:\n      - { key: sk-a, rpm: 10 }\n      - { key: sk-b, rpm: 5 }\n';
    const c = await rig({ keys: { 'sk-a': {}, 'sk-b': {} }, flavor: 'nvidia_nim' }, (s) => ({ OPENAI_BASE_URL: `${s.url}/v1` }), file);
    const res = await chat(c.url);
    expect(num(res, 'x-ratelimit-limit-requests')).toBe(15);
    expect(num(res, 'x-ratelimit-remaining-requests')).toBe(14);
    expect(res.headers.get('x-ratelimit-limit-tokens')).toBeNull();
  });

  test('Gemini clients get none (Google sends none); an OpenAI client of the same Gemini pool does', async () => {
    const keys = ['AIzaSyA-one-1111111111111111111111111', 'AIzaSyB-two-2222222222222222222222222'];
    const file = `providers:\n  gemini:\n    keys:\n${keys.map((k) => `      - { key: ${k}, rpm: 10 }\n`).join('')}`;
    const r = await rig({ keys: Object.fromEntries(keys.map((k) => [k, {}])) }, (s) => ({ GEMINI_BASE_URL: s.url }), file);
    const gem = await call(r.url, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('hi'), { signal: AbortSignal.timeout(10_000) });
    expect(gem.status).toBe(200);
    expect(rateHeaders(gem)).toEqual([]);
    const viaOpenAI = await call(r.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'gemini/gemini-2.5-flash' }, { signal: AbortSignal.timeout(10_000) });
    expect(viaOpenAI.status).toBe(200);
    expect(num(viaOpenAI, 'x-ratelimit-limit-requests')).toBe(20);
    expect(num(viaOpenAI, 'x-ratelimit-remaining-requests')).toBe(18);
  });

  test('a stream’s head carries them, with its own request counted as spent', async () => {
    const r = await rig({ keys: { 'sk-a': { rpm: 60 } }, flavor: 'openai' }, openai(['sk-a']));
    expect((await chat(r.url)).status).toBe(200);
    const res = await call(r.url, '/v1/chat/completions', chatBody('stream', { stream: true }), { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(200);
    expect(res.events.length).toBeGreaterThan(1);
    expect(num(res, 'x-ratelimit-limit-requests')).toBe(60);
    expect(num(res, 'x-ratelimit-remaining-requests')).toBe(57); // 58 in the sim, less the trip margin
  });

  test('an upstream error relayed to the client carries them; a model nothing is known of (OpenAI limits per model) none', async () => {
    // One attempt: a retry's backoff would wait on the ManualClock.
    const r = await rig({ keys: { 'sk-a': { rpm: 60 } }, flavor: 'openai', models: ['gpt-4o-mini'] }, openai(['sk-a']), 'retry:\n  maxAttempts: 1\n');
    expect((await chat(r.url)).status).toBe(200);
    const other = await call(r.url, '/v1/chat/completions', { ...chatBody('hi'), model: 'no-such-model' }, { signal: AbortSignal.timeout(10_000) });
    expect(other.status).toBe(404);
    expect(rateHeaders(other)).toEqual([]);
    r.sim.setKey('sk-a', { failRate: 1 });
    const failed = await chat(r.url);
    expect(failed.status).toBe(500);
    expect(num(failed, 'x-ratelimit-limit-requests')).toBe(60);
    expect(num(failed, 'x-ratelimit-remaining-requests')).toBe(57); // 59 learned, one more sent, less the trip margin
  });

  test('keymux’s own 429 (every key spent, no queueing) tells when the next request will go', async () => {
    const file = 'queue:\n  timeoutMs: 0\n';
    const r = await rig({ keys: { 'sk-a': { rpm: 2 } }, flavor: 'openai' }, openai(['sk-a']), file);
    expect((await chat(r.url)).status).toBe(200);
    const refused = await chat(r.url); // 1 left in the sim, but not with keymux's trip margin: refused here
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('KMX_ERR_ALL_KEYS_UNAVAILABLE');
    expect(num(refused, 'x-ratelimit-limit-requests')).toBe(2);
    expect(num(refused, 'x-ratelimit-remaining-requests')).toBe(0);
    r.clock.advance(goMs(refused.headers.get('x-ratelimit-reset-requests')));
    expect((await chat(r.url)).status).toBe(200);
    expect(r.sim.requests.map((q) => q.status)).toEqual([200, 200]);
  });

  test('a client pacing itself on remaining/reset gets no 429, and keymux sends none into one upstream', async () => {
    const keys = ['sk-a', 'sk-b', 'sk-c'];
    const r = await rig({ keys: Object.fromEntries(keys.map((k) => [k, { rpm: 6, group: `org-${k}` }])), flavor: 'openai' }, openai(keys));
    const N = 60; // over three minutes of the pool's 18 a minute
    const statuses: number[] = [];
    const started = r.clock.now();
    let waits = 0;
    for (let i = 0; i < N; i++) {
      const res = await chat(r.url, `req ${i}`);
      statuses.push(res.status);
      if (num(res, 'x-ratelimit-remaining-requests') === 0) {
        waits++;
        r.clock.advance(goMs(res.headers.get('x-ratelimit-reset-requests')));
      }
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(r.sim.requests).toHaveLength(N); // one upstream request each: no retries
    expect(r.sim.requests.filter((q) => q.status !== 200)).toEqual([]);
    expect(waits).toBeGreaterThan(0);
    // Paced to the pool, not to one key: after the first full buckets, 18 a minute (10% for keymux's 200 ms trip
    // margin per wait); one key's pace would have taken three times as long.
    expect(r.clock.now() - started).toBeLessThan(1.1 * ((N - 18) / 18) * 60_000);
  });
});
