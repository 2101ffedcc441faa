import { describe, expect, it } from 'vitest';
import { Pacer } from '../../src/pool/pace.js';
import { sharedStart } from '../../src/pool/stated.js';

const MIN = 60_000;

/**
 * Pacers over one provider budget that refills continuously (`perMin` a minute, holding at most `perMin`), with
 * demand always waiting (2× and more): each pacer sends the moment its pace allows. A refusal reaches the pacer
 * at once and, when `stated`, says the budget's limit as Gemini's quotaValue does. Returns what got through and
 * what was refused, per minute range.
 */
function run(o: { pacers: number; perMin: (t: number) => number; minutes: number; stated: boolean }) {
  let level = o.perMin(0);
  let last = 0;
  const pacers: Array<{ p: Pacer | undefined; seq: number; at: number; since: number; ok: number[] }> = Array.from({ length: o.pacers }, (_, i) => ({ p: undefined, seq: 0, at: i * 37, since: i * 37, ok: [] }));
  const ok: number[] = [];
  const refused: number[] = [];
  const end = o.minutes * MIN;
  for (;;) {
    const next = pacers.reduce((a, b) => (b.at < a.at ? b : a));
    const t = next.at;
    if (t >= end) break;
    const rate = o.perMin(t);
    level = Math.min(rate, level + ((t - last) * rate) / MIN);
    last = t;
    next.seq++;
    next.p?.dispatched(t, next.seq);
    if (level >= 1) {
      level -= 1;
      ok.push(t);
      next.ok.push(t);
    } else {
      refused.push(t);
      // The first refusal starts pacing from what got through in the last minute, knowing what got through
      // since the first dispatch (budget.ts does the same).
      next.p ??= new Pacer(Math.max(2, ok.filter((x) => x > t - MIN).length / o.pacers), t, { at: t, seq: next.seq, first: { through: next.ok.length, since: next.since } });
      next.p.limited(t, t, next.seq);
      if (o.stated) next.p.stated(rate, t, next.ok.filter((x) => x > t - MIN).length);
    }
    next.at = next.p ? Math.max(t + 1, next.p.readyAt(t + 1)) : t + 50;
  }
  const count = (xs: number[], from: number, to: number) => xs.filter((x) => x >= from * MIN && x < to * MIN).length;
  return { ok: (a: number, b: number) => count(ok, a, b), refused: (a: number, b: number) => count(refused, a, b), pacers };
}

describe('a limit the provider states in its refusal (Gemini quotaValue)', () => {
  it('a scope with the limit to itself paces just below it and stops probing into 429s', () => {
    const told = run({ pacers: 1, perMin: () => 15, minutes: 30, stated: true });
    const guessed = run({ pacers: 1, perMin: () => 15, minutes: 30, stated: false });
    // Minutes 5–30: the first cycles are over. Only the statement's lapse every ten minutes probes past it.
    expect(told.ok(5, 30)).toBeGreaterThanOrEqual(0.95 * 15 * 25);
    expect(told.refused(5, 30)).toBeLessThanOrEqual(4);
    expect(guessed.refused(5, 30)).toBeGreaterThanOrEqual(2 * told.refused(5, 30));
    expect(told.pacers[0]!.p!.rpm).toBeLessThanOrEqual(15);
  });

  it('a statement holds for ten minutes: a limit raised since is found once it has lapsed', () => {
    // 15 a minute, then 30 from minute 3 on: at the held pace nothing is refused, so nothing past 15 a minute
    // goes until the last statement lapses; then the probe finds the new limit.
    const r = run({ pacers: 1, perMin: (t) => (t < 3 * MIN ? 15 : 30), minutes: 30, stated: true });
    expect(r.ok(4, 8)).toBeLessThanOrEqual(15 * 4);
    expect(r.ok(25, 30)).toBeGreaterThan(0.9 * 30 * 5);
  });

  it('a scope that got far less through than the stated limit shares it: it holds longer before probing', () => {
    /** Requests sent at the pace after a cut before the pace passes the plateau (the probe begins). */
    const holdOf = (own: number) => {
      const p = new Pacer(12, 0, { at: 0, seq: 0, measured: true });
      let t = 0;
      let seq = 0;
      for (let i = 0; i < 10; i++) p.dispatched((t = p.readyAt(t)), ++seq);
      p.limited(t + 100, t, seq); // refused at the plateau: a cut, and a hold before the next probe
      p.stated(15, t + 100, own);
      const plateau = p.measuredRpm! * 0.98;
      let n = 0;
      while (p.rpm <= plateau + 1e-9 && n < 1_000) {
        p.dispatched((t = p.readyAt(t)), ++seq);
        n++;
      }
      return n;
    };
    // The same cut at 12 a minute under a stated 15: 11 through in the last minute is the scope's own use of
    // the limit; 3 is a fifth of it, the rest spent by others.
    const alone = holdOf(11);
    const shared = holdOf(3);
    expect(alone).toBeGreaterThan(50);
    expect(alone).toBeLessThan(70);
    // Three times as long (SHARERS caps the stretch): together they probe about as often as one would.
    expect(shared).toBeGreaterThanOrEqual(3 * alone - 5);
    expect(shared).toBeLessThan(1_000);
  });

  it('a scope the first stated refusal shows to share the limit leaves slow start at its share, not at the whole limit', () => {
    // Refused for the first time with 5 of a stated 15 through in the last minute: two thirds went to others.
    const p = new Pacer(5, 0, { at: 0, seq: 5 });
    p.stated(15, 0, 5);
    expect(p.measuredRpm).toBe(5);
    expect(p.rpm).toBeLessThanOrEqual(5 * 0.98);
    // Demand waits on it for a minute: the pace holds at its share, where slow start would have doubled it up to 14.7.
    let t = 0;
    for (let seq = 6; t < MIN; seq++) p.dispatched((t = p.readyAt(t + 1)), seq);
    expect(p.rpm).toBeLessThanOrEqual(5);
    // Three keys of one project, as keymux meets them when nobody said they share: before, each raced to the
    // project's limit after its first refusal and all were refused again within the minute (12 in the first two
    // minutes, 15 in five).
    const r = run({ pacers: 3, perMin: () => 15, minutes: 30, stated: true });
    expect(r.refused(0, 5)).toBeLessThanOrEqual(8);
    expect(r.ok(2, 30)).toBeGreaterThanOrEqual(0.95 * 15 * 28);
  });

  it('reads a share at a first refusal from what a young scope got since its first request, not from its last minute', () => {
    const S = 1_000;
    // 55 s old, refused with 14 through: a budget of 15 a minute, full at the start, gave up to 28.75 since. The
    // other half went to a sibling; the share is about 7.3 a minute, where the last minute's 14 said "all mine".
    expect(sharedStart(15, 14, { at: 55 * S, since: 0, through: 14 })).toBeCloseTo(7.3, 1);
    // Had to itself: the whole budget under a bucket (28 of 28.75), or one window's 15 where the window is fixed.
    expect(sharedStart(15, 28, { at: 55 * S, since: 0, through: 28 })).toBeUndefined();
    expect(sharedStart(15, 15, { at: 59 * S, since: 0, through: 15 })).toBeUndefined();
    expect(sharedStart(15, 15, { at: 20 * S, since: 0, through: 15 })).toBeUndefined();
    // Older than a minute, the last minute decides: 5 of 15 is a share, 12 is not.
    expect(sharedStart(15, 5, { at: 300 * S, since: 0, through: 200 })).toBe(5);
    expect(sharedStart(15, 12, { at: 300 * S, since: 0, through: 40 })).toBeUndefined();
    expect(sharedStart(15, 5, undefined)).toBe(5);
    // Too few through to read anything from.
    expect(sharedStart(15, 3, { at: 30 * S, since: 0, through: 3 })).toBeUndefined();
  });
});
