import { describe, expect, it } from 'vitest';
import { goodput, perMs, runWindows } from './windows-sim.js';
import type { PoolEvents } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok } from './helpers.js';

const MIN = 60_000;

describe('learned pacing for any window (no headers, hintless 429s)', () => {
  for (const [name, limit, windowMs] of [
    ['1 s', 3, 1_000],
    ['10 s', 10, 10_000],
    ['60 s', 40, 60_000],
  ] as const) {
    it(`a ${name} window: at 2× demand, near the capacity within a few windows, few 429s, the window learned`, async () => {
      const accounts = [{ limit, windowMs, keys: 1 }, { limit, windowMs, keys: 1 }];
      const duration = Math.max(3 * MIN, 20 * windowMs);
      const r = await runWindows({ accounts, demand: [{ atMs: 0, load: 2 }], durationMs: duration, seed: 3 });
      const cap = perMs(accounts);
      // From the fourth window on (a minute for the short ones: the slow start and the first cuts settle).
      const from = Math.max(4 * windowMs, windowMs < 10_000 ? 60_000 : 0);
      expect(goodput(r, from, duration, cap)).toBeGreaterThan(0.9);
      expect(r.rateLimited / r.attempts).toBeLessThan(0.06);
      const snap = r.pool.snapshot().keys;
      for (const k of snap) {
        const b = k.budgets?.['*'];
        expect(b?.pacedRpm).toBeGreaterThan(0);
        // The pace sits at the account's rate: neither a minute's worth for a second's window nor far above it.
        expect(b!.pacedRpm!).toBeLessThan(1.6 * (limit * MIN) / windowMs);
        expect(b!.pacedRpm!).toBeGreaterThan(0.6 * (limit * MIN) / windowMs);
      }
      // The window is learned from the first burst where the burst is large enough to tell (within 2×).
      if (limit >= 10) {
        const ws = snap.map((k) => k.budgets?.['*']?.windowMs).filter((w): w is number => w !== undefined);
        expect(ws.length).toBeGreaterThan(0);
        for (const w of ws) expect(w).toBeGreaterThan(windowMs / 2.5), expect(w).toBeLessThan(windowMs * 2);
      }
      r.pool.close();
      await flush();
    });
  }

  it('below capacity (0.7×) every request succeeds and 429s stay rare after the first window', async () => {
    const accounts = [{ limit: 10, windowMs: 10_000, keys: 1 }, { limit: 40, windowMs: 60_000, keys: 1 }];
    const r = await runWindows({ accounts, demand: [{ atMs: 0, load: 0.7 }], durationMs: 10 * MIN, seed: 5 });
    expect(r.failed + r.refused).toBe(0);
    const late = r.limited.slice(60).reduce((a, b) => a + b, 0);
    const lateAttempts = r.ok.slice(60).reduce((a, b) => a + b, 0) + late;
    expect(late / lateAttempts).toBeLessThan(0.02);
    r.pool.close();
    await flush();
  });

  it('capacity that doubles is found within a few windows; when it halves back the pace follows', async () => {
    const accounts = [{ limit: 10, windowMs: 10_000, keys: 1 }, { limit: 10, windowMs: 10_000, keys: 1 }];
    const r = await runWindows({
      accounts,
      demand: [{ atMs: 0, load: 3 }],
      capacity: [
        { atMs: 4 * MIN, factor: 2 },
        { atMs: 8 * MIN, factor: 1 },
      ],
      durationMs: 12 * MIN,
      seed: 11,
    });
    const cap = perMs(accounts);
    // From 5 windows (50 s) after the doubling, at least 80% of the doubled capacity.
    expect(goodput(r, 4 * MIN + 50_000, 8 * MIN, 2 * cap)).toBeGreaterThan(0.8);
    // Halved back: 429s settle again (the last three minutes under 6%).
    const ok = r.ok.slice(540).reduce((a, b) => a + b, 0);
    const lim = r.limited.slice(540).reduce((a, b) => a + b, 0);
    expect(lim / (ok + lim)).toBeLessThan(0.06);
    expect(goodput(r, 9 * MIN, 12 * MIN, cap)).toBeGreaterThan(0.85);
    r.pool.close();
    await flush();
  });
});

describe('quota groups inferred from behaviour', () => {
  // A and B share a project keymux was not told about; C is its own account and keeps getting through.
  async function setup() {
    const { pool, clock } = makePool(3, { provider: 'nim' });
    const [a, b, c] = pool.snapshot().keys.map((k) => k.id) as [string, string, string];
    const events: PoolEvents['inferred'][] = [];
    pool.on('inferred', (e) => events.push(e));
    const on = async (id: string) => pool.acquire({ model: 'm', exclude: new Set([a, b, c].filter((x) => x !== id)), deadlineMs: 0 });
    /** One burst: C gets through, then A and B are both refused within a few ms. */
    const together = async () => {
      (await on(c)).report(ok);
      clock.advance(100);
      const la = await on(a);
      const lb = await on(b);
      clock.advance(60);
      la.report(limited());
      lb.report(limited());
      clock.advance(10_000);
    };
    /** A is refused while B, sent just after it, gets through: they do not share. */
    const apart = async () => {
      const la = await on(a);
      clock.advance(50);
      const lb = await on(b);
      clock.advance(60);
      la.report(limited());
      clock.advance(600);
      lb.report(ok);
      clock.advance(60_000); // past the cooldown and whatever pace the merged group learned
    };
    return { pool, clock, a, b, c, events, together, apart };
  }

  it('never merges on one coincidence or two; three with nothing against merge them, said once, visible in the snapshot', async () => {
    const { pool, a, b, c, events, together } = await setup();
    await together();
    await together();
    expect(events).toEqual([]);
    await together();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ merged: true, confidence: 0.86 });
    expect(new Set(events[0]!.keyIds)).toEqual(new Set([a, b]));
    const snap = new Map(pool.snapshot().keys.map((k) => [k.id, k]));
    expect(snap.get(a)!.group).toBe(snap.get(b)!.group);
    expect(snap.get(a)!.group.startsWith('inferred:')).toBe(true);
    expect(snap.get(a)!.groupInferred).toEqual({ confidence: 0.86 });
    expect(snap.get(c)!.group).toBe(c);
    expect(snap.get(c)!.groupInferred).toBeUndefined();
    // More of the same evidence does not say it again.
    await together();
    expect(events).toHaveLength(1);
    pool.close();
  });

  it('later evidence that contradicts a merge undoes it', async () => {
    const { pool, a, b, events, together, apart } = await setup();
    for (let i = 0; i < 3; i++) await together();
    expect(events.filter((e) => e.merged)).toHaveLength(1);
    for (let i = 0; i < 4; i++) await apart();
    const split = events.filter((e) => !e.merged);
    expect(split).toHaveLength(1);
    const snap = new Map(pool.snapshot().keys.map((k) => [k.id, k]));
    expect(snap.get(a)!.group).toBe(a);
    expect(snap.get(b)!.group).toBe(b);
    pool.close();
  });

  it('keys refused only when every account is (a flood past the whole pool) are not merged', async () => {
    const { pool, clock, a, b, c, events } = await setup();
    const on = async (id: string) => pool.acquire({ model: 'm', exclude: new Set([a, b, c].filter((x) => x !== id)), deadlineMs: 0 });
    for (let i = 0; i < 5; i++) {
      const ls = [await on(a), await on(b), await on(c)];
      clock.advance(60);
      for (const l of ls) l.report(limited());
      clock.advance(10_000);
    }
    expect(events).toEqual([]);
    pool.close();
  });

  it('keys whose own budgets each explain their refusals (a steady fit) are accounts of one size, not one project', async () => {
    // Five accounts of 3 a second at twice their capacity run out at the same moments while the others get
    // through: before the fits were heeded, these seeds merged 2 and 1 pairs of separate accounts.
    for (const seed of [1, 2]) {
      const accounts = Array.from({ length: 5 }, () => ({ limit: 3, windowMs: 1_000, keys: 1 }));
      const r = await runWindows({ accounts, demand: [{ atMs: 0, load: 2 }], durationMs: 60 * MIN, seed });
      expect(r.events.filter((e) => e.merged)).toEqual([]);
      for (const k of r.pool.snapshot().keys) expect(k.budgets?.['*']?.fitted?.windowMs).toBe(1_000);
      r.pool.close();
      await flush();
    }
  }, 120_000);

  it('a configured group is never inferred over', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), group: 'mine' }, { key: fakeKey(2), group: 'yours' }, fakeKey(3)], { provider: 'nim' });
    const events: unknown[] = [];
    pool.on('inferred', (e) => events.push(e));
    const ids = pool.snapshot().keys.map((k) => k.id);
    const on = async (i: number) => pool.acquire({ model: 'm', exclude: new Set(ids.filter((_, j) => j !== i)), deadlineMs: 0 });
    for (let r = 0; r < 4; r++) {
      (await on(2)).report(ok);
      clock.advance(100);
      const l0 = await on(0);
      const l1 = await on(1);
      clock.advance(60);
      l0.report(limited());
      l1.report(limited());
      clock.advance(10_000);
    }
    expect(events).toEqual([]);
    expect(pool.snapshot().keys.map((k) => k.group)).toEqual(['mine', 'yours', ids[2]]);
    pool.close();
  });
});
