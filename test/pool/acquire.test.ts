import { describe, expect, it } from 'vitest';
import { AbortError, AllKeysUnavailable, KeyPool, PoolClosedError, keyId, maskKey } from '../../src/pool/index.js';
import type { Lease } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok } from './helpers.js';

/** Records how a promise settles without awaiting it (the ManualClock decides when). */
function track<T>(p: Promise<T>) {
  const s: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (v) => Object.assign(s, { value: v, done: true }),
    (e: unknown) => Object.assign(s, { error: e, done: true }),
  );
  return s;
}

describe('acquire / lease', () => {
  it('lends a key with its id, masked form, group and model; the secret only via lease.key', async () => {
    const { pool, clock } = makePool([fakeKey(1)]);
    const l = await pool.acquire({ model: 'gpt-x' });
    expect(l.keyId).toBe(keyId(fakeKey(1)));
    expect(l.masked).toBe(maskKey(fakeKey(1)));
    expect(l.group).toBe(l.keyId); // its own group by default
    expect(l.model).toBe('gpt-x');
    expect(l.acquiredAt).toBe(clock.now());
    expect(l.key).toBe(fakeKey(1));
    expect(JSON.stringify(l)).not.toContain(fakeKey(1));
    expect(l.released).toBe(false);
  });

  it('release is idempotent, report after release is ignored, the slot is always freed', async () => {
    const { pool } = makePool(1);
    const l = await pool.acquire({ model: 'm' });
    expect(pool.snapshot().keys[0]!.inFlight).toBe(1);
    l.release();
    l.release();
    l.report(limited(60_000));
    const k = pool.snapshot().keys[0]!;
    expect(k.inFlight).toBe(0);
    expect(k.status).toBe('active'); // the late 429 was ignored
    expect(k.failures).toEqual({ cancelled: 1 });
    expect(l.released).toBe(true);
  });

  it('a second report is ignored', async () => {
    const { pool } = makePool(1);
    const l = await pool.acquire({ model: 'm' });
    l.report(ok);
    l.report({ kind: 'auth_failed' });
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'active', successes: 1, failures: {} });
  });

  it('excludes the keys it is told to', async () => {
    const { pool } = makePool(2);
    const [a, b] = pool.snapshot().keys.map((k) => k.id);
    const l = await pool.acquire({ model: 'm', exclude: new Set([a!]) });
    expect(l.keyId).toBe(b);
  });
});

describe('the wait queue', () => {
  it('waits for a slot under maxConcurrent and gets the freed key', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }, { key: fakeKey(2), maxConcurrent: 1 }]);
    const a = await pool.acquire({ model: 'm' });
    const b = await pool.acquire({ model: 'm' });
    const c = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(c.done).toBe(false);
    expect(pool.waiting).toBe(1);
    b.report(ok);
    await flush();
    expect(c.value?.keyId).toBe(b.keyId);
    a.release();
    c.value!.release();
  });

  it('is FIFO: waiters are served in arrival order', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const first = await pool.acquire({ model: 'm' });
    const order: number[] = [];
    const waits = [0, 1, 2, 3].map((i) =>
      pool.acquire({ model: 'm' }).then((l) => {
        order.push(i);
        return l;
      }),
    );
    first.release();
    for (let i = 0; i < 4; i++) {
      await flush();
      (await waits[i]!).release();
    }
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it('a new request does not jump waiters whose key came due before their timer fired', async () => {
    // A real clock's timer can run late: here timers never fire, time just moves.
    let t = 1_000_000;
    const lazyClock = { now: () => t, setTimer: () => ({ cancel() {} }) };
    const pool = new KeyPool({ keys: [{ key: fakeKey(1), maxConcurrent: 1 }], clock: lazyClock });
    (await pool.acquire({ model: 'm' })).report(limited(1_000));
    const w = track(pool.acquire({ model: 'm' }));
    t += 1_000;
    const late = track(pool.acquire({ model: 'm', deadlineMs: 0 }));
    await flush();
    expect(w.value).toBeDefined();
    expect(late.error).toBeInstanceOf(AllKeysUnavailable);
  });

  it('rejects at the deadline with the reason and a retry time', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const held = await pool.acquire({ model: 'm' });
    const w = track(pool.acquire({ model: 'm', deadlineMs: 5_000 }));
    clock.advance(4_999);
    await flush();
    expect(w.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(w.error).toBeInstanceOf(AllKeysUnavailable);
    expect(w.error).toMatchObject({ reason: 'all_busy', code: 'KMX_ERR_ALL_KEYS_UNAVAILABLE', name: 'AllKeysUnavailable' });
    expect(pool.waiting).toBe(0);
    held.release();
  });

  it('deadlineMs 0 rejects at once when nothing is eligible', async () => {
    const { pool } = makePool(1);
    (await pool.acquire({ model: 'm' })).report(limited(7_000));
    const err = await pool.acquire({ model: 'm', deadlineMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllKeysUnavailable);
    expect(err).toMatchObject({ reason: 'all_cooling', retryAfterMs: 7_000 });
  });

  it('does not wait when nothing can be ready before the deadline', async () => {
    const { pool } = makePool(1);
    (await pool.acquire({ model: 'm' })).report(limited(60_000));
    const err = await pool.acquire({ model: 'm', deadlineMs: 10_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'all_cooling', retryAfterMs: 60_000 });
  });

  it('waits for a cooldown that ends before the deadline, woken by the clock', async () => {
    const { pool, clock } = makePool(1);
    (await pool.acquire({ model: 'm' })).report(limited(3_000));
    const w = track(pool.acquire({ model: 'm', deadlineMs: 10_000 }));
    clock.advance(2_999);
    await flush();
    expect(w.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(w.value).toBeDefined();
  });

  it('rejects with queue_full beyond maxQueue', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }], { maxQueue: 2 });
    const held = await pool.acquire({ model: 'm' });
    const w1 = track(pool.acquire({ model: 'm' }));
    const w2 = track(pool.acquire({ model: 'm' }));
    const err = await pool.acquire({ model: 'm' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'queue_full' });
    held.release();
    await flush();
    expect(w1.value).toBeDefined();
    expect(w2.done).toBe(false);
    w1.value!.release();
    await flush();
    w2.value!.release();
  });

  it('no_keys and all_disabled reject at once', async () => {
    const empty = new KeyPool({ keys: [] });
    await expect(empty.acquire({ model: 'm' })).rejects.toMatchObject({ reason: 'no_keys' });
    const { pool } = makePool(2);
    for (const k of pool.snapshot().keys) pool.disable(k.id, 'test');
    await expect(pool.acquire({ model: 'm' })).rejects.toMatchObject({ reason: 'all_disabled' });
  });

  it('aborting the signal removes the waiter at once with an AbortError', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const held = await pool.acquire({ model: 'm' });
    const ac = new AbortController();
    const w = track(pool.acquire({ model: 'm', signal: ac.signal }));
    const next = track(pool.acquire({ model: 'm' }));
    expect(pool.waiting).toBe(2);
    ac.abort();
    await flush();
    expect(pool.waiting).toBe(1);
    expect(w.error).toBeInstanceOf(AbortError);
    expect((w.error as Error).name).toBe('AbortError');
    held.release();
    await flush();
    expect(next.value).toBeDefined(); // the slot went to the next waiter, not the aborted one
    next.value!.release();
    expect(pool.snapshot().keys[0]!.inFlight).toBe(0);
  });

  it('an already aborted signal rejects without waiting', async () => {
    const { pool } = makePool(1);
    const ac = new AbortController();
    ac.abort();
    await expect(pool.acquire({ model: 'm', signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('close() rejects waiters and later acquires; leases still out release cleanly', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const held: Lease = await pool.acquire({ model: 'm' });
    const w = track(pool.acquire({ model: 'm' }));
    pool.close();
    await flush();
    expect(w.error).toBeInstanceOf(PoolClosedError);
    await expect(pool.acquire({ model: 'm' })).rejects.toBeInstanceOf(PoolClosedError);
    held.report(ok);
    expect(pool.snapshot().keys[0]!.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});
