import { describe, expect, it } from 'vitest';
import { strategies } from '../../src/pool/index.js';
import type { Candidate, StrategyName } from '../../src/pool/index.js';
import { drive, flush, makePool, ok, seeded } from './helpers.js';

function cand(order: number, over: Partial<Candidate> = {}): Candidate {
  return { id: `k${order}`, order, weight: 1, inFlight: 0, requests: 0, lastUsedAt: -Infinity, headroom: 1, maxConcurrent: Infinity, ...over };
}
const ctx = (lastOrder = -1, random = seeded(3)) => ({ lastOrder, random });

describe('strategies (pure)', () => {
  it('round-robin continues after the last pick, in configuration order, wrapping', () => {
    const c = [cand(0), cand(2), cand(3)];
    expect(strategies['round-robin'](c, ctx(-1))).toBe(0);
    expect(strategies['round-robin'](c, ctx(0))).toBe(1);
    expect(strategies['round-robin'](c, ctx(1))).toBe(1); // key 1 is not eligible: the next one is 2
    expect(strategies['round-robin'](c, ctx(3))).toBe(0);
  });

  it('least-used: fewest requests, ties by least recently used, then order', () => {
    const c = [cand(0, { requests: 5, lastUsedAt: 1 }), cand(1, { requests: 2, lastUsedAt: 9 }), cand(2, { requests: 2, lastUsedAt: 4 })];
    expect(strategies['least-used'](c, ctx())).toBe(2);
    expect(strategies['least-used']([cand(0, { requests: 1 }), cand(1, { requests: 1 })], ctx())).toBe(0);
  });

  it('lru: least recently used first, never-used before all', () => {
    const c = [cand(0, { lastUsedAt: 5 }), cand(1, { lastUsedAt: 3 }), cand(2, { lastUsedAt: 8 })];
    expect(strategies.lru(c, ctx())).toBe(1);
    expect(strategies.lru([...c, cand(3)], ctx())).toBe(3);
  });

  it('default: headroom first, then in-flight, then least used, then LRU', () => {
    expect(strategies.default([cand(0, { headroom: 0.2 }), cand(1, { headroom: 0.9 })], ctx())).toBe(1);
    // in-flight load divides headroom
    expect(strategies.default([cand(0, { headroom: 1, inFlight: 3 }), cand(1, { headroom: 0.6 })], ctx())).toBe(1);
    expect(strategies.default([cand(0, { inFlight: 1 }), cand(1, { inFlight: 0, requests: 50 })], ctx())).toBe(1);
    expect(strategies.default([cand(0, { requests: 9 }), cand(1, { requests: 3 })], ctx())).toBe(1);
    expect(strategies.default([cand(0, { requests: 3, lastUsedAt: 7 }), cand(1, { requests: 3, lastUsedAt: 2 })], ctx())).toBe(1);
    // near-equal headroom (same 1/20 step) falls through to least used
    expect(strategies.default([cand(0, { headroom: 0.51, requests: 8 }), cand(1, { headroom: 0.5, requests: 1 })], ctx())).toBe(1);
  });

  it('default: a known budget already counts what is in flight, so in-flight load does not divide its headroom', () => {
    const known = { budgeted: true };
    expect(strategies.default([cand(0, { ...known, headroom: 0.8, inFlight: 3 }), cand(1, { ...known, headroom: 0.6 })], ctx())).toBe(0);
    // a concurrency cap still counts: a key with one slot of four left has a quarter of its headroom
    const capped = { ...known, maxConcurrent: 4 };
    expect(strategies.default([cand(0, { ...capped, headroom: 1, inFlight: 3 }), cand(1, { ...capped, headroom: 0.5 })], ctx())).toBe(1);
  });

  it('default: among keys with as much left, the one whose account was given the least of its capacity', () => {
    const full = { budgeted: true, headroom: 1 };
    // key 1 took more requests, but relative to its budget it was given less
    expect(strategies.default([cand(0, { ...full, spent: 3, requests: 30 }), cand(1, { ...full, spent: 1, requests: 100 })], ctx())).toBe(1);
    // unknown shares fall through to in-flight and least used
    expect(strategies.default([cand(0, { ...full, spent: Number.NaN, requests: 5 }), cand(1, { ...full, spent: 1, requests: 9 })], ctx())).toBe(0);
  });

  it('default: between two keys of exactly known capacity (fitted), the share decides whatever the headroom', () => {
    const exact = { budgeted: true, exact: true };
    // 0.9 against 0.85 or 0.65 (18 against 17 or 13 twentieths): the one given less of its capacity goes first.
    expect(strategies.default([cand(0, { ...exact, headroom: 0.9, spent: 5 }), cand(1, { ...exact, headroom: 0.85, spent: 4 })], ctx())).toBe(1);
    expect(strategies.default([cand(0, { ...exact, headroom: 0.9, spent: 5 }), cand(1, { ...exact, headroom: 0.65, spent: 4 })], ctx())).toBe(1);
    // Given alike: headroom decides.
    expect(strategies.default([cand(0, { ...exact, headroom: 0.9, spent: 4 }), cand(1, { ...exact, headroom: 0.65, spent: 4 })], ctx())).toBe(0);
    // A guessed capacity on either side: headroom decides, as before.
    expect(strategies.default([cand(0, { ...exact, headroom: 0.9, spent: 5 }), cand(1, { budgeted: true, headroom: 0.85, spent: 4 })], ctx())).toBe(0);
  });

  it('weighted picks in proportion to weight; random covers every key', () => {
    const c = [cand(0, { weight: 1 }), cand(1, { weight: 3 }), cand(2, { weight: 0 })];
    const n = [0, 0, 0];
    const r = seeded(11);
    for (let i = 0; i < 8000; i++) n[strategies.weighted(c, { lastOrder: -1, random: r })]!++;
    expect(n[2]).toBe(0);
    expect(n[1]! / n[0]!).toBeGreaterThan(2.6);
    expect(n[1]! / n[0]!).toBeLessThan(3.4);
    const m = [0, 0, 0];
    for (let i = 0; i < 3000; i++) m[strategies.random([cand(0), cand(1), cand(2)], { lastOrder: -1, random: r })]!++;
    for (const x of m) expect(x).toBeGreaterThan(800);
  });
});

describe('strategies in a pool', () => {
  async function order(strategy: StrategyName, n: number, keys = 3): Promise<number[]> {
    const { pool, clock } = makePool(keys, { strategy });
    const ids = pool.snapshot().keys.map((k) => k.id);
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      clock.advance(1); // lru needs time to pass between uses
      const l = await pool.acquire({ model: 'm' });
      out.push(ids.indexOf(l.keyId));
      l.report(ok);
    }
    await flush();
    return out;
  }

  it('round-robin cycles through the keys in order', async () => {
    expect(await order('round-robin', 7)).toEqual([0, 1, 2, 0, 1, 2, 0]);
  });

  it('least-used and lru spread evenly on equal keys', async () => {
    expect(await order('least-used', 6)).toEqual([0, 1, 2, 0, 1, 2]);
    expect(await order('lru', 6)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  it('default shares a mixed pool in proportion to capacity below saturation (not request for request)', async () => {
    const { pool, clock } = makePool([
      { key: 'sk-test-fast-abcdefghijklmnop', rpm: 60 },
      { key: 'sk-test-slow-abcdefghijklmnop', rpm: 10 },
    ]);
    const [fast, slow] = pool.snapshot().keys.map((k) => k.id) as [string, string];
    const n = new Map<string, number>();
    // 35 requests a minute, half the pool's 70 rpm, for ten minutes
    for (let i = 0; i < 350; i++) {
      clock.advance(60_000 / 35);
      const l = await pool.acquire({ model: 'm' });
      n.set(l.keyId, (n.get(l.keyId) ?? 0) + 1);
      l.report(ok);
    }
    await flush();
    expect(n.get(fast)! / n.get(slow)!).toBeGreaterThan(5);
    expect(n.get(fast)! / n.get(slow)!).toBeLessThan(7);
  });

  it('default gives keys of configured rpm exactly their share of capacity, also under Poisson arrivals', async () => {
    const { pool, clock } = makePool([
      { key: 'sk-test-paid-abcdefghijklmnop', rpm: 100 },
      { key: 'sk-test-free1-abcdefghijklmnop', rpm: 10 },
      { key: 'sk-test-free2-abcdefghijklmnop', rpm: 10 },
    ]);
    const ids = pool.snapshot().keys.map((k) => k.id);
    const n = new Map<string, number>();
    const rnd = seeded(7);
    // 84 requests a minute (0.7 of the pool's 120) for 30 minutes, at exponential gaps: bursts and lulls.
    for (let i = 0; i < 84 * 30; i++) {
      clock.advance(Math.max(1, Math.round((-Math.log(1 - rnd()) * 60_000) / 84)));
      const l = await drive(clock, pool.acquire({ model: 'm' }));
      n.set(l.keyId, (n.get(l.keyId) ?? 0) + 1);
      l.report(ok);
    }
    await flush();
    // Each key's requests per unit of its capacity, least over most: 1 is an exact share. Headroom first (a
    // 10-deep budget's is coarse beside a 100-deep one's) gave the free keys 1.05 of the paid key's.
    const use = ids.map((id, i) => n.get(id)! / (i === 0 ? 100 : 10));
    expect(Math.min(...use) / Math.max(...use)).toBeGreaterThan(0.99);
  });

  it('default spreads concurrent requests by in-flight load', async () => {
    const { pool } = makePool(3);
    const leases = await Promise.all([0, 1, 2].map(() => pool.acquire({ model: 'm' })));
    expect(new Set(leases.map((l) => l.keyId)).size).toBe(3);
  });

  it('setStrategy switches at once', async () => {
    const { pool } = makePool(3, { strategy: 'lru' });
    pool.setStrategy('round-robin');
    expect(pool.snapshot().strategy).toBe('round-robin');
    expect(pool.strategy).toBe('round-robin');
  });
});
