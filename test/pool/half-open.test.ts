// Half-open recovery (issue #16): a key coming back takes one request at a time first, then more per success;
// failing again, it is caught after that one request.
import { describe, expect, it } from 'vitest';
import { FULL_AFTER } from '../../src/pool/half-open.js';
import { keyId } from '../../src/pool/index.js';
import { fakeKey, makePool, ok } from './helpers.js';

const model = 'm';

describe('half-open', () => {
  it('a re-enabled key takes one request in flight, then 2, 4, … per success, and is fully open after FULL_AFTER', async () => {
    const { pool } = makePool([fakeKey(1)]);
    const id = keyId(fakeKey(1));
    const first = await pool.acquire({ model });
    first.report({ kind: 'auth_failed', reason: 'invalid_api_key' });
    expect(pool.key(id)!.status).toBe('disabled');
    pool.enable(id);
    expect(pool.key(id)!.halfOpen).toEqual({ successes: 0, maxInFlight: 1 });
    const a = await pool.acquire({ model, deadlineMs: 0 });
    await expect(pool.acquire({ model, deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_busy' });
    a.report(ok);
    expect(pool.key(id)!.halfOpen).toEqual({ successes: 1, maxInFlight: 2 });
    const two = [await pool.acquire({ model, deadlineMs: 0 }), await pool.acquire({ model, deadlineMs: 0 })];
    await expect(pool.acquire({ model, deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_busy' });
    for (const l of two) l.report(ok);
    for (let i = 3; i <= FULL_AFTER; i++) (await pool.acquire({ model })).report(ok);
    expect(pool.key(id)!.halfOpen).toBeUndefined();
    const many = await Promise.all(Array.from({ length: 50 }, () => pool.acquire({ model, deadlineMs: 0 })));
    expect(many).toHaveLength(50);
  });

  it('a key that fails again is caught after one request, while the others take the rest', async () => {
    const { pool } = makePool([fakeKey(1), fakeKey(2)], { strategy: 'round-robin' });
    const bad = keyId(fakeKey(1));
    pool.disable(bad);
    pool.enable(bad);
    const leases = await Promise.all(Array.from({ length: 10 }, () => pool.acquire({ model })));
    expect(leases.filter((l) => l.keyId === bad)).toHaveLength(1);
    for (const l of leases) l.report(l.keyId === bad ? { kind: 'auth_failed', reason: 'revoked' } : ok);
    expect(pool.key(bad)!.status).toBe('disabled');
  });

  it('a long cooldown ends half-open; a short one does not', async () => {
    const { pool, clock } = makePool([fakeKey(1)]);
    const id = keyId(fakeKey(1));
    (await pool.acquire({ model })).report({ kind: 'rate_limited', scope: 'group', retryAfterMs: 2_000 });
    clock.advance(2_001);
    (await pool.acquire({ model })).report(ok);
    expect(pool.key(id)!.halfOpen).toBeUndefined();
    (await pool.acquire({ model })).report({ kind: 'quota_exhausted', scope: 'group', retryAfterMs: 3_600_000 });
    clock.advance(3_600_001);
    expect(pool.key(id)!.halfOpen).toEqual({ successes: 0, maxInFlight: 1 });
    const one = await pool.acquire({ model, deadlineMs: 0 });
    await expect(pool.acquire({ model, deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_busy' });
    one.report(ok);
  });

  it('an operator enabling a key that was serving does not slow it', async () => {
    const { pool } = makePool([fakeKey(1)]);
    const id = keyId(fakeKey(1));
    pool.enable(id);
    expect(pool.key(id)!.halfOpen).toBeUndefined();
  });
});
