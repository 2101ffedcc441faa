import { describe, expect, it } from 'vitest';
import { Budget } from '../../src/pool/budget.js';
import type { Fit } from '../../src/pool/fit.js';
import type { KeyState } from '../../src/pool/key-state.js';
import { Sounding } from '../../src/pool/sounding.js';
import { flush } from './helpers.js';
import { runWindows } from './windows-sim.js';

const MIN = 60_000;

/** A budget whose fit can be set by the test (a real one needs hundreds of outcomes to settle: fit.test.ts). */
class Fitted extends Budget {
  fit: Fit | undefined;
  override get fitted(): Fit | undefined {
    return this.fit;
  }
}

/** What Sounding reads of a key: its id, whether it is disabled, its configured windows. */
function key(id: string, over: Partial<Pick<KeyState, 'disabled' | 'rpm'>> = {}): KeyState {
  return { id, disabled: undefined, rpm: undefined, tpm: undefined, rpd: undefined, ...over } as unknown as KeyState;
}

/** A budget that carried `n` requests at `now`, none refused. */
function carried(n: number, now: number): Fitted {
  const b = new Fitted();
  for (let i = 0; i < n; i++) b.dispatch(now, 0);
  return b;
}

/** A budget refused once after a few successes: paced from then on (pace.ts). */
function paced(now: number): Fitted {
  const b = carried(5, now);
  for (let i = 0; i < 5; i++) b.succeeded(now);
  b.rateLimited(now, now, b.seq);
  expect(b.pacer).toBeDefined();
  return b;
}

function setup(now: number) {
  const keys = [key('small'), key('large'), key('young'), key('configured')];
  const budgets = new Map<KeyState, Fitted>([
    [keys[0]!, paced(now)],
    [keys[1]!, carried(200, now)],
    [keys[2]!, carried(10, now)],
    [keys[3]!, carried(300, now)],
  ]);
  (keys[3] as { rpm: unknown }).rpm = { limit: 100 };
  const scopeOf = (k: KeyState) => budgets.get(k);
  return { keys, budgets, scopeOf, s: new Sounding() };
}

describe('sounding a key no refusal has bounded (sounding.ts)', () => {
  it('waits until the pool has been learning from refusals for a minute, then sounds the unbounded key that carried most', () => {
    const t0 = 1_000_000;
    const { keys, scopeOf, s } = setup(t0);
    // Another key is paced from t0 on: learning, but not for long enough yet.
    expect(s.target(keys, scopeOf, 'm', t0)).toBeUndefined();
    expect(s.target(keys, scopeOf, 'm', t0 + 30_000)).toBeUndefined();
    // A minute on: the large key (200 carried), not the young one (10 carried) nor the configured one (300, rpm set).
    expect(s.target(keys, scopeOf, 'm', t0 + MIN)?.id).toBe('large');
  });

  it('sounds nothing while no key is paced: nothing says the provider refuses without headers', () => {
    const now = 1_000_000;
    const keys = [key('a'), key('b')];
    const budgets = new Map([
      [keys[0]!, carried(100, now)],
      [keys[1]!, carried(100, now)],
    ]);
    const s = new Sounding();
    for (let t = now; t <= now + 5 * MIN; t += 1_000) expect(s.target(keys, (k) => budgets.get(k), 'm', t)).toBeUndefined();
  });

  it('goes on past the first refusal until the limit is fitted, then moves to the next unbounded key', () => {
    const t0 = 1_000_000;
    const { keys, budgets, scopeOf, s } = setup(t0);
    s.target(keys, scopeOf, 'm', t0);
    const t1 = t0 + MIN;
    expect(s.target(keys, scopeOf, 'm', t1)?.id).toBe('large');
    const large = budgets.get(keys[1]!)!;
    for (let i = 0; i < 5; i++) large.succeeded(t1);
    large.rateLimited(t1 + 5_000, t1 + 5_000, large.seq);
    // Refused and paced, but one refusal fits several windows: still sounded.
    expect(s.target(keys, scopeOf, 'm', t1 + 6_000)?.id).toBe('large');
    large.fit = { rpm: 100, windowMs: MIN };
    // Fitted: done. The young key has since carried enough and is next.
    const young = budgets.get(keys[2]!)!;
    for (let i = 0; i < 25; i++) young.dispatch(t1 + 7_000, 0);
    expect(s.target(keys, scopeOf, 'm', t1 + 8_000)?.id).toBe('young');
  });

  it('a key that takes everything for three minutes unrefused rests half an hour', () => {
    const t0 = 1_000_000;
    const { keys, scopeOf, s } = setup(t0);
    s.target(keys, scopeOf, 'm', t0);
    const t1 = t0 + MIN;
    expect(s.target(keys, scopeOf, 'm', t1)?.id).toBe('large');
    expect(s.target(keys, scopeOf, 'm', t1 + 3 * MIN - 1)?.id).toBe('large');
    expect(s.target(keys, scopeOf, 'm', t1 + 3 * MIN)).toBeUndefined();
    expect(s.target(keys, scopeOf, 'm', t1 + 20 * MIN)).toBeUndefined();
    expect(s.target(keys, scopeOf, 'm', t1 + 3 * MIN + 30 * MIN)?.id).toBe('large');
  });

  it('starts no sounding within ten seconds of a request that found every key taken; one under way goes on', () => {
    const t0 = 1_000_000;
    const { keys, scopeOf, s } = setup(t0);
    s.target(keys, scopeOf, 'm', t0);
    s.full(t0 + MIN - 5_000);
    expect(s.target(keys, scopeOf, 'm', t0 + MIN)).toBeUndefined();
    expect(s.target(keys, scopeOf, 'm', t0 + MIN + 5_000)?.id).toBe('large');
    s.full(t0 + MIN + 6_000);
    expect(s.target(keys, scopeOf, 'm', t0 + MIN + 7_000)?.id).toBe('large');
  });

  it('lets go of a key disabled or removed meanwhile', () => {
    const t0 = 1_000_000;
    const { keys, scopeOf, s } = setup(t0);
    s.target(keys, scopeOf, 'm', t0);
    expect(s.target(keys, scopeOf, 'm', t0 + MIN)?.id).toBe('large');
    const without = keys.filter((k) => k.id !== 'large');
    expect(s.target(without, scopeOf, 'm', t0 + MIN + 1_000)).toBeUndefined();
    (keys[1] as { disabled: unknown }).disabled = { reason: 'revoked', at: t0 };
    expect(s.target(keys, scopeOf, 'm', t0 + MIN + 2_000)).toBeUndefined();
  });
});

describe('sounding in a pool (no headers, light load)', () => {
  it('two 100-a-minute keys beside eight 10-a-minute ones at 0.7×: every limit is fitted, and shares follow capacity', async () => {
    const accounts = [
      ...Array.from({ length: 2 }, () => ({ limit: 100, windowMs: MIN, keys: 1 })),
      ...Array.from({ length: 8 }, () => ({ limit: 10, windowMs: MIN, keys: 1 })),
    ];
    const r = await runWindows({ accounts, demand: [{ atMs: 0, load: 0.7 }], durationMs: 60 * MIN, seed: 1 });
    expect(r.failed + r.refused).toBe(0);
    const snap = r.pool.snapshot().keys;
    // Each large key was sounded once, and said so (the log's line); no small key needed it.
    expect(r.sounded.sort()).toEqual([snap[0]!.id, snap[1]!.id].sort());
    const fits = snap.map((k) => k.budgets?.['*']?.fitted);
    // Without sounding the large keys were never refused at this load: nothing fitted them.
    for (const [i, f] of fits.entries()) {
      const limit = i < 2 ? 100 : 10;
      expect(f?.windowMs).toBe(MIN);
      expect(f!.rpm).toBeGreaterThan(0.95 * limit);
      expect(f!.rpm).toBeLessThan(1.05 * limit);
    }
    const use = snap.map((k, i) => k.successes / (i < 2 ? 100 : 10));
    expect(Math.min(...use) / Math.max(...use)).toBeGreaterThan(0.9);
    // The soundings cost a few 429s, not a share of the traffic.
    expect(r.rateLimited / r.attempts).toBeLessThan(0.01);
    r.pool.close();
    await flush();
  });
});
