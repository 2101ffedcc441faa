// Recovery (issue #16): a revoked key fixed upstream comes back by itself within one re-check period, half-open
// first; a key an operator disabled stays off.
import { afterEach, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { call, chatBody, eventually, keySnapshots, openaiEnv, start, type Harness } from './helpers.js';

const KEYS = { good: 'sk-recover-good-aaaaaaaaaaaa', dead: 'sk-recover-dead-bbbbbbbbbbbb', off: 'sk-recover-off-cccccccccccc' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const key = (id: string) => keySnapshots(h!.server).find((k) => k.id === id)!;

describe('recovery', () => {
  test('a revoked key fixed upstream is re-checked on schedule and comes back half-open, then fully open', { timeout: 15_000 }, async () => {
    const period = 400;
    h = await start({
      sim: { keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true }, [KEYS.off]: { revoked: true } } },
      env: openaiEnv(`${KEYS.dead},${KEYS.good},${KEYS.off}`, { KEYMUX_STRATEGY: 'round-robin', KEYMUX_RECHECK_INTERVAL: `${period}ms` }),
    });
    const dead = keyId(KEYS.dead);
    const off = keyId(KEYS.off);
    for (let i = 0; i < 3; i++) expect((await call(h.url, '/v1/chat/completions', chatBody(`q${i}`))).status).toBe(200);
    expect(key(dead).status).toBe('disabled');
    h.server.runtime.providers.get('openai')!.pool.disable(off);

    h.sim.setKey(KEYS.dead, {});
    h.sim.setKey(KEYS.off, {});
    const fixedAt = Date.now();
    await eventually(() => key(dead).status === 'active', 3 * period, 'the fixed key re-enabled');
    expect(Date.now() - fixedAt).toBeLessThan(2 * period + 500);
    expect(key(dead).halfOpen).toEqual({ successes: 0, maxInFlight: 1 });
    expect(key(off).status).toBe('disabled');
    const lines = h.logs.entries();
    expect(lines.find((e) => e.msg === 'key re-checked' && e.keyId === dead)).toMatchObject({ level: 30, outcome: 'ok' });
    expect(lines.find((e) => e.msg === 'key enabled' && e.keyId === dead)).toBeDefined();

    for (let i = 0; i < 12; i++) expect((await call(h.url, '/v1/chat/completions', chatBody(`r${i}`))).status).toBe(200);
    expect(key(dead).halfOpen).toBeUndefined();
    expect(key(dead).successes).toBeGreaterThanOrEqual(5);
  });

  test('KEYMUX_RECHECK_INTERVAL=0 turns the schedule off; POST /admin/recheck checks now', async () => {
    const admin = 'adm-recover-0123456789';
    h = await start({
      sim: { keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true } } },
      env: openaiEnv(`${KEYS.dead},${KEYS.good}`, { KEYMUX_STRATEGY: 'round-robin', KEYMUX_RECHECK_INTERVAL: '0', KEYMUX_ADMIN_KEY: admin }),
    });
    for (let i = 0; i < 2; i++) await call(h.url, '/v1/chat/completions', chatBody(`q${i}`));
    h.sim.setKey(KEYS.dead, {});
    await new Promise((r) => setTimeout(r, 300));
    expect(key(keyId(KEYS.dead)).status).toBe('disabled');
    const r = await call(h.url, '/admin/recheck', {}, { headers: { authorization: `Bearer ${admin}` } });
    expect(r.status).toBe(200);
    expect(r.json.checked).toEqual([expect.objectContaining({ id: keyId(KEYS.dead), valid: true, outcome: 'ok' })]);
    expect(key(keyId(KEYS.dead))).toMatchObject({ status: 'active', halfOpen: { successes: 0, maxInFlight: 1 } });
    expect(r.text).not.toContain(KEYS.dead);
  });
});
