import { describe, expect, it } from 'vitest';
import { KeyPool, ManualClock, type Admission, type AdmitAnswer, type AdmitAsk, type AdmitGrant, type Lease, type Outcome, type ReleaseFacts } from '../../src/pool/index.js';
import { AdmissionBook } from '../../src/store/admission-book.js';
import { MemoryAdmission } from '../../src/store/memory-admission.js';
import { fakeKey, flush, seeded } from './helpers.js';

const MINUTE = 60_000;

/** Two replicas of one pool: same keys, one shared admission state, one clock. */
function replicas(keys: ReadonlyArray<string | { key: string; rpm?: number; maxConcurrent?: number }>, n = 2) {
  const clock = new ManualClock();
  const book = new AdmissionBook();
  const pools = Array.from({ length: n }, (_, i) => new KeyPool({ provider: 'openai', keys, clock, random: seeded(i + 1), admission: new MemoryAdmission({ book }), instanceId: `r${i}` }));
  return { clock, pools };
}

/** A port that answers from a script, recording what it was asked and released. */
class FakeAdmission implements Admission {
  asks: AdmitAsk[] = [];
  released: Array<{ grant: AdmitGrant; facts: ReleaseFacts }> = [];
  answer: (ask: AdmitAsk) => AdmitAnswer | Promise<AdmitAnswer> = () => ({ granted: true, grant: { leaseId: `l${this.asks.length}`, groupInFlight: 0 } });
  admit(_provider: string, ask: AdmitAsk): Promise<AdmitAnswer> {
    this.asks.push(ask);
    return Promise.resolve(this.answer(ask));
  }
  release(_provider: string, grant: AdmitGrant, facts: ReleaseFacts): void {
    this.released.push({ grant, facts });
  }
}

/** An OpenAI-style success that tells the group's request budget. */
const okWith = (remaining: number, limit = 60): Outcome => ({ kind: 'ok', limits: { requests: { limit, remaining, resetMs: ((limit - remaining) * MINUTE) / limit } } });

describe('pool with a shared admission', () => {
  it('replicas never spend a learned budget twice: the last units go to one of them', async () => {
    const { clock, pools } = replicas([fakeKey(1)]);
    const [a, b] = pools;
    (await a!.acquire({ model: 'm' })).report(okWith(3));
    await flush();
    // b never saw that reading: alone it would think its budget unknown and send everything. Of the 3 left, 2
    // go: a third would meet the provider's edge (the pool keeps a trip's refill, TRIP_MS, in hand).
    const leases = await Promise.allSettled([a, b, a, b, a, b].map((p) => p!.acquire({ model: 'm', deadlineMs: 0 })));
    expect(leases.filter((l) => l.status === 'fulfilled')).toHaveLength(2);
    // Waiting requests are served as it refills (one a second at 60 a minute), still once.
    const waiting = [a!.acquire({ model: 'm', deadlineMs: 5_000 }), b!.acquire({ model: 'm', deadlineMs: 5_000 })];
    let done = 0;
    for (const w of waiting) void w.then(() => done++);
    clock.advance(199);
    await flush();
    expect(done).toBe(0);
    clock.advance(1);
    await flush();
    expect(done).toBe(1);
    clock.advance(1_000);
    await flush();
    expect(done).toBe(2);
  });

  it('a configured rpm is one window across replicas', async () => {
    const { clock, pools } = replicas([{ key: fakeKey(1), rpm: 3 }]);
    const got: Lease[] = [];
    for (const p of [...pools, ...pools]) {
      try {
        got.push(await p.acquire({ model: 'm', deadlineMs: 0 }));
      } catch {
        /* refused: the window is full */
      }
    }
    expect(got).toHaveLength(3);
    for (const l of got) l.report({ kind: 'ok' });
    const later = pools[1]!.acquire({ model: 'm', deadlineMs: 2 * MINUTE });
    clock.advance(MINUTE);
    await flush();
    await expect(later).resolves.toMatchObject({ model: 'm' });
  });

  it('maxConcurrent is one cap across replicas; a release on one lets the other in', async () => {
    const { clock, pools } = replicas([{ key: fakeKey(1), maxConcurrent: 1 }]);
    const [a, b] = pools;
    const held = await a!.acquire({ model: 'm' });
    const waiting = b!.acquire({ model: 'm', deadlineMs: 1_000 });
    let got = false;
    void waiting.then(() => (got = true));
    await flush();
    expect(got).toBe(false);
    held.report({ kind: 'ok' });
    // b learns of it when it asks again (releases elsewhere are not announced): within BUSY_RETRY_MS.
    clock.advance(60);
    await flush();
    expect(got).toBe(true);
  });

  it('a refusal holds what it names locally and the next candidate is asked at once', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    const [k1, k2] = [fakeKey(1), fakeKey(2)];
    const pool = new KeyPool({ provider: 'openai', keys: [k1, k2], clock, admission: port, strategy: 'round-robin' });
    const first = pool.snapshot().keys[0]!.id;
    port.answer = (ask) => (ask.keyId === first ? { granted: false, readyAt: clock.now() + 5_000, hold: 'key' } : { granted: true, grant: { leaseId: 'x', groupInFlight: 0 } });
    const lease = await pool.acquire({ model: 'm' });
    expect(lease.keyId).not.toBe(first);
    expect(port.asks.map((a) => a.keyId)).toEqual([first, lease.keyId]);
    lease.report({ kind: 'ok' });
    // The held key is not asked for again before its time.
    port.asks = [];
    (await pool.acquire({ model: 'm' })).release();
    expect(port.asks.map((a) => a.keyId)).toEqual([lease.keyId]);
    expect(pool.key(first)!.status).toBe('active'); // a hold is no cooldown: nothing to announce
  });

  it('with every key refused, the request waits until the earliest readyAt, then asks again', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    const pool = new KeyPool({ provider: 'openai', keys: [fakeKey(1)], clock, admission: port });
    let refuse = true;
    port.answer = () => (refuse ? { granted: false, readyAt: clock.now() + 2_000, hold: 'scope' } : { granted: true, grant: { leaseId: 'y', groupInFlight: 3 } });
    const p = pool.acquire({ model: 'm', deadlineMs: 10_000 });
    await flush();
    expect(port.asks).toHaveLength(1);
    refuse = false;
    clock.advance(1_999);
    await flush();
    expect(port.asks).toHaveLength(1);
    clock.advance(1);
    await flush();
    const lease = await p;
    expect(port.asks).toHaveLength(2);
    // What the response teaches goes to the port with the lease, as a reading at release time.
    clock.advance(100);
    lease.report(okWith(10));
    expect(port.released).toEqual([{ grant: { leaseId: 'y', groupInFlight: 3 }, facts: { now: clock.now(), requests: expect.objectContaining({ limit: 60, at: clock.now() }) } }]);
  });

  it('refused past its deadline, the request gets the pool’s own answer (429 with when)', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    port.answer = () => ({ granted: false, readyAt: clock.now() + 30_000, hold: 'scope' });
    const pool = new KeyPool({ provider: 'openai', keys: [fakeKey(1)], clock, admission: port });
    await expect(pool.acquire({ model: 'm', deadlineMs: 0 })).rejects.toMatchObject({ reason: 'all_cooling', retryAfterMs: 30_000 });
  });

  it('a port that fails is no refusal: the request is served on local state, and the failure reported', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    port.answer = () => Promise.reject(new Error('boom'));
    const pool = new KeyPool({ provider: 'openai', keys: [fakeKey(1)], clock, admission: port });
    const errors: string[] = [];
    pool.on('error', (e) => errors.push(e.op));
    const lease = await pool.acquire({ model: 'm' });
    lease.report({ kind: 'ok' });
    expect(errors).toEqual(['admission.admit']);
    expect(port.released).toEqual([]); // nothing granted there, nothing to release
  });

  it('a grant that arrives for a request gone meanwhile (aborted) is released at once', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    let answer: (a: AdmitAnswer) => void = () => {};
    port.answer = () => new Promise((r) => (answer = r));
    const pool = new KeyPool({ provider: 'openai', keys: [fakeKey(1)], clock, admission: port });
    const ac = new AbortController();
    const p = pool.acquire({ model: 'm', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    answer({ granted: true, grant: { leaseId: 'z', groupInFlight: 0 } });
    await flush();
    expect(port.released.map((r) => r.grant.leaseId)).toEqual(['z']);
    expect(pool.snapshot().keys[0]!.inFlight).toBe(0);
  });

  it('the in-flight reservation spreads concurrent picks over the keys while answers are on their way', async () => {
    const clock = new ManualClock();
    const port = new FakeAdmission();
    const pool = new KeyPool({ provider: 'openai', keys: [fakeKey(1), fakeKey(2), fakeKey(3)], clock, admission: port });
    const leases = await Promise.all([0, 1, 2].map(() => pool.acquire({ model: 'm' })));
    expect(new Set(leases.map((l) => l.keyId)).size).toBe(3);
    expect(pool.snapshot().keys.map((k) => k.inFlight)).toEqual([1, 1, 1]);
  });
});
