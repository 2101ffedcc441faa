import { describe, expect, it } from 'vitest';
import { narrow, sumViews } from '../../src/pool/index.js';
import type { KeyPool, LearnedLimits, Lease, LimitView, Outcome } from '../../src/pool/index.js';
import { fakeKey, flush, makePool } from './helpers.js';

/**
 * A reading of a 60-per-minute bucket (one unit a second) with `left` of it in the bucket: reset is the time
 * to fill the rest, so the pool recovers the exact level (budget.ts), e.g. left 59.2 → remaining 59, reset 800 ms.
 */
function reading(left: number, limit = 60): LearnedLimits['requests'] {
  return { limit, remaining: Math.floor(left), resetMs: Math.round(((limit - left) * 60_000) / limit) };
}
const okWith = (limits: LearnedLimits): Outcome => ({ kind: 'ok', limits });
/** The pool meets a learned budget 200 ms of refill after its edge (select.ts TRIP_MS): 0.2 of a unit at 60 rpm. */
const TRIP = 200;

async function report(pool: KeyPool, limits: LearnedLimits, model = 'm'): Promise<void> {
  (await pool.acquire({ model })).report(okWith(limits));
}

function canTake(pool: KeyPool, model = 'm'): Promise<Lease | undefined> {
  return pool.acquire({ model, deadlineMs: 0 }).catch(() => undefined);
}

describe('KeyPool.capacity', () => {
  it('knows nothing before any limit was learned or configured: no dimension at all', async () => {
    const { pool } = makePool(3);
    expect(pool.capacity('m')).toEqual({});
    (await pool.acquire({ model: 'm' })).report({ kind: 'ok' });
    expect(pool.capacity('m')).toEqual({});
  });

  it('sums the learned budgets of the keys, less the trip margin the pool keeps', async () => {
    const { pool } = makePool(3);
    for (let i = 0; i < 3; i++) await report(pool, { requests: reading(59.2), tokens: { limit: 10_000, remaining: 9_000, resetMs: 6_000 } });
    // Each key's level is 59.2 (the report's own request already counted by the provider): 59.2 − 0.2 → 59.
    const v = pool.capacity('m');
    expect(v.requests).toEqual({ limit: 180, remaining: 177, resetMs: 800 });
    expect(v.tokens?.limit).toBe(30_000);
    expect(v.tokens?.remaining).toBe(3 * Math.floor(9_000 - (10_000 / 60_000) * TRIP));
    expect(v.tokens?.resetMs).toBe(6_000);
  });

  it('counts a quota group shared by several keys once', async () => {
    const { pool } = makePool([
      { key: fakeKey(1), group: 'org' },
      { key: fakeKey(2), group: 'org' },
      { key: fakeKey(3) },
    ]);
    for (let i = 0; i < 3; i++) await report(pool, { requests: reading(30.2) });
    const v = pool.capacity('m');
    expect(v.requests?.limit).toBe(120); // org once (60) + key 3 (60)
    expect(v.requests?.remaining).toBe(60);
  });

  it('counts each (group, model) scope once, for the model asked about, when limits are per model', async () => {
    const { pool } = makePool([{ key: fakeKey(1), group: 'org' }, { key: fakeKey(2), group: 'org' }], { limitsPerModel: true });
    await report(pool, { requests: reading(10.2, 20) }, 'small');
    await report(pool, { requests: reading(5.4, 100) }, 'big'); // 5.4 − 0.33 of margin at 100 rpm
    await report(pool, { requests: reading(5.4, 100) }, 'big');
    expect(pool.capacity('small').requests).toMatchObject({ limit: 20, remaining: 10 });
    expect(pool.capacity('big').requests).toMatchObject({ limit: 100, remaining: 5 });
    expect(pool.capacity('other')).toEqual({});
  });

  it('leaves disabled keys out', async () => {
    const { pool } = makePool(2);
    await report(pool, { requests: reading(20.2) });
    await report(pool, { requests: reading(20.2) });
    expect(pool.capacity('m').requests?.limit).toBe(120);
    pool.disable(pool.snapshot().keys[0]!.id);
    expect(pool.capacity('m').requests).toMatchObject({ limit: 60, remaining: 20 });
  });

  it('counts a cooling key at its limit with nothing remaining; all cooling: reset when the first comes back', async () => {
    const { pool, clock } = makePool(2);
    await report(pool, { requests: reading(20.2) });
    await report(pool, { requests: reading(20.2) });
    const ids = pool.snapshot().keys.map((k) => k.id);
    const first = await pool.acquire({ model: 'm', exclude: new Set([ids[1]!]) });
    first.report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 5_000 });
    expect(pool.capacity('m').requests).toMatchObject({ limit: 120, remaining: 20 });
    const second = await pool.acquire({ model: 'm' });
    second.report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 8_000 });
    expect(pool.capacity('m').requests).toEqual({ limit: 120, remaining: 0, resetMs: 5_000 });
    clock.advance(5_000);
    await flush();
    expect(await canTake(pool)).toBeDefined();
  });

  it('falls back to the configured rpm/tpm windows, counting dispatches in flight', async () => {
    const { clock, pool } = makePool([{ key: fakeKey(1), rpm: 10, tpm: 1_000 }, { key: fakeKey(2), rpm: 5 }]);
    expect(pool.capacity('m')).toEqual({ requests: { limit: 15, remaining: 15, resetMs: 0 }, tokens: { limit: 1_000, remaining: 1_000, resetMs: 0 } });
    const lease = await pool.acquire({ model: 'm', estimatedTokens: 300 }); // still in flight
    clock.advance(1_000);
    expect(pool.capacity('m').requests).toEqual({ limit: 15, remaining: 14, resetMs: 59_000 });
    expect(pool.capacity('m').tokens?.remaining).toBe(lease.keyId === pool.snapshot().keys[0]!.id ? 700 : 1_000);
    lease.report({ kind: 'ok' });
  });

  it('prefers a learned budget to the configured window of the same dimension', async () => {
    const { pool } = makePool([{ key: fakeKey(1), rpm: 10 }]);
    await report(pool, { requests: reading(40.2) });
    expect(pool.capacity('m').requests).toMatchObject({ limit: 60, remaining: 40 });
  });

  it('counts requests dispatched and still in flight as spent', async () => {
    const { pool } = makePool(1);
    await report(pool, { requests: reading(10.2) });
    const a = await pool.acquire({ model: 'm' });
    const b = await pool.acquire({ model: 'm' });
    expect(pool.capacity('m').requests?.remaining).toBe(8);
    a.release();
    b.release();
    expect(pool.capacity('m').requests?.remaining).toBe(8); // released is not refunded: the provider counted them
  });

  it('with nothing left, resets when the pool takes the next request (so a client waiting that long is served)', async () => {
    const { pool, clock } = makePool(1);
    await report(pool, { requests: reading(0) });
    const v = pool.capacity('m').requests!;
    expect(v).toEqual({ limit: 60, remaining: 0, resetMs: 1_000 + TRIP });
    clock.advance(v.resetMs - 1);
    expect(await canTake(pool)).toBeUndefined();
    clock.advance(1);
    const lease = await canTake(pool);
    expect(lease).toBeDefined();
    lease!.release();
  });

  it('uses a daily budget where no per-minute one is known (Groq counts requests per day)', async () => {
    const { pool } = makePool(1);
    await report(pool, { requestsPerDay: { limit: 1_000, remaining: 400, resetMs: 3_600_000 } });
    expect(pool.capacity('m').requests).toEqual({ limit: 1_000, remaining: 400, resetMs: 3_600_000 });
  });

  it('computes once per millisecond while nothing changes, and again after a grant', async () => {
    const { pool } = makePool(1);
    await report(pool, { requests: reading(10.2) });
    const v = pool.capacity('m');
    expect(pool.capacity('m')).toBe(v);
    const lease = await pool.acquire({ model: 'm' });
    expect(pool.capacity('m').requests?.remaining).toBe(9);
    lease.release();
  });
});

describe('narrow and sumViews', () => {
  const pool: LimitView = { requests: { limit: 100, remaining: 40, resetMs: 30_000 }, tokens: { limit: 1e6, remaining: 5e5, resetMs: 20_000 } };

  it('takes the lower remaining and limit of the client and the pool, and the reset of the side that binds', () => {
    expect(narrow(pool)).toBe(pool);
    const client: LimitView = { requests: { limit: 10, remaining: 0, resetMs: 4_000 } };
    expect(narrow(pool, client)).toEqual({ requests: { limit: 10, remaining: 0, resetMs: 4_000 }, tokens: pool.tokens });
    const roomy: LimitView = { requests: { limit: 50, remaining: 45, resetMs: 50_000 } };
    expect(narrow(pool, roomy).requests).toEqual({ limit: 50, remaining: 40, resetMs: 50_000 });
    const both: LimitView = { requests: { limit: 0, remaining: 0, resetMs: 1_000 } };
    expect(narrow({ requests: { limit: 5, remaining: 0, resetMs: 3_000 } }, both).requests).toEqual({ limit: 0, remaining: 0, resetMs: 3_000 });
    expect(narrow({}, client)).toEqual(client);
  });

  it('sums pools: limits and remaining add up; all empty: the soonest reset', () => {
    const other: LimitView = { requests: { limit: 20, remaining: 0, resetMs: 2_000 } };
    expect(sumViews([pool, other, {}])).toEqual({ requests: { limit: 120, remaining: 40, resetMs: 30_000 }, tokens: pool.tokens });
    const empty: LimitView = { requests: { limit: 20, remaining: 0, resetMs: 9_000 } };
    expect(sumViews([other, empty]).requests).toEqual({ limit: 40, remaining: 0, resetMs: 2_000 });
    expect(sumViews([])).toEqual({});
  });
});
