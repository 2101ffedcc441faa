import { describe, expect, it } from 'vitest';
import { KeyPool, ManualClock, type Lease, type LearnedLimits } from '../../src/pool/index.js';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { fakeKey, flush, limited, ok } from './helpers.js';

const keys = [fakeKey(1), fakeKey(2)];

/** The size of each batch the store is given to addUsage, in order. */
function addUsageCalls(store: Store): number[] {
  const calls: number[] = [];
  const addUsage = store.addUsage.bind(store);
  store.addUsage = (provider, deltas) => (calls.push(deltas.length), addUsage(provider, deltas));
  return calls;
}
function replica(store: Store, clock: ManualClock, instanceId: string) {
  return new KeyPool({ provider: 'openai', keys, clock, store, instanceId });
}

describe('pool with a store', () => {
  it('a disabled key stays disabled after a restart; a cooldown too, while it lasts', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = replica(store, clock, 'a');
    await a.ready;
    const [k1, k2] = a.snapshot().keys.map((k) => k.id);
    a.disable(k1!, 'invalid_api_key');
    (await a.acquire({ model: 'm' })).report(limited(60_000));
    await flush();
    a.close();

    const b = replica(store, clock, 'b');
    await b.ready;
    expect(b.key(k1!)).toMatchObject({ status: 'disabled', reason: 'invalid_api_key' });
    expect(b.key(k2!)).toMatchObject({ status: 'cooling', cooldownUntil: clock.now() + 60_000 });
    clock.advance(60_000);
    expect(b.key(k2!)!.status).toBe('active');
  });

  it('replicas see each other’s changes; their own echoes are ignored', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = replica(store, clock, 'a');
    const b = replica(store, clock, 'b');
    await Promise.all([a.ready, b.ready]);
    const [k1] = a.snapshot().keys.map((k) => k.id);
    const cooldowns: string[] = [];
    b.on('cooldown', (e) => cooldowns.push(e.keyId));
    (await a.acquire({ model: 'm', exclude: new Set([a.snapshot().keys[1]!.id]) })).report(limited(30_000));
    (await a.acquire({ model: 'm' })).report({ kind: 'auth_failed' });
    await flush();
    expect(cooldowns).toEqual([k1]);
    expect(b.snapshot().keys.map((k) => k.status)).toEqual(['cooling', 'disabled']);
    b.enable(b.snapshot().keys[1]!.id);
    await flush();
    expect(a.snapshot().keys[1]!.status).toBe('active');
  });

  it('a learned group is shared and remembered', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const a = replica(store, clock, 'a');
    (await a.acquire({ model: 'm' })).report({ kind: 'ok', group: 'org-9' });
    await flush();
    const b = replica(store, clock, 'b');
    await b.ready;
    expect(b.snapshot().keys.filter((k) => k.group === 'org-9')).toHaveLength(1);
  });

  it('records usage write-behind, batched', async () => {
    const store = new MemoryStore();
    const a = replica(store, new ManualClock(), 'a');
    for (let i = 0; i < 3; i++) (await a.acquire({ model: 'gpt' })).report({ kind: 'ok', usage: { inputTokens: 5, outputTokens: 7 } });
    (await a.acquire({ model: 'gpt' })).report(limited(1));
    await flush();
    const rows = await store.readUsage('openai');
    const total = rows.reduce((t, r) => ({ requests: t.requests + r.requests, out: t.out + r.outputTokens }), { requests: 0, out: 0 });
    expect(total).toEqual({ requests: 4, out: 21 });
  });

  it('records cached tokens and outcomes per hour', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock(Date.UTC(2025, 0, 1, 10, 59));
    const a = replica(store, clock, 'a');
    (await a.acquire({ model: 'gpt-4o' })).report({ kind: 'ok', usage: { inputTokens: 100, outputTokens: 10, cachedTokens: 60 } });
    clock.advance(60_000);
    (await a.acquire({ model: 'gpt-4o' })).report({ kind: 'server_error' });
    await flush();
    const rows = (await store.readUsage('openai')).sort((x, y) => x.hour - y.hour);
    expect(rows.map((r) => [r.hour, r.requests, r.cachedTokens, r.outcomes])).toEqual([
      [Date.UTC(2025, 0, 1, 10), 1, 60, { ok: 1 }],
      [Date.UTC(2025, 0, 1, 11), 1, 0, { server_error: 1 }],
    ]);
  });

  /** A pool on a memory store whose addUsage calls are counted (batch sizes). */
  async function spiedPool() {
    const store = new MemoryStore();
    const calls = addUsageCalls(store);
    const pool = new KeyPool({ provider: 'openai', keys, clock: new ManualClock(), store });
    await pool.ready;
    return { store, calls, pool };
  }

  it('usage is written after the turn, in one batch: never within the microtasks of the request that reported it', async () => {
    const { store, calls, pool } = await spiedPool();
    (await pool.acquire({ model: 'm' })).report(ok);
    (await pool.acquire({ model: 'm' })).report(ok);
    // What a request awaits between its report and its answer: microtasks. A store write there delays the answer.
    for (let i = 0; i < 10; i++) await Promise.resolve();
    expect(calls).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(calls).toEqual([2]);
    expect((await store.readUsage('openai')).reduce((n, r) => n + r.requests, 0)).toBe(2);
  });

  it('usage reported in the turn that closes the pool is handed to the store by close(), before the store closes', async () => {
    const { store, calls, pool } = await spiedPool();
    (await pool.acquire({ model: 'm' })).report(ok);
    pool.close();
    // As the server shuts down: the store closes right after the pools.
    expect(calls).toEqual([1]);
    await flush();
    expect(calls).toEqual([1]);
  });

  it('a failing store never breaks acquire/report: failures become error events', async () => {
    const boom = () => Promise.reject(new Error('store down'));
    const broken: Store = {
      loadState: boom,
      writeState: boom,
      saveLearned: boom,
      addUsage: boom,
      readUsage: boom,
      subscribe: () => {
        throw new Error('no pubsub');
      },
      close: async () => {},
    };
    const errors: string[] = [];
    const clock = new ManualClock();
    const pool = new KeyPool({ provider: 'openai', keys, clock, store: broken });
    pool.on('error', (e) => errors.push(e.op));
    await pool.ready;
    const l = await pool.acquire({ model: 'm' });
    l.report(limited(1_000));
    (await pool.acquire({ model: 'm' })).report(ok);
    await flush();
    expect(errors).toEqual(expect.arrayContaining(['store.subscribe', 'store.loadState', 'store.writeState', 'store.addUsage']));
  });
});

describe('learned limits survive a restart', () => {
  const reqs = (limit: number, remaining: number, resetMs: number): LearnedLimits => ({ requests: { limit, remaining, resetMs } });
  const take = (pool: KeyPool): Promise<Lease | undefined> => pool.acquire({ model: 'm', deadlineMs: 0 }).catch(() => undefined);

  it('a budget told by headers comes back, refilled for the time away: the restarted pool spends what one never stopped would', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const keys = [fakeKey(1)];
    const a = new KeyPool({ provider: 'openai', keys, clock, store, instanceId: 'a' });
    const never = new KeyPool({ provider: 'openai', keys, clock });
    for (const p of [a, never]) (await p.acquire({ model: 'm' })).report({ kind: 'ok', limits: reqs(60, 0, 60_000) });
    await flush();
    a.close();

    clock.advance(10_000); // 1 request a second comes back
    const b = new KeyPool({ provider: 'openai', keys, clock, store, instanceId: 'b' });
    await b.ready;
    expect(b.snapshot().keys[0]!.budgets).toEqual(never.snapshot().keys[0]!.budgets);
    expect(b.snapshot().keys[0]!.budgets).toEqual({ '*': { requestsRemaining: 10 } });
    const spend = async (p: KeyPool) => {
      let n = 0;
      while (n < 100 && (await take(p))) n++;
      return n;
    };
    const spent = await spend(b);
    expect(spent).toBe(await spend(never));
    expect(spent).toBeLessThanOrEqual(10);
  });

  it('a learned pace and a learned concurrency cap come back', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const keys = [{ key: fakeKey(1), group: 'paced' }, { key: fakeKey(2), group: 'capped' }];
    const a = new KeyPool({ provider: 'nim', keys, clock, store, instanceId: 'a' });
    const [k1, k2] = a.snapshot().keys.map((k) => k.id);
    const on = (id: string) => ({ model: 'm', exclude: new Set([id === k1 ? k2! : k1!]) });
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      (await a.acquire(on(k1!))).report(ok);
    }
    (await a.acquire(on(k1!))).report(limited(2_000));
    const held = [await a.acquire(on(k2!)), await a.acquire(on(k2!))];
    (await a.acquire(on(k2!))).report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 1_000, limits: reqs(100, 90, 6_000) });
    const before = a.snapshot().keys.map((k) => k.budgets);
    expect(before).toEqual([{ '*': { pacedRpm: 10 } }, { '*': { maxConcurrent: 2, requestsRemaining: expect.any(Number) } }]);
    await flush();
    a.close();
    for (const l of held) l.release();

    const b = new KeyPool({ provider: 'nim', keys, clock, store, instanceId: 'b' });
    await b.ready;
    expect(b.snapshot().keys.map((k) => k.budgets)).toEqual(before);
  });

  it('a reading stored with a later time (the clock went back) refills from now instead of staying empty', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    const later = clock.now() + 3_600_000;
    await store.saveLearned('openai', [{ group: 'g', at: later, requests: { limit: 60, ratePerMs: 60 / 60_000, level: 0, at: later } }]);
    const b = new KeyPool({ provider: 'openai', keys: [{ key: fakeKey(1), group: 'g' }], clock, store, instanceId: 'b' });
    await b.ready;
    clock.advance(10_000);
    expect(b.snapshot().keys[0]!.budgets).toEqual({ '*': { requestsRemaining: 10 } });
  });

  it('stored knowledge never replaces what the pool learned since it started', async () => {
    const store = new MemoryStore();
    const clock = new ManualClock();
    await store.saveLearned('openai', [{ group: 'g', at: clock.now(), requests: { limit: 100, ratePerMs: 100 / 60_000, level: 3, at: clock.now() } }]);
    const b = new KeyPool({ provider: 'openai', keys: [{ key: fakeKey(1), group: 'g' }], clock, store, instanceId: 'b' });
    await b.ready;
    expect(b.snapshot().keys[0]!.budgets).toEqual({ '*': { requestsRemaining: 3 } });
    (await b.acquire({ model: 'm' })).report({ kind: 'ok', limits: reqs(100, 80, 12_000) });
    b.setKeys([{ key: fakeKey(1), group: 'g' }, fakeKey(2)]); // a reload loads the store again
    await flush();
    expect(b.snapshot().keys[0]!.budgets!['*']!.requestsRemaining).toBe(80);
  });
});
