import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/pool/pace.js';
import { SentRate, probeBound } from '../../src/pool/probe.js';

const MIN = 60_000;

/**
 * One paced scope against a continuous-refill bucket (`limit` per minute, `burst` stored at most), demand always
 * waiting on the pace, answers 300 ms after dispatch (a 429 100 ms). Returns per dispatch whether it was refused.
 */
function drive(limit: number, burst: number, durationMs: number): { at: number; refused: boolean }[] {
  const rate = limit / MIN;
  let level = 0;
  let levelAt = 0;
  let seq = 0;
  // Starts as the budget does after a first 429 measured at 60% of the limit: pacing, with a rate to hold.
  const p = new Pacer(limit * 0.6, 0, { at: 0, seq: 0, measured: true });
  const pending: { at: number; acquiredAt: number; seq: number }[] = [];
  const out: { at: number; refused: boolean }[] = [];
  let now = 0;
  while (now < durationMs) {
    const next = p.readyAt(now);
    const answer = pending[0];
    if (answer && answer.at <= next) {
      pending.shift();
      now = Math.max(now, answer.at);
      p.limited(now, answer.acquiredAt, answer.seq);
      continue;
    }
    now = next;
    level = Math.min(burst, level + (now - levelAt) * rate);
    levelAt = now;
    seq++;
    p.dispatched(now, seq);
    const refused = level < 1;
    if (refused) pending.push({ at: now + 100, acquiredAt: now, seq });
    else level -= 1;
    out.push({ at: now, refused });
  }
  return out;
}

describe('the probe past the plateau on a large budget', () => {
  it('costs one 429 a cycle, not two: after a first overshoot the requests stored during the hold are not counted as rate', () => {
    const limit = 40;
    const log = drive(limit, 40, 180 * MIN);
    const late = log.filter((d) => d.at >= 60 * MIN);
    const refusals = late.flatMap((d, i) => (d.refused ? [i] : []));
    // A refusal within 3 requests of the previous one is the second 429 of an overshooting cycle.
    const doubles = refusals.filter((i, k) => k > 0 && i - refusals[k - 1]! <= 3).length;
    expect(refusals.length).toBeGreaterThan(3);
    expect(doubles).toBeLessThanOrEqual(1);
    expect(refusals.length / late.length).toBeLessThan(0.02);
    // And the pace still serves nearly the whole refill.
    const served = late.filter((d) => !d.refused).length;
    expect(served / ((120 * MIN * limit) / MIN)).toBeGreaterThan(0.95);
  });

  it('a small budget (3 a second) keeps finding its rate: the raw probe measure is not corrected away', () => {
    const log = drive(180, 3, 30 * MIN);
    const late = log.filter((d) => d.at >= 10 * MIN);
    const served = late.filter((d) => !d.refused).length;
    expect(served / (20 * 180)).toBeGreaterThan(0.93);
    expect(late.filter((d) => d.refused).length / late.length).toBeLessThan(0.03);
  });
});

describe('what the share learns from a paced scope', () => {
  /** Dispatches `n` requests, each the moment the pace allows (demand waiting on it), from `now`; returns the time after. */
  function sendAtPace(p: Pacer, now: number, first: number, n: number): number {
    for (let i = 0; i < n; i++) {
      now = p.readyAt(now);
      p.dispatched(now, first + i);
    }
    return now;
  }

  it('takes rates measured between 429s, not the floor a cut falls back on', () => {
    const p = new Pacer(100, 0, { at: 0, seq: 0, measured: true });
    let now = sendAtPace(p, 1, 1, 30);
    // Refused after 29 got through at the pace: a rate is measured, and the share believes it.
    p.limited(now + 100, now, 30);
    const measured = p.share.own!;
    expect(measured).toBeGreaterThan(90);
    expect(measured).toBeLessThan(101);
    // Refused again on the very next request: nothing measurable got through. The pace falls back on a deeper
    // cut (the limit may have fallen), but that is a guess: the share's estimate stays what was measured.
    now = sendAtPace(p, now + 200, 31, 1);
    p.limited(now + 100, now, 31);
    expect(p.measuredRpm!).toBeLessThan(0.8 * measured);
    expect(p.share.own).toBe(measured);
  });

  it('takes the guess when it is all there is: a first estimate', () => {
    const p = new Pacer(100, 0, { at: 0, seq: 0, measured: true });
    const now = sendAtPace(p, 1, 1, 2);
    p.limited(now + 100, now, 2);
    expect(p.share.own).toBe(p.measuredRpm);
  });
});

describe('the probe and demand below the pace', () => {
  /** Poisson demand at `rpm` (seeded) from `start`: each request goes when it arrives, or when the pace allows, whichever is later. */
  function poisson(p: Pacer, rpm: number, n: number, seed: number, start = 0): { at: number; gap: number }[] {
    let s = seed >>> 0;
    const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    let arrival = start;
    let last = start;
    const out: { at: number; gap: number }[] = [];
    for (let i = 1; i <= n; i++) {
      arrival += (-Math.log(1 - rnd()) * MIN) / rpm;
      const at = Math.max(arrival, p.readyAt(arrival));
      p.dispatched(at, i);
      out.push({ at, gap: at - last });
      last = at;
    }
    return out;
  }

  it('does not run away from demand below it that meets it only in bursts', () => {
    // A limit found at 140 rpm, the hold spent: from here the probe grows with each request demand sends at the
    // pace. Demand is 100 rpm, Poisson: its bursts meet the pace now and then, its rate never does. Unbounded, the
    // probe took this pace to ~1,850 rpm (32 ms between requests): it spaced nothing, and the bursts themselves
    // met a small budget. Bound by 1.5× the rate of the last 16 requests, it stays within a few times the demand.
    const p = new Pacer(140, 0, { at: 0, seq: 0, measured: true });
    const first = poisson(p, 100, 2_000, 7);
    expect(p.rpm).toBeLessThan(400);
    // So the pace still spaces the bursts.
    const tail = poisson(p, 100, 2_000, 8, first[first.length - 1]!.at).slice(1);
    expect(Math.min(...tail.map((d) => d.gap))).toBeGreaterThan(MIN / 400);
  });

  it('still climbs with demand that waits on it: capacity that doubled is found', () => {
    const p = new Pacer(40, 0, { at: 0, seq: 0, measured: true });
    // Demand far above the pace: every request is sent the moment the pace allows.
    let now = 0;
    for (let i = 1; i <= 300; i++) {
      now = p.readyAt(now);
      p.dispatched(now, i);
    }
    expect(p.rpm).toBeGreaterThan(80);
  });
});

describe('the rate requests were sent at (the probe\'s bound)', () => {
  it('is unknown (no bound) until sixteen intervals are seen, then their rate; the bound never falls below the plateau', () => {
    const r = new SentRate();
    // Asked at each dispatch before it is added: fifteen earlier dispatches make fifteen intervals up to now.
    for (let i = 0; i < 15; i++) r.add(i * 1_000);
    expect(r.rpm(15_000)).toBe(Infinity);
    r.add(15_000);
    // Sixteen intervals of 1 s up to now: 60 a minute; then sixteen 250 ms apart read as 240.
    expect(r.rpm(16_000)).toBeCloseTo(60, 6);
    for (let i = 1; i <= 16; i++) r.add(16_000 + i * 250);
    expect(r.rpm(20_250)).toBeCloseTo(240, 6);
    expect(probeBound(100, 40)).toBe(100);
    expect(probeBound(100, 240)).toBe(360);
  });
});

describe('a pace as deep as the budget it paces (a fitted depth)', () => {
  /** How many requests go at `at` before the pace makes one wait, and when that one may go. */
  const burst = (p: Pacer, at: number): { sent: number; nextAt: number } => {
    let sent = 0;
    while (p.readyAt(at) === at && sent < 100) {
      p.dispatched(at, sent);
      sent++;
    }
    return { sent, nextAt: p.readyAt(at) };
  };

  it('depth 1 spaces requests evenly, as a pace always did', () => {
    const p = new Pacer(60, 0, { measured: true });
    expect(p.depth).toBe(1);
    expect(burst(p, 10_000)).toEqual({ sent: 1, nextAt: 11_000 });
  });

  it('lets as many through at once as it has in hand, refills at the pace, and is emptied by a refusal', () => {
    const p = new Pacer(60, 0, { measured: true });
    p.depth = 10.4;
    expect(p.depth).toBe(10);
    // What was in hand at the last dispatch (none yet) has refilled over 20 s at 60 a minute: full.
    expect(burst(p, 20_000)).toEqual({ sent: 10, nextAt: 21_000 });
    // Six refilled 6 s later: six go.
    expect(burst(p, 26_000)).toEqual({ sent: 6, nextAt: 27_000 });
    // A refusal: the provider's budget was empty, and so is the pace's, from the cut on at the cut pace. What
    // had refilled since (five by 31 s) is gone: one request an interval of the cut pace after the cut.
    p.limited(31_000, 30_000, 20);
    const interval = MIN / p.rpm;
    expect(burst(p, 31_000).sent).toBe(0);
    expect(burst(p, Math.ceil(31_000 + interval))).toMatchObject({ sent: 1 });
  });

  it('one deep too, a refusal empties it: the next request waits an interval of the cut pace, not of the pace refused', () => {
    // Out of slow start at 24 a minute: the next request was due 2.5 s after the last.
    const p = new Pacer(24, 0, { measured: true });
    expect(burst(p, 10_000)).toEqual({ sent: 1, nextAt: 12_500 });
    // Refused at 10.5 s: the provider's budget is empty, and refills at no more than the cut pace. Sent at the
    // old pace's time it would be refused again, and read as a limit that fell (a pace 0.7 of the last).
    p.limited(10_500, 10_000, 1);
    const interval = MIN / p.rpm;
    expect(interval).toBeGreaterThan(2_500);
    expect(burst(p, 12_500).sent).toBe(0);
    expect(burst(p, Math.ceil(10_500 + interval))).toMatchObject({ sent: 1 });
  });

  it('is one deep until the pace has measured a rate (slow start keeps its own spacing)', () => {
    const p = new Pacer(30, 0);
    p.depth = 10;
    expect(p.depth).toBe(1);
  });
});
