import { describe, expect, it } from 'vitest';
import { refillRate } from '../../src/pool/budget.js';
import type { KeyPool, LearnedLimits, Lease, Outcome } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok } from './helpers.js';

const reqs = (limit: number, remaining: number, resetMs: number): LearnedLimits => ({ requests: { limit, remaining, resetMs } });
/** A learned budget is met a network trip (200 ms of refill) after its estimated edge (select.ts). */
const TRIP = 200;
const okWith = (limits: LearnedLimits, extra: Partial<Outcome> = {}): Outcome => ({ kind: 'ok', limits, ...extra }) as Outcome;

async function canTake(pool: KeyPool, opts: { model?: string; estimatedTokens?: number } = {}): Promise<Lease | undefined> {
  return pool.acquire({ model: opts.model ?? 'm', deadlineMs: 0, ...(opts.estimatedTokens ? { estimatedTokens: opts.estimatedTokens } : {}) }).catch(() => undefined);
}

describe('learned budgets', () => {
  it('refill rate: a floored remaining does not overstate a per-minute bucket', () => {
    // 10 rpm, true level 0.9 → remaining 0, reset 54.6 s: (10-0)/54.6s would be 11 rpm
    expect(refillRate(10, 0, 54_600) * 60_000).toBeCloseTo(10);
    // a bucket that is not per-minute keeps the reading's own rate
    expect(refillRate(100, 0, 10_000) * 60_000).toBeCloseTo(600);
    expect(refillRate(100, 100, 0) * 60_000).toBeCloseTo(100);
  });

  it('stops picking a group at remaining 0 and waits for the refill instead of sending into a 429', async () => {
    const { pool, clock } = makePool(1);
    // 60 rpm, nothing left, full again in 60 s: one request per second refills
    (await pool.acquire({ model: 'm' })).report(okWith(reqs(60, 0, 60_000)));
    expect(await canTake(pool)).toBeUndefined();
    const waiting = pool.acquire({ model: 'm' });
    let got = false;
    void waiting.then(() => (got = true));
    clock.advance(1_000 + TRIP - 1);
    await flush();
    expect(got).toBe(false);
    clock.advance(1);
    await flush();
    expect(got).toBe(true); // woken by the timer at the refill (plus a network trip), not by polling
    expect(pool.snapshot().keys[0]!.budgets).toEqual({ '*': { requestsRemaining: 0 } });
  });

  it('counts requests in flight and dispatched after the reading', async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire({ model: 'm' });
    const b = await pool.acquire({ model: 'm' }); // dispatched after a: a's reading does not include it
    a.report(okWith(reqs(100, 3, 58_200))); // exactly 3 left (100 rpm, 97 to refill)
    const c = await canTake(pool);
    expect(c).toBeDefined(); // 3 remaining − b = 2; after c the last one waits for a bit more refill
    expect(await canTake(pool)).toBeUndefined();
    b.release();
    c!.release();
  });

  it('ignores a reading older than the one it holds', async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire({ model: 'm' });
    const b = await pool.acquire({ model: 'm' });
    b.report(okWith(reqs(100, 50, 30_000)));
    a.report(okWith(reqs(100, 0, 60_000))); // older news, arriving late
    expect(await canTake(pool)).toBeDefined();
  });

  it('two keys of one group share the budget', async () => {
    const { pool } = makePool([{ key: fakeKey(1), group: 'org' }, { key: fakeKey(2), group: 'org' }]);
    (await pool.acquire({ model: 'm' })).report(okWith(reqs(60, 2, 58_000)));
    const l = await canTake(pool);
    expect(l).toBeDefined();
    expect(await canTake(pool)).toBeUndefined(); // the other key of the org has no budget of its own
  });

  it('token budgets hold back a request larger than what is left', async () => {
    const { pool, clock } = makePool(1);
    (await pool.acquire({ model: 'm' })).report(okWith({ tokens: { limit: 60_000, remaining: 1_000, resetMs: 59_000 } }));
    expect(await canTake(pool, { estimatedTokens: 5_000 })).toBeUndefined();
    const small = await canTake(pool, { estimatedTokens: 500 });
    expect(small).toBeDefined();
    clock.advance(4_500 + TRIP); // +4,700 tokens refilled (1,000/s), 500 taken: 5,200 left, a trip's refill more than asked
    expect(await canTake(pool, { estimatedTokens: 5_000 })).toBeDefined();
  });

  it('a daily budget keeps the group out until its reset', async () => {
    const { pool, clock } = makePool(1);
    (await pool.acquire({ model: 'm' })).report(okWith({ requestsPerDay: { limit: 1000, remaining: 0, resetMs: 3_600_000 } }));
    expect(await canTake(pool)).toBeUndefined();
    await expect(pool.acquire({ model: 'm' })).rejects.toMatchObject({ reason: 'all_cooling', retryAfterMs: 3_600_000 });
    clock.advance(3_600_000);
    expect(await canTake(pool)).toBeDefined();
  });

  it('per model when limits are per model', async () => {
    const { pool } = makePool(1, { limitsPerModel: true });
    (await pool.acquire({ model: 'a' })).report(okWith(reqs(10, 0, 60_000)));
    expect(await canTake(pool, { model: 'a' })).toBeUndefined();
    expect(await canTake(pool, { model: 'b' })).toBeDefined();
    expect(pool.snapshot().keys[0]!.budgets).toMatchObject({ a: { requestsRemaining: 0 } });
  });
});

describe('configured limits', () => {
  it('rpm: a sliding minute', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), rpm: 2 }]);
    (await pool.acquire({ model: 'm' })).report(ok);
    clock.advance(10_000);
    (await pool.acquire({ model: 'm' })).report(ok);
    expect(await canTake(pool)).toBeUndefined();
    clock.advance(49_999);
    expect(await canTake(pool)).toBeUndefined();
    clock.advance(1);
    expect(await canTake(pool)).toBeDefined();
  });

  it('rpd: counted per UTC day, rolling over at 00:00 UTC (not 24 h after each request)', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), rpd: 3 }]);
    // The manual clock starts at 2023-11-14T22:13:20Z: 1 h 46 min 40 s before midnight UTC.
    for (let i = 0; i < 3; i++) (await pool.acquire({ model: 'm' })).report(ok);
    clock.advance(40 * 60_000);
    expect(await canTake(pool)).toBeUndefined();
    await expect(pool.acquire({ model: 'm' })).rejects.toMatchObject({ reason: 'all_cooling', retryAfterMs: 4_000_000 });
    clock.advance(4_000_000);
    expect(new Date(clock.now()).toISOString()).toBe('2023-11-15T00:00:00.000Z');
    for (let i = 0; i < 3; i++) (await pool.acquire({ model: 'm' })).report(ok);
    expect(await canTake(pool)).toBeUndefined();
  });

  it('tpm: counts estimated tokens', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), tpm: 10_000 }]);
    (await pool.acquire({ model: 'm', estimatedTokens: 8_000 })).report(ok);
    expect(await canTake(pool, { estimatedTokens: 3_000 })).toBeUndefined();
    expect(await canTake(pool, { estimatedTokens: 2_000 })).toBeDefined();
    clock.advance(60_000);
    expect(await canTake(pool, { estimatedTokens: 9_000 })).toBeDefined();
  });

  it('maxConcurrent caps leases in flight; other keys still serve', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 2 }, { key: fakeKey(2), maxConcurrent: 1 }]);
    const held = [await canTake(pool), await canTake(pool), await canTake(pool)];
    expect(held.every(Boolean)).toBe(true);
    expect(await canTake(pool)).toBeUndefined();
    await expect(pool.acquire({ model: 'm', deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_busy' });
    held[0]!.release();
    expect(await canTake(pool)).toBeDefined();
  });
});

describe('learned pacing (no rate-limit headers)', () => {
  it('after a 429 paces the group to the successes of the last minute, relaxing on success', async () => {
    const { pool, clock } = makePool(1);
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      (await pool.acquire({ model: 'm' })).report(ok);
    }
    (await pool.acquire({ model: 'm' })).report(limited(2_000));
    expect(pool.snapshot().keys[0]!.budgets).toEqual({ '*': { pacedRpm: 10 } });
    clock.advance(2_000);
    const first = await canTake(pool);
    expect(first).toBeDefined();
    first!.report(ok);
    // 10 rpm: the next one is 6 s after the previous dispatch, not before
    clock.advance(5_999);
    expect(await canTake(pool)).toBeUndefined();
    clock.advance(1);
    const second = await canTake(pool);
    expect(second).toBeDefined();
    second!.report(ok);
    expect(pool.snapshot().keys[0]!.budgets!['*']!.pacedRpm).toBeGreaterThan(10);
  });

  it('a fresh 429 under pacing cuts the pace; headers, once seen, replace it', async () => {
    const { pool, clock } = makePool(1);
    for (let i = 0; i < 20; i++) {
      clock.advance(1_000);
      (await pool.acquire({ model: 'm' })).report(ok);
    }
    (await pool.acquire({ model: 'm' })).report(limited(1_000));
    const p0 = pool.snapshot().keys[0]!.budgets!['*']!.pacedRpm!;
    clock.advance(10_000);
    (await pool.acquire({ model: 'm' })).report(limited(1_000));
    expect(pool.snapshot().keys[0]!.budgets!['*']!.pacedRpm).toBeLessThan(p0);
    clock.advance(60_000);
    (await pool.acquire({ model: 'm' })).report(okWith(reqs(100, 99, 600)));
    expect(pool.snapshot().keys[0]!.budgets).toEqual({ '*': { requestsRemaining: expect.any(Number) } });
  });
});

describe('learned concurrency', () => {
  it('a 429 with budget to spare while others were in flight caps the group at that many', async () => {
    const { pool } = makePool(1);
    const a = await pool.acquire({ model: 'm' });
    const b = await pool.acquire({ model: 'm' });
    const c = await pool.acquire({ model: 'm' });
    c.report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 1_000, limits: reqs(100, 90, 6_000) });
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'active', budgets: { '*': { maxConcurrent: 2 } } });
    expect(await canTake(pool)).toBeUndefined(); // two in flight: at the cap
    a.report(ok);
    const d = await canTake(pool);
    expect(d).toBeDefined();
    b.release();
    d!.release();
  });
});
