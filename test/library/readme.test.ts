import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyPool, adapterFor } from 'keymux';
import { startSimulator, type Simulator } from '../sim/index.js';

/**
 * The README's "library in ten lines", run as written against the simulator (only the URL differs), and a
 * check that the README still says exactly this, so the example cannot rot.
 */
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

let sim: Simulator;
let base: string;
beforeAll(async () => {
  sim = await startSimulator({ keys: { 'sk-aaa': { rpm: 1 }, 'sk-bbb': {}, 'sk-ccc': {} } });
  base = sim.url + '/v1';
});
afterAll(() => sim.close());

describe('README library example', () => {
  it('is the code the README shows', () => {
    const src = readFileSync(new URL(import.meta.url)).toString();
    const start = src.indexOf('\n', src.lastIndexOf('// begin README example')) + 1;
    const end = src.lastIndexOf('  // end of README example');
    const example = src
      .slice(start, end)
      .replace(/^ {2}/gm, '')
      .replace('`${base}/chat/completions`', "'https://api.openai.com/v1/chat/completions'")
      .trim();
    expect(README).toContain(example);
  });

  it('runs, retries a 429 on another key, and reads the answer', async () => {
    // The first key allows one request a minute: the second call is refused there and retried elsewhere.
    const results: unknown[] = [];
    for (let i = 0; i < 3; i++) {
  // begin README example
  const pool = new KeyPool({ provider: 'openai', keys: ['sk-aaa', 'sk-bbb', { key: 'sk-ccc', rpm: 60 }] });
  const { value } = await pool.run('gpt-4o-mini', async (lease) => {
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${lease.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await res.json();
    return { outcome: res.ok ? { kind: 'ok' } : res.status === 429 ? { kind: 'rate_limited', scope: 'group' } : { kind: 'server_error' }, value: body };
  });
  // end of README example
      results.push(value);
    }
    for (const v of results) expect(v).toMatchObject({ choices: [{ message: { content: 'echo: hi' } }] });
    expect(sim.requests.some((r) => r.status === 429)).toBe(true);
  });

  it('classifies with a provider adapter as the README says', async () => {
    const openai = adapterFor('openai');
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-nope', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    const outcome = openai.classify({ status: res.status, headers: Object.fromEntries(res.headers), body: await res.json() }, { now: Date.now(), model: 'gpt-4o-mini' });
    expect(outcome.kind).toBe('auth_failed');
  });
});
