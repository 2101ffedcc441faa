import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { fakeKey, flush, limited, makePool, ok } from './helpers.js';

describe('snapshot', () => {
  it('describes every key without ever containing a secret', async () => {
    const secrets = [fakeKey(1), fakeKey(2)];
    const { pool, clock } = makePool([{ key: secrets[0]!, label: 'free', rpm: 10, weight: 2 }, secrets[1]!]);
    const l = await pool.acquire({ model: 'm' });
    l.report({ kind: 'ok', usage: { inputTokens: 10, outputTokens: 20 }, limits: { requests: { limit: 10, remaining: 9, resetMs: 6_000 } } });
    const l2 = await pool.acquire({ model: 'm' });
    l2.report({ kind: 'auth_failed', reason: 'invalid_api_key' });
    const held = await pool.acquire({ model: 'm' });
    const snap = pool.snapshot();
    expect(snap).toMatchObject({ provider: 'test', strategy: 'default', waiting: 0 });
    const [a, b] = snap.keys;
    expect(a).toMatchObject({
      id: keyId(secrets[0]!),
      masked: 'sk-…0001',
      label: 'free',
      status: 'active',
      inFlight: 1,
      requests: 2,
      successes: 1,
      usage: { inputTokens: 10, outputTokens: 20 },
      configured: { rpm: 10, weight: 2 },
      limits: { requests: { limit: 10, remaining: 9, resetMs: 6_000 }, at: clock.now() },
      lastUsedAt: clock.now(),
    });
    expect(b).toMatchObject({ status: 'disabled', reason: 'invalid_api_key', failures: { auth_failed: 1 } });
    const text = JSON.stringify(snap) + inspect(pool, { depth: 10, showHidden: true }) + inspect(held, { depth: 10, showHidden: true }) + JSON.stringify(held);
    for (const s of secrets) {
      expect(text).not.toContain(s);
      expect(text).not.toContain(s.slice(3, 20));
    }
    held.release();
  });
});

describe('setKeys (hot reload)', () => {
  it('keeps the state of keys that stay, adds new ones, drops removed ones', async () => {
    const { pool } = makePool([fakeKey(1), fakeKey(2), fakeKey(3)]);
    const [a, b, c] = pool.snapshot().keys.map((k) => k.id);
    pool.disable(a!, 'bad');
    const onB = await pool.acquire({ model: 'm', exclude: new Set([c!]) });
    onB.report(limited(60_000));
    const heldC = await pool.acquire({ model: 'm' });
    expect(heldC.keyId).toBe(c);

    pool.setKeys([fakeKey(2), { key: fakeKey(1), label: 'relabelled' }, fakeKey(4)]);
    const snap = pool.snapshot();
    expect(snap.keys.map((k) => k.id)).toEqual([b, a, keyId(fakeKey(4))]);
    expect(snap.keys[0]).toMatchObject({ status: 'cooling', requests: 1 });
    expect(snap.keys[1]).toMatchObject({ status: 'disabled', label: 'relabelled' });
    expect(snap.keys[2]).toMatchObject({ status: 'active', requests: 0 });

    // the lease on the removed key still ends cleanly and changes nothing
    heldC.report({ kind: 'auth_failed' });
    expect(pool.snapshot().keys.map((k) => k.status)).toEqual(['cooling', 'disabled', 'active']);
    const l = await pool.acquire({ model: 'm' });
    expect(l.keyId).toBe(keyId(fakeKey(4)));
  });

  it('a key whose configured group changes moves to it; one that loses it goes back to its own', async () => {
    const { pool } = makePool([{ key: fakeKey(1), group: 'x' }, { key: fakeKey(2), group: 'x' }]);
    pool.setKeys([{ key: fakeKey(1), group: 'y' }, fakeKey(2)]);
    expect(pool.snapshot().keys.map((k) => k.group)).toEqual(['y', keyId(fakeKey(2))]);
  });

  it('a reload serves waiters a new key can take', async () => {
    const { pool } = makePool([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const held = await pool.acquire({ model: 'm' });
    const p = pool.acquire({ model: 'm' });
    pool.setKeys([{ key: fakeKey(1), maxConcurrent: 1 }, fakeKey(2)]);
    expect((await p).keyId).toBe(keyId(fakeKey(2)));
    held.release();
  });
});

describe('operator controls and events', () => {
  it('disable and enable by id', async () => {
    const { pool } = makePool(1);
    const id = pool.snapshot().keys[0]!.id;
    expect(pool.disable(id)).toBe(true);
    expect(pool.snapshot().keys[0]).toMatchObject({ status: 'disabled', reason: 'disabled by operator' });
    expect(pool.disable('unknown')).toBe(false);
    pool.enable(id);
    expect(pool.snapshot().keys[0]!.status).toBe('active');
  });

  it('enable also clears the group out (credits topped up)', async () => {
    const { pool } = makePool(1);
    (await pool.acquire({ model: 'm' })).report({ kind: 'quota_exhausted', scope: 'group' });
    pool.enable(pool.snapshot().keys[0]!.id);
    expect(pool.snapshot().keys[0]!.status).toBe('active');
  });

  it('emits an outcome event per report; off() stops; a throwing listener becomes an error event', async () => {
    const { pool } = makePool(1);
    const outcomes: string[] = [];
    const errors: string[] = [];
    const fn = (e: { outcome: { kind: string } }) => outcomes.push(e.outcome.kind);
    pool.on('outcome', fn);
    pool.on('error', (e) => errors.push(e.op));
    pool.on('outcome', () => {
      throw new Error('listener bug');
    });
    (await pool.acquire({ model: 'm' })).report(ok);
    pool.off('outcome', fn);
    (await pool.acquire({ model: 'm' })).report(ok);
    await flush();
    expect(outcomes).toEqual(['ok']);
    expect(errors).toEqual(['listener:outcome', 'listener:outcome']);
    expect(pool.snapshot().keys[0]!.inFlight).toBe(0);
  });
});
