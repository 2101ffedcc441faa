import { describe, expect, it } from 'vitest';
import { RedisAdmission } from '../../src/store/redis-admission.js';
import { RedisLink } from '../../src/store/redis-link.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { StateChange } from '../../src/store/index.js';
import { admissionContract, TTL } from './admission-contract.js';
import { storeContract } from './contract.js';
import { REDIS_URL, testPrefix, useRedis } from './redis-helpers.js';

const redis = useRedis();
const tick = () => new Promise<void>((r) => setImmediate(r));

storeContract('redis', (opts) => new RedisStore(redis.link(), { prefix: testPrefix(), ...opts }));

admissionContract('redis', () => {
  const prefix = testPrefix();
  // Two replicas: two admissions on one prefix (one connection serves both; Redis sees one state either way).
  const opts = { prefix, leaseTtlMs: TTL, now: Date.now, heartbeatMs: 0 };
  const a = new RedisAdmission(redis.link(), opts);
  const b = new RedisAdmission(redis.link(), opts);
  return { a, b, heartbeat: (which, now) => (which === 'a' ? a : b).heartbeat(now), close: async () => {} };
});

describe('RedisStore', () => {
  it('tells other replicas (another store on the same prefix) by pub/sub, and not its own subscribers twice', async () => {
    const prefix = testPrefix();
    const a = new RedisStore(redis.link(), { prefix });
    const b = new RedisStore(redis.link(), { prefix });
    const seenA: StateChange[] = [];
    const seenB: StateChange[] = [];
    a.subscribe('openai', (c) => seenA.push(c));
    b.subscribe('openai', (c) => seenB.push(c));
    await new Promise((r) => setTimeout(r, 50)); // SUBSCRIBE reaches Redis
    const change: StateChange = { kind: 'scope', group: 'org', model: 'gpt', status: 'cooling', until: 5_000, reason: 'rpm', at: 1, origin: 'replica-a' };
    await a.writeState('openai', change);
    await expect.poll(() => seenB).toEqual([change]);
    await tick();
    expect(seenA).toEqual([change]);
    await a.close();
    await b.close();
  });

  it('keys every provider under its own hash tag, so a Redis Cluster keeps a pool in one slot', async () => {
    const prefix = testPrefix();
    const s = new RedisStore(redis.link(), { prefix });
    await s.writeState('gemini', { kind: 'key', keyId: 'k', status: 'disabled', at: 1 });
    await s.addUsage('gemini', [{ keyId: 'k', model: 'm', at: 1, requests: 1, successes: 1, inputTokens: 1, outputTokens: 1, cachedTokens: 0, outcomes: { ok: 1 } }]);
    const keys = await redis.raw().keys(`${prefix}*`);
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(k.startsWith(`${prefix}{gemini}:`)).toBe(true);
    await s.close();
  });
});

describe('RedisAdmission while Redis is away', () => {
  it('decides on this replica’s share of each budget, logs it once, replays what it learned when Redis answers again', async () => {
    let now = Date.UTC(2025, 5, 1, 10);
    const logs: string[] = [];
    const link = await RedisLink.open({ url: REDIS_URL, timeoutMs: 1_000, now: () => now, log: (_level, msg) => logs.push(msg) });
    const prefix = testPrefix();
    const opts = { prefix, leaseTtlMs: TTL, now: () => now, heartbeatMs: 0 };
    const a = new RedisAdmission(link, opts);
    const b = new RedisAdmission(link, opts);
    const ask = { now, keyId: 'k1', group: 'g1', tokens: 0, marginMs: 0 };
    const first = await a.admit('openai', ask);
    await b.admit('openai', ask);
    await Promise.all([a.heartbeat(now), b.heartbeat(now)]); // two replicas alive: a's share is half
    if (!first.granted) throw new Error('refused');
    a.release('openai', first.grant, { now, requests: { limit: 60, ratePerMs: 0.001, level: 10, at: now } });
    await expect.poll(async () => (await b.admit('openai', { ...ask, now })).granted).toBe(true); // reached Redis: 10 less one since

    // One slow answer is one request decided locally; three failures in a row are an outage.
    for (let i = 0; i < 3; i++) link.failed(new Error('simulated outage'));
    now += 10;
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await a.admit('openai', { ...ask, now }));
    // Its share of the 10 it was told: 5 (Redis, with b's grant, would say 9).
    expect(answers.filter((x) => x.granted)).toHaveLength(5);
    expect(answers.at(-1)).toMatchObject({ granted: false, hold: 'scope' });
    expect(logs.filter((l) => l.startsWith('redis unreachable'))).toHaveLength(1);
    // Learned while away: the provider says the budget is spent. Kept, and replayed on Redis' return.
    const last = answers[0]!;
    if (!last.granted) throw new Error('refused');
    a.release('openai', last.grant, { now, requests: { limit: 6, ratePerMs: 0.0001, level: 0, at: now } });

    now += 1_000; // Redis is asked again (the heartbeat asks first), answers, and catches up
    await a.heartbeat(now);
    await expect.poll(() => logs.filter((l) => l.startsWith('redis reachable again'))).toHaveLength(1);
    expect((await b.admit('openai', { ...ask, now })).granted).toBe(false);
    await a.close();
    await b.close();
    await link.close();
  });
});
