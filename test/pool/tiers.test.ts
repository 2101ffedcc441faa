import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllKeysUnavailable, keyId } from '../../src/pool/index.js';
import type { KeyConfig, KeyPool, Lease, StrategyName } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok, seeded } from './helpers.js';

/** Records how a promise settles without awaiting it (the ManualClock decides when). */
function track<T>(p: Promise<T>) {
  const s: { value?: T; error?: unknown; done: boolean } = { done: false };
  p.then(
    (v) => Object.assign(s, { value: v, done: true }),
    (e: unknown) => Object.assign(s, { error: e, done: true }),
  );
  return s;
}

const FREE = [1, 2, 3].map(fakeKey);
const PAID = fakeKey(9);
const free = (extra: Partial<KeyConfig> = {}): KeyConfig[] => FREE.map((key) => ({ key, ...extra }));
const paid = (extra: Partial<KeyConfig> = {}): KeyConfig => ({ key: PAID, tier: 2, ...extra });
const PAID_ID = keyId(PAID);

/** Acquires n leases one after another, reporting each ok; returns the key ids used. */
async function serveSequentially(pool: KeyPool, n: number): Promise<string[]> {
  const used: string[] = [];
  for (let i = 0; i < n; i++) {
    const l = await pool.acquire({ model: 'm' });
    used.push(l.keyId);
    l.report(ok);
  }
  return used;
}

describe('key tiers: tier 2 is overflow', () => {
  it.each<StrategyName>(['default', 'round-robin', 'least-used', 'lru', 'random', 'weighted'])(
    'a tier-2 key takes no request while tier-1 keys have room (%s)',
    async (strategy) => {
      // The paid key is listed first and weighs most: neither order nor weight outranks the tier.
      const { pool } = makePool([paid({ weight: 100 }), ...free()], { strategy });
      const used = await serveSequentially(pool, 60);
      expect(used).not.toContain(PAID_ID);
      expect(new Set(used).size).toBe(3);
      expect(pool.snapshot().keys.find((k) => k.id === PAID_ID)?.requests).toBe(0);
    },
  );

  it('concurrent load within tier-1 concurrency stays on tier 1', async () => {
    const { pool } = makePool([...free({ maxConcurrent: 2 }), paid()]);
    const leases = await Promise.all(Array.from({ length: 6 }, () => pool.acquire({ model: 'm' })));
    expect(leases.map((l) => l.keyId)).not.toContain(PAID_ID);
    for (const l of leases) l.report(ok);
  });

  it('overflow goes to tier 2 when every tier-1 key is cooling', async () => {
    const { pool } = makePool([...free(), paid()]);
    for (let i = 0; i < 3; i++) (await pool.acquire({ model: 'm' })).report(limited(60_000));
    const l = await pool.acquire({ model: 'm' });
    expect(l.keyId).toBe(PAID_ID);
    l.report(ok);
  });

  it('overflow goes to tier 2 when tier-1 keys are exhausted or disabled', async () => {
    const { pool } = makePool([...free(), paid()]);
    (await pool.acquire({ model: 'm' })).report({ kind: 'quota_exhausted', scope: 'group', retryAfterMs: 3_600_000 });
    (await pool.acquire({ model: 'm' })).report({ kind: 'auth_failed' });
    const third = await pool.acquire({ model: 'm' });
    expect(third.keyId).not.toBe(PAID_ID);
    third.report(ok);
    pool.disable(third.keyId);
    expect(pool.snapshot().keys.filter((k) => k.tier === 1).map((k) => k.status).sort()).toEqual(['disabled', 'disabled', 'exhausted']);
    const l = await pool.acquire({ model: 'm' });
    expect(l.keyId).toBe(PAID_ID);
    l.report(ok);
  });

  it('overflow goes to tier 2 when tier-1 budgets (configured rpm) are spent, and back when they refill', async () => {
    const { pool, clock } = makePool([...free({ rpm: 2 }), paid()]);
    const used = await serveSequentially(pool, 8);
    expect(used.slice(0, 6)).not.toContain(PAID_ID);
    expect(used.slice(6)).toEqual([PAID_ID, PAID_ID]);
    clock.advance(60_000);
    const back = await pool.acquire({ model: 'm' });
    expect(back.keyId).not.toBe(PAID_ID);
    back.report(ok);
  });

  it('a tier only busy (at its concurrency caps) spills at once: when a slot frees is unknowable', async () => {
    const { pool } = makePool([...free({ maxConcurrent: 1 }), paid()]);
    const held = await Promise.all([0, 1, 2].map(() => pool.acquire({ model: 'm' })));
    expect(held.map((l) => l.keyId)).not.toContain(PAID_ID);
    const l = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(l.value?.keyId).toBe(PAID_ID);
    for (const h of held) h.report(ok);
    l.value?.report(ok);
  });
});

describe('key tiers: a lower tier about to be ready is waited for (tierWaitMs)', () => {
  it('a tier-1 cooldown ending within tierWaitMs is waited for and serves the request', async () => {
    const { pool, clock } = makePool([FREE[0]!, paid()], { tierWaitMs: 300 });
    const first = await pool.acquire({ model: 'm' });
    first.report(limited(250));
    const w = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(w.done).toBe(false);
    expect(pool.waiting).toBe(1);
    clock.advance(249);
    await flush();
    expect(w.done).toBe(false);
    clock.advance(1);
    await flush();
    expect(w.value?.keyId).toBe(first.keyId);
    expect(pool.snapshot().keys.find((k) => k.id === PAID_ID)?.requests).toBe(0);
    w.value?.report(ok);
  });

  it('one ending beyond tierWaitMs is not: the request spills to tier 2 at once', async () => {
    const { pool } = makePool([FREE[0]!, paid()], { tierWaitMs: 300 });
    (await pool.acquire({ model: 'm' })).report(limited(301));
    const w = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(w.value?.keyId).toBe(PAID_ID);
  });

  it('tierWaitMs 0 spills at once', async () => {
    const { pool } = makePool([FREE[0]!, paid()], { tierWaitMs: 0 });
    (await pool.acquire({ model: 'm' })).report(limited(10));
    expect((await pool.acquire({ model: 'm' })).keyId).toBe(PAID_ID);
  });

  it('a request that cannot wait that long (deadlineMs) spills instead of failing', async () => {
    const { pool } = makePool([FREE[0]!, paid()], { tierWaitMs: 300 });
    (await pool.acquire({ model: 'm' })).report(limited(200));
    expect((await pool.acquire({ model: 'm', deadlineMs: 0 })).keyId).toBe(PAID_ID);
    expect((await pool.acquire({ model: 'm', deadlineMs: 150 })).keyId).toBe(PAID_ID);
  });

  it('in the queue too: one waiter is held for the key about to be ready, the next takes the freed tier-2 key', async () => {
    const { pool, clock } = makePool([FREE[0]!, paid({ maxConcurrent: 1 })], { tierWaitMs: 300 });
    (await pool.acquire({ model: 'm' })).report(limited(60_000));
    const p1 = await pool.acquire({ model: 'm' });
    expect(p1.keyId).toBe(PAID_ID);
    const w1 = track(pool.acquire({ model: 'm', deadlineMs: 120_000 }));
    const w2 = track(pool.acquire({ model: 'm', deadlineMs: 120_000 }));
    clock.advance(59_800); // the free key is back in 200 ms
    await flush();
    expect([w1.done, w2.done]).toEqual([false, false]);
    p1.report(ok); // the paid key frees: w1 waits for the free key, w2 need not
    await flush();
    expect(w1.done).toBe(false);
    expect(w2.value?.keyId).toBe(PAID_ID);
    clock.advance(200);
    await flush();
    expect(w1.value?.keyId).toBe(keyId(FREE[0]!));
  });

  it('with the wait queue full a request spills rather than being refused', async () => {
    const { pool } = makePool([FREE[0]!, paid()], { tierWaitMs: 300, maxQueue: 0 });
    (await pool.acquire({ model: 'm' })).report(limited(200));
    expect((await pool.acquire({ model: 'm' })).keyId).toBe(PAID_ID);
  });

  it('one key about to be ready holds one waiting request; the others spill at once', async () => {
    const { pool, clock } = makePool([FREE[0]!, paid()], { tierWaitMs: 300 });
    const first = await pool.acquire({ model: 'm' });
    first.report(limited(200));
    const a = track(pool.acquire({ model: 'm' }));
    const b = track(pool.acquire({ model: 'm' }));
    const c = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(a.done).toBe(false);
    expect(b.value?.keyId).toBe(PAID_ID);
    expect(c.value?.keyId).toBe(PAID_ID);
    clock.advance(200);
    await flush();
    expect(a.value?.keyId).toBe(first.keyId);
  });

  it('requests arriving while others are held are held too while there are tier-1 keys about to be ready for them', async () => {
    const { pool, clock } = makePool([FREE[0]!, FREE[1]!, paid()], { tierWaitMs: 300 });
    const x = await pool.acquire({ model: 'm' });
    const y = await pool.acquire({ model: 'm' });
    x.report(limited(200));
    y.report(limited(250));
    const a = track(pool.acquire({ model: 'm' }));
    clock.advance(10);
    const b = track(pool.acquire({ model: 'm' }));
    clock.advance(10);
    const c = track(pool.acquire({ model: 'm' }));
    await flush();
    expect(a.done).toBe(false);
    expect(b.done).toBe(false);
    expect(c.value?.keyId).toBe(PAID_ID);
    clock.advance(180);
    await flush();
    expect(a.value?.keyId).toBe(x.keyId);
    // x is back with room to spare (no limit of its own): b is served by it too, still on tier 1.
    expect(b.value?.keyId).toBe(x.keyId);
  });

  it('a lower-tier key whose budget refills soon is waited for only if it is not at its concurrency cap', async () => {
    const { pool, clock } = makePool([{ key: FREE[0]!, rpm: 1, maxConcurrent: 1 }, paid()], { tierWaitMs: 300 });
    const a = await pool.acquire({ model: 'm' });
    expect(a.keyId).toBe(keyId(FREE[0]!));
    clock.advance(59_900); // its rpm window frees in 100 ms, but the key is still busy with a
    const busy = await pool.acquire({ model: 'm' });
    expect(busy.keyId).toBe(PAID_ID);
    busy.report(ok);
    a.report(ok);
    const held = track(pool.acquire({ model: 'm' })); // now free, and ready in 100 ms: worth the wait
    await flush();
    expect(held.done).toBe(false);
    clock.advance(100);
    await flush();
    expect(held.value?.keyId).toBe(keyId(FREE[0]!));
  });
});

describe('key tiers: several tiers, reloads, snapshots', () => {
  it('spills tier by tier and returns to the lowest as soon as it has room', async () => {
    const t1 = fakeKey(11);
    const t2 = fakeKey(12);
    const t3 = fakeKey(13);
    // Listed highest tier first: the order of the list does not matter, the tier does.
    const { pool, clock } = makePool([{ key: t3, tier: 3 }, { key: t2, tier: 2 }, { key: t1, tier: 1 }], { tierWaitMs: 0 });
    const a = await pool.acquire({ model: 'm' });
    expect(a.keyId).toBe(keyId(t1));
    a.report(limited(1_000));
    const b = await pool.acquire({ model: 'm' });
    expect(b.keyId).toBe(keyId(t2));
    b.report(limited(5_000));
    const c = await pool.acquire({ model: 'm' });
    expect(c.keyId).toBe(keyId(t3));
    c.report(ok);
    clock.advance(1_000);
    const d = await pool.acquire({ model: 'm' });
    expect(d.keyId).toBe(keyId(t1));
    d.report(ok);
  });

  it('when no tier can serve, the reason is the same as without tiers', async () => {
    const { pool } = makePool([FREE[0]!, paid()]);
    (await pool.acquire({ model: 'm' })).report(limited(60_000));
    (await pool.acquire({ model: 'm' })).report(limited(90_000));
    const err = await pool.acquire({ model: 'm', deadlineMs: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllKeysUnavailable);
    expect(err).toMatchObject({ reason: 'all_cooling', retryAfterMs: 60_000 });
  });

  it('snapshots show each key tier; a reload that changes a tier applies it and keeps the key state', async () => {
    const { pool } = makePool([{ key: FREE[0]!, label: 'free' }, { key: PAID, tier: 2 }]);
    const l = await pool.acquire({ model: 'm' });
    l.report(ok);
    expect(pool.snapshot().keys.map((k) => [k.label ?? '', k.tier])).toEqual([['free', 1], ['', 2]]);
    pool.setKeys([{ key: FREE[0]!, tier: 3 }, { key: PAID, tier: 2 }]);
    const snap = pool.snapshot().keys;
    expect(snap.map((k) => k.tier)).toEqual([3, 2]);
    expect(snap[0]?.requests).toBe(1);
    expect((await pool.acquire({ model: 'm' })).keyId).toBe(PAID_ID);
  });

  it('a tier that is not a whole number from 1 counts as tier 1 (the config file reports it)', async () => {
    const { pool } = makePool([{ key: FREE[0]!, tier: 0 }, { key: FREE[1]!, tier: 1.5 }, { key: PAID, tier: 2 }]);
    expect(pool.snapshot().keys.map((k) => k.tier)).toEqual([1, 1, 2]);
  });
});

describe('key tiers: ten minutes of steady traffic on a ManualClock', () => {
  /** Requests every `everyMs` for `minutes`, each held 100 ms; returns upstream requests per tier and failures. */
  async function steady(everyMs: number, minutes: number) {
    const keys = [...Array.from({ length: 10 }, (_, i) => ({ key: fakeKey(100 + i), rpm: 6 })), paid()];
    const { pool, clock } = makePool(keys, { tierWaitMs: 300 });
    const perTier = new Map<number, number>();
    let failed = 0;
    const tierOf = new Map(pool.snapshot().keys.map((k) => [k.id, k.tier]));
    const open: Array<{ l: Lease; until: number }> = [];
    for (let t = 0; t < minutes * 60_000; t += 100) {
      if (t % everyMs === 0) {
        pool.acquire({ model: 'm' }).then(
          (l) => {
            perTier.set(tierOf.get(l.keyId)!, (perTier.get(tierOf.get(l.keyId)!) ?? 0) + 1);
            open.push({ l, until: clock.now() + 100 });
          },
          () => void failed++,
        );
      }
      await flush();
      clock.advance(100);
      for (let i = open.length - 1; i >= 0; i--) if (open[i]!.until <= clock.now()) open.splice(i, 1)[0]!.l.report(ok);
    }
    return { tier1: perTier.get(1) ?? 0, tier2: perTier.get(2) ?? 0, failed, waiting: pool.waiting };
  }

  it('at half of tier 1 capacity (30 of 60 rpm) the paid key takes nothing', async () => {
    const r = await steady(2_000, 10);
    expect(r).toMatchObject({ tier2: 0, failed: 0 });
    expect(r.tier1).toBe(300);
  });

  it('at twice tier 1 capacity (120 of 60 rpm) tier 1 gives all it has and the paid key takes the rest', async () => {
    const r = await steady(500, 10);
    expect(r.failed).toBe(0);
    // Ten keys at 6 rpm for ten minutes: 600 requests; the paid key the other ~600 of the 1,200.
    expect(r.tier1).toBeGreaterThanOrEqual(590);
    expect(r.tier1).toBeLessThanOrEqual(600);
    expect(r.tier1 + r.tier2 + r.waiting).toBe(1_200);
  });
});

describe('property: with one tier the choice is what it was without tiers', () => {
  it('same keys, same operations: a pool whose keys all share a tier picks exactly as an untiered one', async () => {
    const op = fc.oneof(
      fc.record({ op: fc.constant('acquire' as const), concurrentCap: fc.boolean() }),
      fc.record({ op: fc.constant('report' as const), i: fc.nat(), cool: fc.option(fc.integer({ min: 1, max: 5_000 }), { nil: undefined }) }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
    );
    const strategy = fc.constantFrom<StrategyName>('default', 'round-robin', 'least-used', 'lru', 'random', 'weighted');
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 4 }), strategy, fc.integer(), async (ops, n, tier, strat, seed) => {
        const cfg = (t: number | undefined): KeyConfig[] =>
          Array.from({ length: n }, (_, i) => ({ key: fakeKey(i), weight: 1 + (i % 3), ...(i % 2 ? { rpm: 4 } : { maxConcurrent: 2 }), ...(t !== undefined ? { tier: t } : {}) }));
        const run = async (t: number | undefined) => {
          const { pool, clock } = makePool(cfg(t), { strategy: strat, random: seeded(seed) });
          const picks: string[] = [];
          const held: Lease[] = [];
          for (const o of ops) {
            if (o.op === 'acquire') {
              const l = await pool.acquire({ model: 'm', deadlineMs: 0 }).catch(() => undefined);
              picks.push(l?.keyId ?? '-');
              if (l) held.push(l);
            } else if (o.op === 'report' && held.length > 0) {
              const l = held.splice(o.i % held.length, 1)[0]!;
              l.report(o.cool === undefined ? ok : limited(o.cool));
            } else if (o.op === 'advance') clock.advance(o.ms);
          }
          for (const l of held) l.release();
          return picks;
        };
        expect(await run(tier)).toEqual(await run(undefined));
      }),
      { numRuns: 150 },
    );
  });
});
