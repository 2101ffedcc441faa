// Key state changes as log lines (issue #16): warn when a key goes out for long, info when it comes back; short
// rate-limit cooldowns are counted, not logged; the masked key and the reason, never the secret.
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { keyId, type KeyPool, type PoolEvents } from '../../src/pool/index.js';
import { KeyEventLog, maskReason } from '../../src/server/events-log.js';
import type { Runtime } from '../../src/server/runtime.js';
import { call, chatBody, openaiEnv, start, type Harness } from './helpers.js';

const ADMIN = 'adm-secret-events-0123456789';
const KEYS = { good: 'sk-events-good-aaaaaaaaaaaa', dead: 'sk-events-dead-bbbbbbbbbbbb', broke: 'sk-events-broke-cccccccccccc', busy: 'sk-events-busy-dddddddddddd' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const events = () => h!.logs.entries().filter((e) => typeof e.msg === 'string' && (e.msg as string).startsWith('key '));

describe('key events in the log', () => {
  test('disabled and exhausted at warn with provider, ids, masked key, scope, reason and until; enabled at info', async () => {
    h = await start({
      sim: { keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true }, [KEYS.broke]: { quotaExhausted: true } } },
      env: openaiEnv(`${KEYS.dead},${KEYS.broke},${KEYS.good}`, { KEYMUX_ADMIN_KEY: ADMIN, KEYMUX_STRATEGY: 'round-robin' }),
    });
    for (let i = 0; i < 4; i++) expect((await call(h.url, '/v1/chat/completions', chatBody(`q${i}`))).status).toBe(200);
    const disabled = events().find((e) => e.msg === 'key disabled');
    expect(disabled).toMatchObject({ level: 40, provider: 'openai', keyId: keyId(KEYS.dead), model: '*', reason: expect.any(String) });
    expect(disabled!.key).toMatch(/…/);
    const exhausted = events().find((e) => e.msg === 'key exhausted');
    expect(exhausted).toMatchObject({ level: 40, provider: 'openai', keyId: keyId(KEYS.broke), until: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    const r = await call(h.url, `/admin/keys/${keyId(KEYS.dead)}/enable`, {}, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(r.status).toBe(200);
    expect(events().find((e) => e.msg === 'key enabled')).toMatchObject({ level: 30, keyId: keyId(KEYS.dead) });
    for (const line of h.logs.lines) for (const s of Object.values(KEYS)) expect(line).not.toContain(s);
  });

  test('a rate-limit cooldown of seconds is counted in metrics, not logged; one over a minute is logged', async () => {
    h = await start({ sim: { keys: { [KEYS.busy]: {} } }, env: openaiEnv(KEYS.busy) });
    const pool = h.server.runtime.providers.get('openai')!.pool;
    const lease = await pool.acquire({ model: 'gpt-4o-mini' });
    lease.report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 2_000 });
    expect(events()).toEqual([]);
    const m = await call(h.url, '/metrics');
    expect(m.text).toContain(`keymux_key_cooldowns_total{provider="openai",key="${keyId(KEYS.busy)}"} 1`);
    pool.enable(keyId(KEYS.busy));
    const again = await pool.acquire({ model: 'gpt-4o-mini' });
    again.report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 300_000, reason: 'rate_limit_exceeded' });
    expect(events().find((e) => e.msg === 'key cooling')).toMatchObject({ level: 40, keyId: keyId(KEYS.busy), reason: 'rate_limit_exceeded' });
  });

  test('a key sounded (its limits unknown, sent all the traffic it takes) is said once at info, by id', () => {
    const handlers = new Map<string, (e: unknown) => void>();
    const pool = { on: (name: string, f: (e: unknown) => void) => handlers.set(name, f) } as unknown as KeyPool;
    const rt = { eachPool: (f: (name: string, p: KeyPool) => void) => f('nvidia_nim', pool), clock: { now: () => 0 } } as unknown as Runtime;
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ base: undefined, timestamp: false }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
    new KeyEventLog(rt, logger);
    const e: PoolEvents['sounding'] = { keyId: keyId(KEYS.good), group: keyId(KEYS.good) };
    handlers.get('sounding')!(e);
    expect(lines).toEqual([{ level: 30, provider: 'nvidia_nim', keyId: keyId(KEYS.good), group: keyId(KEYS.good), msg: expect.stringMatching(/^key of unknown limits sounded/) }]);
  });

  test('a reason quoting a key is masked', () => {
    expect(maskReason('Incorrect API key provided: sk-proj-abcdefghijklmnopqrstuvwxyz', undefined)).toBe('Incorrect API key provided: sk-proj-***');
  });
});
