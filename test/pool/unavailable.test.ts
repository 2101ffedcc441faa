// Issue #13 (16a): when no key can take a request, AllKeysUnavailable says the true reason. Keys out because the
// provider keeps failing (5xx, overload, timeouts) are `upstream_failing` with the last status seen, not
// "cooling after rate limits"; keys backing off after ambiguous refusals are `all_refused`.
import { describe, expect, it } from 'vitest';
import { AllKeysUnavailable, type KeyPool, type Outcome } from '../../src/pool/index.js';
import { limited, makePool } from './helpers.js';

/** Reports `o` on key i (the others excluded). */
async function on(pool: KeyPool, i: number, o: Outcome): Promise<void> {
  const others = new Set(pool.snapshot().keys.filter((_, j) => j !== i).map((k) => k.id));
  (await pool.acquire({ model: 'm', deadlineMs: 0, exclude: others })).report(o);
}

async function refusal(pool: KeyPool): Promise<AllKeysUnavailable> {
  const err: unknown = await pool.acquire({ model: 'm', deadlineMs: 0 }).catch((e: unknown) => e);
  if (!(err instanceof AllKeysUnavailable)) throw new Error(`expected AllKeysUnavailable, got ${String(err)}`);
  return err;
}

describe('AllKeysUnavailable tells why', () => {
  it('a streak of 5xx on every key: upstream_failing, with the last status and reason', async () => {
    const { pool, clock } = makePool(2);
    for (let n = 0; n < 3; n++) {
      await on(pool, 0, { kind: 'server_error', status: 500, reason: 'server_error' });
      clock.advance(10);
      await on(pool, 1, { kind: 'server_error', status: 502 });
    }
    const e = await refusal(pool);
    expect(e.reason).toBe('upstream_failing');
    expect(e.lastStatus).toBe(502);
    expect(e.retryAfterMs).toBe(990);
    expect(e.message).toMatch(/provider is failing.*last answer 502/);
  });

  it('timeouts: upstream_failing with no status, the failure named', async () => {
    const { pool } = makePool(1);
    for (let n = 0; n < 3; n++) await on(pool, 0, { kind: 'network', reason: 'UND_ERR_HEADERS_TIMEOUT' });
    const e = await refusal(pool);
    expect(e).toMatchObject({ reason: 'upstream_failing', lastFailure: 'UND_ERR_HEADERS_TIMEOUT' });
    expect(e.lastStatus).toBeUndefined();
    expect(e.message).toMatch(/last attempt: UND_ERR_HEADERS_TIMEOUT/);
  });

  it('an overloaded provider pausing every key is failing too, not cooling', async () => {
    const { pool } = makePool(3);
    await on(pool, 0, { kind: 'overloaded', status: 529, reason: 'overloaded_error', retryAfterMs: 2_000 });
    const e = await refusal(pool);
    expect(e).toMatchObject({ reason: 'upstream_failing', lastStatus: 529, lastFailure: 'overloaded_error', retryAfterMs: 2_000 });
  });

  it('rate limits are still all_cooling, and win when some keys cool and others fail', async () => {
    const { pool, clock } = makePool(2);
    await on(pool, 0, limited(30_000));
    await on(pool, 1, limited(30_000));
    expect((await refusal(pool)).reason).toBe('all_cooling');
    clock.advance(30_000);
    for (let n = 0; n < 3; n++) await on(pool, 1, { kind: 'server_error', status: 503 });
    await on(pool, 0, limited(30_000));
    const e = await refusal(pool);
    expect(e.reason).toBe('all_cooling');
    expect(e.lastStatus).toBeUndefined();
  });

  it('ambiguous refusals on every key: all_refused; a failing key beside them: upstream_failing', async () => {
    const { pool } = makePool(2);
    await on(pool, 0, { kind: 'auth_suspect', status: 403 });
    await on(pool, 1, { kind: 'auth_suspect', status: 403 });
    expect((await refusal(pool)).reason).toBe('all_refused');
    const other = makePool(2).pool;
    await on(other, 0, { kind: 'auth_suspect', status: 403 });
    for (let n = 0; n < 3; n++) await on(other, 1, { kind: 'server_error', status: 500 });
    expect((await refusal(other)).reason).toBe('upstream_failing');
  });

  it('disabled and exhausted keep their reasons', async () => {
    const { pool } = makePool(1);
    await on(pool, 0, { kind: 'quota_exhausted', scope: 'group' });
    expect((await refusal(pool)).reason).toBe('all_exhausted');
    const d = makePool(1).pool;
    await on(d, 0, { kind: 'auth_failed' });
    expect((await refusal(d)).reason).toBe('all_disabled');
  });
});
