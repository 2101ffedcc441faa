// Issue #13 (4): an ambiguous refusal (auth_suspect: a 403 that may be the key's or the request's) does not disable
// a key on first sight. The key sits out briefly (10 s, then 20 s); the third in a row with no success between
// disables it; a success clears the count. In run(), the same refusal from a second key is the request's.
import { describe, expect, it } from 'vitest';
import type { KeyPool, Lease, Outcome, PoolEvents } from '../../src/pool/index.js';
import { flush, makePool, ok } from './helpers.js';

const refused: Outcome = { kind: 'auth_suspect', status: 403, reason: 'forbidden' };

async function eligible(pool: KeyPool, model = 'm'): Promise<number[]> {
  const ids = pool.snapshot().keys.map((k) => k.id);
  const held: Lease[] = [];
  for (;;) {
    const l = await pool.acquire({ model, deadlineMs: 0, exclude: new Set(held.map((h) => h.keyId)) }).catch(() => undefined);
    if (!l) break;
    held.push(l);
  }
  for (const l of held) l.release();
  return held.map((l) => ids.indexOf(l.keyId)).sort();
}

/** Reports `o` on key 0 (the others excluded). */
async function onFirst(pool: KeyPool, o: Outcome): Promise<void> {
  const others = new Set(pool.snapshot().keys.slice(1).map((k) => k.id));
  (await pool.acquire({ model: 'm', deadlineMs: 600_000, exclude: others })).report(o);
}

function record<K extends keyof PoolEvents>(pool: KeyPool, name: K): PoolEvents[K][] {
  const seen: PoolEvents[K][] = [];
  pool.on(name, (e) => seen.push(e));
  return seen;
}

describe('auth_suspect', () => {
  it('one refusal: a short backoff, not a disable; the key comes back by itself', async () => {
    const { pool, clock } = makePool(2);
    const disabled = record(pool, 'disabled');
    await onFirst(pool, refused);
    expect(disabled).toEqual([]);
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'cooling', cooldownUntil: clock.now() + 10_000, failures: { auth_suspect: 1 } });
    expect(pool.snapshot().keys[0]!.reason).toMatch(/refused.*forbidden/);
    expect(await eligible(pool)).toEqual([1]);
    clock.advance(10_000);
    expect(await eligible(pool)).toEqual([0, 1]);
  });

  it('the third in a row with no success between disables the key; the backoff doubles before', async () => {
    const { pool, clock } = makePool(2);
    const disabled = record(pool, 'disabled');
    await onFirst(pool, refused);
    clock.advance(10_000);
    await onFirst(pool, refused);
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'cooling', cooldownUntil: clock.now() + 20_000 });
    clock.advance(20_000);
    // Other failures between do not count as a success.
    await onFirst(pool, { kind: 'server_error', status: 500 });
    await onFirst(pool, { kind: 'rate_limited', scope: 'group', retryAfterMs: 1 });
    clock.advance(1);
    expect(disabled).toEqual([]);
    await onFirst(pool, refused);
    expect(disabled).toHaveLength(1);
    expect(disabled[0]!.reason).toMatch(/forbidden.*3/);
    expect(pool.snapshot().keys[0]!.status).toBe('disabled');
    clock.advance(3_600_000);
    expect(await eligible(pool)).toEqual([1]);
  });

  it('a success clears the count', async () => {
    const { pool, clock } = makePool(2);
    for (let round = 0; round < 3; round++) {
      await onFirst(pool, refused);
      clock.advance(10_000);
      await onFirst(pool, refused);
      clock.advance(20_000);
      await onFirst(pool, ok);
    }
    expect(pool.snapshot().keys[0]!.status).toBe('active');
    expect(pool.snapshot().keys[0]!.failures.auth_suspect).toBe(6);
  });

  it('enable() forgets the refusals', async () => {
    const { pool, clock } = makePool(2);
    await onFirst(pool, refused);
    clock.advance(10_000);
    await onFirst(pool, refused);
    expect(pool.enable(pool.snapshot().keys[0]!.id)).toBe(true);
    expect(await eligible(pool)).toEqual([0, 1]);
    await onFirst(pool, refused);
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'cooling', cooldownUntil: clock.now() + 10_000 });
  });

  it('a single-key pool: the key waits out its backoff and is tried again, disabled only on the third', async () => {
    const { pool, clock } = makePool(1);
    await onFirst(pool, refused);
    await expect(pool.acquire({ model: 'm', deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_refused' });
    const next = pool.acquire({ model: 'm', deadlineMs: 30_000 });
    clock.advance(10_000);
    await expect(next).resolves.toBeDefined();
    (await next).release();
    await flush();
  });
});

describe('run() and ambiguous refusals', () => {
  it('retries on another key; the same refusal from a second key is the request’s: returned, and that key is not blamed', async () => {
    const { pool } = makePool(3, { retryBackoffMs: 0 });
    const used: string[] = [];
    const r = await pool.run('m', async (lease) => {
      used.push(lease.keyId);
      return { outcome: refused, value: lease.keyId };
    }, { maxAttempts: 3 });
    expect(r.attempts).toBe(2);
    expect(r.outcome.kind).toBe('client_error');
    expect(r.outcome.reason).toMatch(/forbidden/);
    const snap = pool.snapshot().keys;
    const byId = new Map(snap.map((k) => [k.id, k]));
    expect(byId.get(used[0]!)).toMatchObject({ status: 'cooling', failures: { auth_suspect: 1 } });
    expect(byId.get(used[1]!)).toMatchObject({ status: 'active', failures: { client_error: 1 } });
  });

  it('a dead key is stepped over invisibly: the retry on another key succeeds', async () => {
    const { pool } = makePool(2, { retryBackoffMs: 0 });
    const first = pool.snapshot().keys[0]!.id;
    let n = 0;
    const r = await pool.run('m', async (lease) => {
      n++;
      return { outcome: lease.keyId === first ? refused : ok, value: lease.keyId };
    }, { maxAttempts: 3 });
    expect(r.outcome.kind).toBe('ok');
    expect(n).toBeLessThanOrEqual(2);
  });
});
