import { describe, expect, it } from 'vitest';
import { RedisAdmission } from '../../src/store/redis-admission.js';
import { RedisStore } from '../../src/store/redis-store.js';
import type { StateChange } from '../../src/store/index.js';
import { admissionContract, TTL } from './admission-contract.js';
import { storeContract } from './contract.js';
import { testPrefix, useRedis } from './redis-helpers.js';

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
