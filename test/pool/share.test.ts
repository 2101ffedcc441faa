import { describe, expect, it } from 'vitest';
import { Share } from '../../src/pool/share.js';

describe('share: how much of a paced scope’s capacity it has been given', () => {
  it('counts each request in minutes of the capacity believed then; a new estimate re-weighs only what follows', () => {
    const s = new Share();
    for (let i = 0; i < 10; i++) s.took(20); // no limit found yet: the pace is the measure
    expect(s.given).toBeCloseTo(0.5);
    s.found(10);
    expect(s.capacity).toBe(10);
    for (let i = 0; i < 10; i++) s.took(8); // paced at 8 after a cut: still a tenth of a minute each, not an eighth
    expect(s.given).toBeCloseTo(1.5);
  });

  it('averages the limits found (each a noisy sample), and starts afresh when capacity changed', () => {
    const s = new Share();
    s.found(170);
    s.found(190);
    s.found(180);
    expect(s.capacity).toBeCloseTo(180);
    s.found(360); // doubled: not noise
    expect(s.capacity).toBe(360);
    s.found(180); // halved back
    expect(s.capacity).toBe(180);
  });

  it('a lower bound (the budget sat full) below the estimate is no news; one above it proves the estimate low', () => {
    const s = new Share();
    s.found(180);
    s.found(120, false); // light load measures the load, not the limit: given less, it must not look smaller
    expect(s.capacity).toBe(180);
    s.found(200, false);
    expect(s.capacity).toBe(200);
    s.found(0);
    s.found(Number.NaN);
    expect(s.capacity).toBe(200);
  });

  it('starts from what was given before pacing began', () => {
    expect(new Share(3).given).toBe(3);
  });

  it('a first fit counts every request ever sent in it; without one, requests are counted at the estimate from there', () => {
    const s = new Share();
    s.found(120, false); // a first measure of a 3-a-second key: low
    for (let i = 0; i < 240; i++) s.took(120);
    expect(s.given).toBeCloseTo(2);
    // Fitted at 180: the 240 requests are 1.33 minutes of its capacity, not 2.
    s.fit({ rpm: 180, windowMs: 1_000 }, 240);
    expect(s.given).toBeCloseTo(240 / 180);
    expect(s.capacity).toBe(180);
    // The fit starts over: what follows is counted at the estimate, from where the fit left it.
    s.fit(undefined, 240);
    expect(s.given).toBeCloseTo(240 / 180);
    for (let i = 0; i < 120; i++) s.took(120);
    expect(s.given).toBeCloseTo(240 / 180 + 1);
  });

  it('a fit of another window than the last counts everything again; one of the same window counts from where the last left off', () => {
    const s = new Share();
    // A first fit of the wrong kind (10 s at 90 rpm, for a 3-a-second key), then lost, then the right one.
    s.fit({ rpm: 90, windowMs: 10_000 }, 180);
    expect(s.given).toBeCloseTo(2);
    s.fit(undefined, 180);
    s.fit({ rpm: 180, windowMs: 1_000 }, 360);
    expect(s.given).toBeCloseTo(2);
    // Capacity that doubles (the same window): the hour at the old limit stands as it was counted.
    s.fit(undefined, 360);
    for (let i = 0; i < 90; i++) s.took(180);
    s.fit({ rpm: 360, windowMs: 1_000 }, 450);
    expect(s.given).toBeCloseTo(2 + 90 / 360);
    s.fit({ rpm: 360, windowMs: 1_000 }, 810);
    expect(s.given).toBeCloseTo(2 + 450 / 360);
  });
});
