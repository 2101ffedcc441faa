import { describe, expect, it } from 'vitest';
import { AbortError, AllKeysUnavailable, type KeyPool, type ManualClock } from '../../src/pool/index.js';
import { fakeKey, flush, makePool, ok } from './helpers.js';

const SLOT = 100;

interface Served {
  client: string | undefined;
  n: number;
  granted: number;
  finished: number;
}

/**
 * Queues `counts` requests per client (in that order, each client's numbered from 0) on a pool with one key
 * that takes one request at a time; each holds its key one SLOT. Runs the clock until all are served.
 */
async function serveAll(pool: KeyPool, clock: ManualClock, lanes: ReadonlyArray<{ client: string | undefined; count: number }>): Promise<Served[]> {
  const served: Served[] = [];
  let total = 0;
  for (const { client, count } of lanes) {
    for (let n = 0; n < count; n++, total++) {
      void pool.acquire({ model: 'm', deadlineMs: 10_000_000, ...(client !== undefined && { client }) }).then((lease) => {
        const granted = clock.now();
        clock.setTimer(() => {
          lease.report(ok);
          served.push({ client, n, granted, finished: clock.now() });
        }, SLOT);
      });
    }
  }
  await flush();
  while (served.length < total) {
    const at = clock.nextTimerAt();
    if (at === undefined) throw new Error('stuck');
    clock.advanceTo(at);
    await flush();
  }
  return served;
}

const single = () => makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);

describe('fair share in the wait queue', () => {
  it("a client's 10 requests behind another's 200 finish within about 2×10 service slots, not behind the 200", async () => {
    const { pool, clock } = single();
    const t0 = clock.now();
    const served = await serveAll(pool, clock, [{ client: 'a', count: 200 }, { client: 'b', count: 10 }]);
    const b = served.filter((s) => s.client === 'b');
    expect(b).toHaveLength(10);
    const lastB = Math.max(...b.map((s) => s.finished));
    // a's first request took the free key before anyone waited; then b and a alternate: b's last ends at slot 20.
    expect(lastB - t0).toBe(20 * SLOT);
    // Every request of a still gets served, after b's are done.
    expect(served.filter((s) => s.client === 'a')).toHaveLength(200);
    expect(Math.max(...served.map((s) => s.finished)) - t0).toBe(210 * SLOT);
  });

  it('without client names the queue is first come, first served (one lane)', async () => {
    const { pool, clock } = single();
    const t0 = clock.now();
    const served = await serveAll(pool, clock, [{ client: undefined, count: 20 }, { client: undefined, count: 3 }]);
    expect(served.map((s) => s.finished - t0)).toEqual(Array.from({ length: 23 }, (_, i) => (i + 1) * SLOT));
  });

  it('keeps each client in order (FIFO within a client) and alternates between clients', async () => {
    const { pool, clock } = single();
    const served = await serveAll(pool, clock, [{ client: 'a', count: 6 }, { client: 'b', count: 3 }, { client: undefined, count: 3 }]);
    for (const c of ['a', 'b', undefined]) {
      const ns = served.filter((s) => s.client === c).map((s) => s.n);
      expect(ns).toEqual([...ns].sort((x, y) => x - y));
    }
    // a0 took the free key without queueing, so a's lane goes last; then the lanes take turns.
    expect(served.map((s) => `${s.client ?? '-'}${s.n}`)).toEqual(['a0', 'b0', '-0', 'a1', 'b1', '-1', 'a2', 'b2', '-2', 'a3', 'a4', 'a5']);
  });

  it('a client that arrives later is served next, not after the flood already waiting', async () => {
    const { pool, clock } = single();
    const hold = await pool.acquire({ model: 'm', client: 'a' });
    const order: string[] = [];
    for (let i = 0; i < 50; i++) void pool.acquire({ model: 'm', client: 'a' }).then((l) => (order.push(`a${i}`), l.report(ok)));
    void pool.acquire({ model: 'm', client: 'late' }).then((l) => (order.push('late'), l.report(ok)));
    hold.report(ok);
    await flush();
    // a was served last (the held lease), so the late client goes first, then a's in order.
    expect(order.slice(0, 3)).toEqual(['late', 'a0', 'a1']);
    expect(order).toHaveLength(51);
  });

  it('an aborted waiter leaves its lane; the others of that client keep their order', async () => {
    const { pool } = single();
    const hold = await pool.acquire({ model: 'm' });
    const order: string[] = [];
    const ac = new AbortController();
    const errors: unknown[] = [];
    const add = (client: string, name: string, signal?: AbortSignal) =>
      void pool.acquire({ model: 'm', client, ...(signal && { signal }) }).then(
        (l) => (order.push(name), l.report(ok)),
        (e: unknown) => errors.push(e),
      );
    add('a', 'a0');
    add('b', 'b0');
    add('b', 'b1', ac.signal);
    add('b', 'b2');
    add('a', 'a1');
    expect(pool.waiting).toBe(5);
    ac.abort();
    await flush();
    expect(pool.waiting).toBe(4);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(AbortError);
    hold.report(ok);
    await flush();
    expect(order).toEqual(['a0', 'b0', 'a1', 'b2']);
    expect(pool.waiting).toBe(0);
  });

  it("a waiter past its deadline is refused without disturbing the other lanes", async () => {
    const { pool, clock } = single();
    const hold = await pool.acquire({ model: 'm' });
    const settled: string[] = [];
    const add = (client: string, name: string, deadlineMs: number) =>
      void pool.acquire({ model: 'm', client, deadlineMs }).then(
        (l) => (settled.push(`${name} served`), l.report(ok)),
        (e: unknown) => settled.push(`${name} ${e instanceof AllKeysUnavailable ? 'expired' : String(e)}`),
      );
    add('a', 'a0', 10_000);
    add('b', 'b0', 1_000);
    add('a', 'a1', 10_000);
    clock.advance(1_000);
    await flush();
    expect(settled).toEqual(['b0 expired']);
    expect(pool.waiting).toBe(2);
    hold.report(ok);
    await flush();
    expect(settled).toEqual(['b0 expired', 'a0 served', 'a1 served']);
  });
});
