import { describe, expect, it } from 'vitest';
import { AllKeysUnavailable, type ManualClock } from '../../src/pool/index.js';
import type { AttemptResult, Lease, Outcome } from '../../src/pool/index.js';
import { drive, fakeKey, flush, limited, makePool, ok } from './helpers.js';


function scripted(outcomes: Outcome[], seen: string[]) {
  return async (lease: Lease, n: number): Promise<AttemptResult<number>> => {
    seen.push(lease.keyId);
    return { outcome: outcomes[n - 1] ?? ok, value: n };
  };
}

describe('run()', () => {
  it('returns the first success, lease reported and released', async () => {
    const { pool, clock } = makePool(2);
    const seen: string[] = [];
    const r = await drive(clock, pool.run('m', scripted([ok], seen)));
    expect(r).toMatchObject({ value: 1, attempts: 1, outcome: { kind: 'ok' } });
    expect(r.lease.released).toBe(true);
    expect(pool.snapshot().keys.reduce((a, k) => a + k.inFlight, 0)).toBe(0);
  });

  it('retries a retryable outcome on a different key each time, never a failed one', async () => {
    const { pool, clock } = makePool(4, { strategy: 'round-robin' });
    const seen: string[] = [];
    const r = await drive(clock, pool.run('m', scripted([{ kind: 'server_error' }, { kind: 'overloaded' }, ok], seen), { maxAttempts: 3 }));
    expect(r.attempts).toBe(3);
    expect(new Set(seen).size).toBe(3);
  });

  it('after a 429 it moves to a key of another group', async () => {
    const { pool, clock } = makePool([{ key: fakeKey(1), group: 'a' }, { key: fakeKey(2), group: 'a' }, { key: fakeKey(3), group: 'b' }], { strategy: 'round-robin' });
    const seen: string[] = [];
    const r = await drive(clock, pool.run('m', scripted([limited(30_000), ok], seen)));
    expect(r.attempts).toBe(2);
    expect(pool.key(seen[1]!)!.group).toBe('b');
  });

  it('returns the last result when attempts run out', async () => {
    const { pool, clock } = makePool(5);
    const seen: string[] = [];
    const fail: Outcome = { kind: 'server_error', status: 503 };
    const r = await drive(clock, pool.run('m', scripted([fail, fail, fail, fail], seen), { maxAttempts: 3 }));
    expect(r).toMatchObject({ attempts: 3, value: 3, outcome: { kind: 'server_error', status: 503 } });
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);
  });

  it('does not retry client_error', async () => {
    const { pool, clock } = makePool(3);
    const seen: string[] = [];
    const r = await drive(clock, pool.run('m', scripted([{ kind: 'client_error', status: 400 }], seen)));
    expect(r.attempts).toBe(1);
    expect(seen).toHaveLength(1);
  });

  it('keepLease hands a successful lease to the caller, still held', async () => {
    const { pool, clock } = makePool(1);
    const r = await drive(clock, pool.run('m', async () => ({ outcome: ok, value: 'stream', keepLease: true })));
    expect(r.lease.released).toBe(false);
    expect(pool.snapshot().keys[0]!.inFlight).toBe(1);
    r.lease.report({ kind: 'ok', usage: { inputTokens: 3, outputTokens: 5 } });
    expect(pool.snapshot().keys[0]).toMatchObject({ inFlight: 0, successes: 1, usage: { inputTokens: 3, outputTokens: 5 } });
  });

  it('keepLease on a failure is ignored: the failure is reported', async () => {
    const { pool, clock } = makePool(1);
    const r = await drive(clock, pool.run('m', async () => ({ outcome: { kind: 'client_error' } as Outcome, value: 0, keepLease: true })));
    expect(r.lease.released).toBe(true);
  });

  it('an attempt that throws counts as network and is retried; on the last attempt the error is rethrown', async () => {
    const { pool, clock } = makePool(2);
    let n = 0;
    const r = await drive(
      clock,
      pool.run('m', async (_l, i) => {
        n++;
        if (i === 1) throw Object.assign(new Error('boom'), { code: 'ECONNRESET' });
        return { outcome: ok, value: i };
      }),
    );
    expect(r.attempts).toBe(2);
    expect(pool.snapshot().keys.flatMap((k) => Object.entries(k.failures))).toEqual([['network', 1]]);
    const err = await drive(clock, pool.run('m', async () => Promise.reject(new Error('always')), { maxAttempts: 2 })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('always');
    expect(n).toBe(2);
    expect(pool.snapshot().keys.reduce((a, k) => a + k.inFlight, 0)).toBe(0);
  });

  it('an abort during the attempt reports cancelled and rethrows at once', async () => {
    const { pool, clock } = makePool(2);
    const ac = new AbortController();
    const err = await drive(
      clock,
      pool.run(
        'm',
        async () => {
          ac.abort();
          throw new Error('aborted by client');
        },
        { signal: ac.signal },
      ),
    ).catch((e: unknown) => e);
    expect((err as Error).message).toBe('aborted by client');
    expect(pool.snapshot().keys.flatMap((k) => Object.entries(k.failures))).toEqual([['cancelled', 1]]);
  });

  it('with a single key, retries it after backoff (the only one left)', async () => {
    const { pool, clock } = makePool(1);
    const seen: string[] = [];
    const t0 = clock.now();
    const r = await drive(clock, pool.run('m', scripted([{ kind: 'network' }, ok], seen)));
    expect(r.attempts).toBe(2);
    expect(seen[0]).toBe(seen[1]);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(50); // jittered backoff of 50–100 ms
  });

  it('a failed key comes back only once it recovered', async () => {
    const { pool, clock } = makePool(1);
    const seen: string[] = [];
    const t0 = clock.now();
    const r = await drive(clock, pool.run('m', scripted([limited(5_000), ok], seen)));
    expect(r.attempts).toBe(2);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(5_000);
  });

  it('throws AllKeysUnavailable when no key can be had in time', async () => {
    const { pool, clock } = makePool(2);
    const seen: string[] = [];
    const err = await drive(clock, pool.run('m', scripted([limited(60_000), limited(60_000), ok], seen), { deadlineMs: 10_000 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllKeysUnavailable);
    expect(err).toMatchObject({ reason: 'all_cooling' });
    expect(seen).toHaveLength(2);
  });

  it('never leaks a lease whatever the attempts do', async () => {
    const { pool, clock } = makePool(3);
    const kinds: Outcome[] = [ok, limited(100), { kind: 'network' }, { kind: 'client_error' }, { kind: 'auth_failed' }];
    for (let i = 0; i < 40; i++) {
      pool.enable(pool.snapshot().keys[i % 3]!.id);
      await drive(clock, pool.run('m', async (_l, n) => ({ outcome: kinds[(i + n) % kinds.length]!, value: 0 }))).catch(() => {});
    }
    expect(pool.snapshot().keys.reduce((a: number, k) => a + k.inFlight, 0)).toBe(0);
  });
});

