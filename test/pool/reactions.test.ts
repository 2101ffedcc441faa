import { describe, expect, it } from 'vitest';
import type { KeyPool, Lease, PoolEvents } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok } from './helpers.js';

/** Which keys can be had right now (deadline 0), by index in the configuration. */
async function eligible(pool: KeyPool, model = 'm'): Promise<number[]> {
  const ids = pool.snapshot().keys.map((k) => k.id);
  const got: number[] = [];
  const held: Lease[] = [];
  for (;;) {
    const l: Lease | undefined = await pool.acquire({ model, deadlineMs: 0, exclude: new Set(held.map((h) => h.keyId)) }).catch(() => undefined);
    if (!l) break;
    held.push(l);
    got.push(ids.indexOf(l.keyId));
  }
  for (const l of held) l.release();
  return got.sort();
}

function record<K extends keyof PoolEvents>(pool: KeyPool, name: K): PoolEvents[K][] {
  const seen: PoolEvents[K][] = [];
  pool.on(name, (e) => seen.push(e));
  return seen;
}

describe('rate_limited', () => {
  it('cools the key until retryAfterMs, never picks it before, and recovers by itself with an event', async () => {
    const { pool, clock } = makePool(2);
    const [a] = pool.snapshot().keys.map((k) => k.id);
    const cooldowns = record(pool, 'cooldown');
    const recovered = record(pool, 'recovered');
    const l = await pool.acquire({ model: 'm', exclude: new Set(pool.snapshot().keys.slice(1).map((k) => k.id)) });
    expect(l.keyId).toBe(a);
    l.report(limited(30_000));
    expect(cooldowns).toEqual([{ keyId: a, group: a, until: clock.now() + 30_000, reason: 'rate limited' }]);
    for (let t = 0; t < 30; t++) {
      expect(await eligible(pool)).toEqual([1]);
      clock.advance(999);
    }
    expect(recovered).toEqual([]);
    clock.advance(30);
    expect(recovered).toEqual([{ keyId: a, group: a }]); // the timer fired: no acquire was needed
    expect(await eligible(pool)).toEqual([0, 1]);
    expect(pool.snapshot().keys[0]!.status).toBe('active');
  });

  it('without a time: default cooldown doubling on fresh 429s, reset by a success, clamped', async () => {
    const { pool, clock } = makePool(1, { defaultCooldownMs: 1_000, maxCooldownMs: 5_000 });
    const until: number[] = [];
    pool.on('cooldown', (e) => until.push(e.until - clock.now()));
    for (let i = 0; i < 5; i++) {
      const p = pool.acquire({ model: 'm', deadlineMs: 60_000 });
      clock.advance(10_000);
      (await p).report(limited());
    }
    // each acquire waited out the previous cooldown, so each 429 is fresh
    expect(until).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('a success resets the exponent', async () => {
    const { pool, clock } = makePool(1);
    const until: number[] = [];
    pool.on('cooldown', (e) => until.push(e.until - clock.now()));
    const next = async () => {
      const p = pool.acquire({ model: 'm', deadlineMs: 60_000 });
      clock.advance(60_000);
      return p;
    };
    (await next()).report(limited());
    (await next()).report(limited());
    (await next()).report(ok);
    (await next()).report(limited());
    expect(until).toEqual([1_000, 2_000, 1_000]);
  });

  it('429s of requests sent before the cooldown do not grow it', async () => {
    const { pool, clock } = makePool(1);
    const until: number[] = [];
    pool.on('cooldown', (e) => until.push(e.until - clock.now()));
    const leases = await Promise.all([1, 2, 3].map(() => pool.acquire({ model: 'm' })));
    for (const l of leases) l.report(limited());
    expect(until).toEqual([1_000]);
  });

  it('clamps an absurd retry-after to maxCooldownMs', async () => {
    const { pool, clock } = makePool(1, { maxCooldownMs: 120_000 });
    (await pool.acquire({ model: 'm' })).report(limited(86_400_000));
    expect(pool.snapshot().keys[0]!.cooldownUntil).toBe(clock.now() + 120_000);
  });

  it("scope 'model' with limitsPerModel cools only that model", async () => {
    const { pool, clock } = makePool(1, { limitsPerModel: true });
    (await pool.acquire({ model: 'flash' })).report(limited(10_000, 'model'));
    expect(await eligible(pool, 'flash')).toEqual([]);
    expect(await eligible(pool, 'pro')).toEqual([0]);
    const k = pool.snapshot().keys[0]!;
    expect(k.status).toBe('active');
    expect(k.models).toEqual({ flash: { status: 'cooling', until: clock.now() + 10_000, reason: 'rate limited' } });
    clock.advance(10_000);
    expect(await eligible(pool, 'flash')).toEqual([0]);
  });

  it("scope 'model' without limitsPerModel cools the whole group", async () => {
    const { pool } = makePool(1);
    (await pool.acquire({ model: 'flash' })).report(limited(10_000, 'model'));
    expect(await eligible(pool, 'pro')).toEqual([]);
  });

  it('two keys of one group share the cooldown', async () => {
    const { pool } = makePool([{ key: fakeKey(1), group: 'org' }, { key: fakeKey(2), group: 'org' }, fakeKey(3)]);
    const events = record(pool, 'cooldown');
    (await pool.acquire({ model: 'm' })).report(limited(5_000));
    expect(await eligible(pool)).toEqual([2]);
    expect(events.map((e) => e.group)).toEqual(['org', 'org']); // one event per key of the group
    expect(pool.snapshot().keys.map((k) => k.status)).toEqual(['cooling', 'cooling', 'active']);
  });

  it('a group named by a response joins keys without a configured group', async () => {
    const { pool } = makePool([fakeKey(1), fakeKey(2), { key: fakeKey(3), group: 'mine' }]);
    const ids = pool.snapshot().keys.map((k) => k.id);
    for (const id of ids) {
      const l = await pool.acquire({ model: 'm', exclude: new Set(ids.filter((x) => x !== id)) });
      l.report({ kind: 'ok', group: 'org-42' });
    }
    expect(pool.snapshot().keys.map((k) => k.group)).toEqual(['org-42', 'org-42', 'mine']);
    (await pool.acquire({ model: 'm', exclude: new Set([ids[1]!, ids[2]!]) })).report(limited(5_000));
    expect(await eligible(pool)).toEqual([2]);
  });
});

describe('quota_exhausted', () => {
  it('is a long out (status exhausted), not a short cooldown', async () => {
    const { pool, clock } = makePool(2);
    const ex = record(pool, 'exhausted');
    (await pool.acquire({ model: 'm' })).report({ kind: 'quota_exhausted', scope: 'group', reason: 'insufficient_quota' });
    expect(ex).toHaveLength(1);
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'exhausted', reason: 'insufficient_quota', cooldownUntil: clock.now() + 3_600_000 });
    clock.advance(30 * 60_000);
    expect(await eligible(pool)).toEqual([1]);
    clock.advance(30 * 60_000);
    expect(await eligible(pool)).toEqual([0, 1]);
  });

  it('honours a reset time beyond maxCooldownMs (a daily quota)', async () => {
    const { pool, clock } = makePool(1);
    (await pool.acquire({ model: 'm' })).report({ kind: 'quota_exhausted', scope: 'group', retryAfterMs: 5 * 3_600_000 });
    expect(pool.snapshot().keys[0]!.cooldownUntil).toBe(clock.now() + 5 * 3_600_000);
    await expect(pool.acquire({ model: 'm' })).rejects.toMatchObject({ reason: 'all_exhausted', retryAfterMs: 5 * 3_600_000 });
  });

  it('a later short 429 does not downgrade it', async () => {
    const { pool } = makePool(1);
    const [a, b] = await Promise.all([pool.acquire({ model: 'm' }), pool.acquire({ model: 'm' })]);
    a.report({ kind: 'quota_exhausted', scope: 'group' });
    b.report(limited(1_000));
    expect(pool.snapshot().keys[0]!.status).toBe('exhausted');
  });
});

describe('auth_failed', () => {
  it('disables the key until enable(), whatever the time', async () => {
    const { pool, clock } = makePool(2);
    const [a] = pool.snapshot().keys.map((k) => k.id);
    const disabled = record(pool, 'disabled');
    const enabled = record(pool, 'enabled');
    (await pool.acquire({ model: 'm', exclude: new Set([pool.snapshot().keys[1]!.id]) })).report({ kind: 'auth_failed', reason: 'invalid_api_key' });
    expect(disabled).toEqual([{ keyId: a, reason: 'invalid_api_key' }]);
    for (let i = 0; i < 10; i++) {
      clock.advance(3_600_000);
      expect(await eligible(pool)).toEqual([1]);
    }
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'disabled', reason: 'invalid_api_key', disabledAt: expect.any(Number) });
    expect(pool.enable(a!)).toBe(true);
    expect(enabled).toEqual([{ keyId: a }]);
    expect(await eligible(pool)).toEqual([0, 1]);
    expect(pool.enable('nope')).toBe(false);
  });
});

describe("the provider's trouble", () => {
  it('one server_error or network failure does not punish; a streak backs off exponentially; ok resets', async () => {
    const { pool, clock } = makePool(2);
    const [a] = pool.snapshot().keys.map((k) => k.id);
    const onlyA = { exclude: new Set([pool.snapshot().keys[1]!.id]) };
    const fail = async (kind: 'server_error' | 'network') => (await pool.acquire({ model: 'm', deadlineMs: 60_000, ...onlyA })).report({ kind });
    await fail('server_error');
    await fail('network');
    expect(await eligible(pool)).toEqual([0, 1]);
    await fail('server_error'); // third in a row
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'cooling', reason: 'repeated failures', cooldownUntil: clock.now() + 1_000 });
    expect(await eligible(pool)).toEqual([1]);
    clock.advance(1_000);
    await fail('network');
    expect(pool.snapshot().keys[0]!.cooldownUntil).toBe(clock.now() + 2_000);
    clock.advance(2_000);
    (await pool.acquire({ model: 'm', ...onlyA })).report(ok);
    await fail('server_error');
    expect(await eligible(pool)).toEqual([0, 1]);
    expect(a).toBeDefined();
  });

  it('overloaded pauses the whole provider briefly, honouring retryAfterMs up to a cap', async () => {
    const { pool, clock } = makePool(3);
    (await pool.acquire({ model: 'm' })).report({ kind: 'overloaded' });
    expect(await eligible(pool)).toEqual([]);
    expect(pool.snapshot().pausedUntil).toBe(clock.now() + 500);
    clock.advance(500);
    expect(await eligible(pool)).toEqual([0, 1, 2]);
    (await pool.acquire({ model: 'm' })).report({ kind: 'overloaded', retryAfterMs: 60_000 });
    expect(pool.snapshot().pausedUntil).toBe(clock.now() + 5_000);
    // a waiter is woken when the pause ends
    const p = pool.acquire({ model: 'm' });
    clock.advance(5_000);
    await expect(p).resolves.toBeDefined();
  });

  it('client_error and cancelled cost the key nothing', async () => {
    const { pool } = makePool(1);
    for (let i = 0; i < 10; i++) {
      (await pool.acquire({ model: 'm' })).report({ kind: 'client_error', status: 400 });
      (await pool.acquire({ model: 'm' })).report({ kind: 'cancelled' });
    }
    await flush();
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'active', failures: { client_error: 10, cancelled: 10 } });
    expect(await eligible(pool)).toEqual([0]);
  });
});
