import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/pool/pace.js';

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
