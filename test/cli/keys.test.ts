// The CLI's key commands (issue #16): `keys check` validates every key against the simulator (table, JSON, exit
// codes, no secret printed); `keys list|disable|enable` and `stats` talk to a running server; `--help` lists
// every flag and environment variable.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ENV_SETTINGS } from '../../src/config/schema.js';
import { keyId } from '../../src/pool/index.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { openaiEnv, start, type Harness } from '../server/helpers.js';
import { run } from './run.js';

const KEYS = { good: 'sk-cli-good-aaaaaaaaaaaa', dead: 'sk-cli-dead-bbbbbbbbbbbb' };
const ADMIN = 'adm-cli-secret-0123456789';
const LONG = 30_000;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true } } });
});
afterAll(() => sim.close());

const noSecret = (text: string) => {
  for (const s of [...Object.values(KEYS), ADMIN]) expect(text).not.toContain(s);
};

describe('keymux keys check', () => {
  test('a table of every key, the revoked one invalid, exit 1', { timeout: LONG }, async () => {
    const r = await run(['keys', 'check'], openaiEnv(`${KEYS.good},${KEYS.dead}`)(sim));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/PROVIDER\s+KEY ID\s+KEY\s+STATUS\s+LATENCY\s+REASON/);
    expect(r.out).toMatch(new RegExp(`openai\\s+${keyId(KEYS.good)}\\s+\\S+\\s+valid\\s+\\d+ ms`));
    expect(r.out).toMatch(new RegExp(`openai\\s+${keyId(KEYS.dead)}\\s+\\S+\\s+INVALID \\(auth_failed\\)`));
    expect(r.out).toContain('2 key(s) checked, 1 invalid');
    noSecret(r.out + r.err);
  });

  test('--json --provider: all valid, exit 0', { timeout: LONG }, async () => {
    const r = await run(['keys', 'check', '--json', '--provider', 'openai'], openaiEnv(KEYS.good)(sim));
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { keys: Array<Record<string, unknown>> };
    expect(body.keys).toEqual([expect.objectContaining({ provider: 'openai', id: keyId(KEYS.good), valid: true, outcome: 'ok', status: 200 })]);
    expect((await run(['keys', 'check', '--provider', 'nosuch'], openaiEnv(KEYS.good)(sim))).code).toBe(2);
  });
});

describe('admin commands against a running server', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await start({ sim, env: openaiEnv(`${KEYS.good},${KEYS.dead}`, { KEYMUX_ADMIN_KEY: ADMIN }) });
  });
  afterAll(() => h.server.close(1_000));

  test('keys list, disable, enable, stats; a wrong admin key exits 1 with the reason', { timeout: LONG }, async () => {
    const env = { KEYMUX_URL: h.url, KEYMUX_ADMIN_KEY: ADMIN };
    const list = await run(['keys', 'list'], env);
    expect(list.code).toBe(0);
    expect(list.out).toContain(keyId(KEYS.good));
    expect(list.out).toMatch(/LABEL\s+TIER\s+STATE/);
    const off = await run(['keys', 'disable', keyId(KEYS.good)], env);
    expect(off.code).toBe(0);
    expect(off.out).toContain('disabled');
    const on = await run(['keys', 'enable', keyId(KEYS.good), '--json'], env);
    expect(JSON.parse(on.out)).toMatchObject({ key: { id: keyId(KEYS.good), state: 'active' } });
    const st = await run(['stats'], env);
    expect(st.code).toBe(0);
    expect(() => JSON.parse(st.out) as unknown).not.toThrow();
    // Usage per key tier (both keys are tier 1 here), so a user sees what an overflow tier took.
    expect(JSON.parse(st.out)).toMatchObject({ providers: [{ provider: 'openai', byTier: [{ tier: 1, keys: 2 }] }] });
    const bad = await run(['keys', 'list', '--admin-key', 'wrong-key'], { KEYMUX_URL: h.url });
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('KMX_ERR_UNAUTHORIZED');
    noSecret(list.out + off.out + on.out + st.out + bad.err);
  });
});

describe('--help', () => {
  test('every command lists its flags, and the environment it reads', { timeout: LONG }, async () => {
    const root = await run(['--help']);
    expect(root.code).toBe(0);
    for (const c of ['serve', 'keys', 'stats']) expect(root.out).toContain(c);
    for (const args of [['serve'], ['keys', 'check']]) {
      const r = await run([...args, '--help']);
      expect(r.code).toBe(0);
      for (const { vars } of ENV_SETTINGS) for (const v of vars) expect(r.out, `${args.join(' ')}: ${v}`).toContain(v);
    }
    const serve = await run(['serve', '--help']);
    for (const f of ['--port', '--host', '--config', '--allow-plaintext-keys']) expect(serve.out).toContain(f);
    const list = await run(['keys', 'list', '--help']);
    for (const f of ['--url', '--admin-key', '--provider', '--json', 'KEYMUX_URL', 'KEYMUX_ADMIN_KEY']) expect(list.out).toContain(f);
  });
});
