import { describe, expect, it } from 'vitest';
import { KeyPool, ManualClock } from '../../src/pool/index.js';
import { MemoryStore, type Store } from '../../src/store/index.js';
import { fakeKey, flush, limited, ok } from './helpers.js';

const keys = [fakeKey(1), fakeKey(2)];
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

  it('a failing store never breaks acquire/report: failures become error events', async () => {
    const boom = () => Promise.reject(new Error('store down'));
    const broken: Store = {
      loadState: boom,
      writeState: boom,
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
