import { describe, expect, it } from 'vitest';
import type { AttemptResult, KeyPool, Lease, ManualClock, Outcome } from '../../src/pool/index.js';
import { Budget } from '../../src/pool/budget.js';
import { KeyState } from '../../src/pool/key-state.js';
import { RefusalLevel, WARY_MS, limitsUnknown, showedRoom } from '../../src/pool/wary.js';
import { drive, fakeKey, flush, limited, makePool, ok } from './helpers.js';


/** Key ids of a pool, in configuration order. */
const ids = (pool: KeyPool) => pool.snapshot().keys.map((k) => k.id);

/** `n` requests on key `id` (the others excluded), each back ok 100 ms later. */
async function serve(pool: KeyPool, clock: ManualClock, id: string, n: number): Promise<void> {
  const others = new Set(ids(pool).filter((x) => x !== id));
  for (let i = 0; i < n; i++) {
    const l = await pool.acquire({ model: 'm', exclude: others });
    expect(l.keyId).toBe(id);
    clock.advance(100);
    l.report(ok);
  }
}

/** A 429 with no hint on key `id`. */
async function refuse(pool: KeyPool, clock: ManualClock, id: string): Promise<void> {
  const l = await pool.acquire({ model: 'm', exclude: new Set(ids(pool).filter((x) => x !== id)) });
  clock.advance(100);
  l.report(limited());
}

/** Two keys of unknown limits that got alike through (three each); a was refused, b has shown no more room. */
async function twoAlikeOneRefused() {
  const { pool, clock } = makePool(2);
  const [a, b] = ids(pool) as [string, string];
  await serve(pool, clock, a, 3);
  await serve(pool, clock, b, 3);
  await refuse(pool, clock, a);
  return { pool, clock, a, b };
}

/**
 * Three keys of unknown limits (no headers, nothing configured), given alike: a, b and c. a was refused after
 * four got through in the last minute; b got as many through, c six.
 */
async function refusedAlike(opts: Parameters<typeof makePool>[1] = {}) {
  const { pool, clock } = makePool(3, opts);
  const [a, b, c] = ids(pool) as [string, string, string];
  await serve(pool, clock, a, 4);
  await serve(pool, clock, b, 4);
  await serve(pool, clock, c, 6);
  await refuse(pool, clock, a);
  return { pool, clock, a, b, c };
}

describe('wary retries: after a 429, keys of unknown limits must show room first', () => {
  it('a plain request takes the least used key; one refused already takes the key that got more through than the refused one', async () => {
    const { pool, b, c } = await refusedAlike();
    const plain = await pool.acquire({ model: 'm' });
    expect(plain.keyId).toBe(b); // fewest requests: what the strategy picks when nothing tells the keys apart
    plain.release();
    const wary = await pool.acquire({ model: 'm', wary: true });
    expect(wary.keyId).toBe(c);
    wary.release();
  });

  it('waits while no key has shown room, and takes one as soon as it has', async () => {
    const { pool, clock } = makePool(3);
    const [a, b, c] = ids(pool) as [string, string, string];
    await serve(pool, clock, a, 4);
    await serve(pool, clock, b, 4);
    await serve(pool, clock, c, 4);
    // A request on c is on its way; then a is refused after as many got through as on b and c.
    const onC = await pool.acquire({ model: 'm', exclude: new Set([a, b]) });
    await refuse(pool, clock, a);

    let got: Lease | undefined;
    void pool.acquire({ model: 'm', wary: true }).then((l) => (got = l));
    await flush();
    expect(got).toBeUndefined();
    expect(pool.waiting).toBe(1);

    // c's fifth success is one more than a had: c has room the refused key did not.
    clock.advance(500);
    onC.report(ok);
    await flush();
    expect(got?.keyId).toBe(c);
  });

  it('takes any key once it has waited WARY_MS: a wait, not a refusal', async () => {
    const { pool, clock, b } = await twoAlikeOneRefused();
    const t0 = clock.now();
    const l = await drive(clock, pool.acquire({ model: 'm', wary: true }));
    expect(l.keyId).toBe(b);
    expect(clock.now() - t0).toBe(WARY_MS);
  });

  it('never waits more than half of what the request may still wait', async () => {
    const { pool, clock, b } = await twoAlikeOneRefused();
    const t0 = clock.now();
    const l = await drive(clock, pool.acquire({ model: 'm', wary: true, deadlineMs: 1_000 }));
    expect(l.keyId).toBe(b);
    expect(clock.now() - t0).toBe(500);
  });

  it('takes a key whose limits are known at once: its budget says whether it has room', async () => {
    const { pool, clock } = makePool([fakeKey(1), { key: fakeKey(2), rpm: 100 }]);
    const [a, b] = ids(pool) as [string, string];
    await serve(pool, clock, a, 3);
    await refuse(pool, clock, a);
    const l = await pool.acquire({ model: 'm', wary: true });
    expect(l.keyId).toBe(b);
  });
});

describe('showing room', () => {
  it('a key refused itself in the last minute has not, however much it got through', () => {
    const b = new Budget();
    for (let i = 0; i < 6; i++) b.succeeded(1_000 + i);
    expect(showedRoom(b, 4, 2_000)).toBe(true);
    b.rateLimited(2_000, 1_900);
    for (let i = 0; i < 3; i++) b.succeeded(3_000 + i);
    expect(showedRoom(b, 4, 4_000)).toBe(false);
    // A minute after the request refused was sent, what got through since counts again.
    for (let i = 0; i < 5; i++) b.succeeded(50_000 + i);
    expect(showedRoom(b, 4, 61_900)).toBe(true);
    expect(showedRoom(undefined, 0, 61_900)).toBe(false); // never used: nothing shown
  });

  it('a pace in slow start is no known limit; a limit stated in a refusal is', () => {
    const k = new KeyState(fakeKey(1));
    k.configure({ key: fakeKey(1) });
    const guessed = new Budget();
    const stated = new Budget();
    for (const b of [guessed, stated]) for (let i = 0; i < 4; i++) b.succeeded(1_000 + i);
    expect(limitsUnknown(k, guessed)).toBe(true);
    guessed.rateLimited(2_000, 1_900);
    stated.rateLimited(2_000, 1_900, stated.seq, 15);
    expect(guessed.pacer).toBeDefined();
    expect(limitsUnknown(k, guessed)).toBe(true);
    expect(limitsUnknown(k, stated)).toBe(false);
  });

  it('the level is the most a refused key had got through, over the last minute', () => {
    const l = new RefusalLevel();
    expect(l.level(0)).toBe(0);
    l.note(8, 1_000);
    l.note(5, 2_000);
    expect(l.level(3_000)).toBe(8);
    expect(l.level(61_000)).toBe(5); // the 8 is a minute old
    l.note(6, 61_500);
    expect(l.level(62_000)).toBe(6);
    expect(l.level(121_500)).toBe(0);
  });
});

describe('run() retries a refused request wary', () => {
  it('after a 429 on a key of unknown limits, the retry goes to the key that showed room, not to another alike', async () => {
    const { pool, clock } = makePool(3);
    const [a, b, c] = ids(pool) as [string, string, string];
    await serve(pool, clock, a, 3);
    await serve(pool, clock, b, 3);
    await serve(pool, clock, c, 5);
    // a and b are at the end of their budgets; c has room.
    const answer: Record<string, Outcome> = { [a]: limited(), [b]: limited(), [c]: ok };
    const seen: string[] = [];
    const attempt = async (lease: Lease): Promise<AttemptResult<null>> => {
      seen.push(lease.keyId);
      return { outcome: answer[lease.keyId]!, value: null };
    };
    const r = await drive(clock, pool.run('m', attempt, { maxAttempts: 3 }));
    // Without wariness the retry took b (fewer requests than c): a second 429, and a third attempt.
    expect(seen).toEqual([a, c]);
    expect(r.outcome.kind).toBe('ok');
  });
});
