import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/pool/index.js';

describe('ManualClock', () => {
  it('fires timers in time order, equal times in creation order, each at its own time', () => {
    const c = new ManualClock(0);
    const seen: string[] = [];
    c.setTimer(() => seen.push(`b@${c.now()}`), 20);
    c.setTimer(() => seen.push(`a@${c.now()}`), 10);
    c.setTimer(() => seen.push(`c@${c.now()}`), 20);
    c.advance(15);
    expect(seen).toEqual(['a@10']);
    expect(c.now()).toBe(15);
    c.advance(100);
    expect(seen).toEqual(['a@10', 'b@20', 'c@20']);
    expect(c.now()).toBe(115);
  });

  it('cancels, counts and reports the next timer', () => {
    const c = new ManualClock(0);
    let fired = 0;
    const a = c.setTimer(() => fired++, 5);
    c.setTimer(() => fired++, 7);
    expect(c.pendingTimers).toBe(2);
    a.cancel();
    a.cancel();
    expect(c.pendingTimers).toBe(1);
    expect(c.nextTimerAt()).toBe(7);
    c.advance(10);
    expect(fired).toBe(1);
    expect(c.pendingTimers).toBe(0);
    expect(c.nextTimerAt()).toBeUndefined();
  });

  it('fires timers set by timers within the same advance', () => {
    const c = new ManualClock(0);
    const seen: number[] = [];
    c.setTimer(() => {
      seen.push(c.now());
      c.setTimer(() => seen.push(c.now()), 0);
      c.setTimer(() => seen.push(c.now()), 5);
    }, 10);
    c.advance(12);
    expect(seen).toEqual([10, 10]);
    c.advance(3);
    expect(seen).toEqual([10, 10, 15]);
  });

  it('handles a hundred thousand timers quickly (binary heap)', () => {
    const c = new ManualClock(0);
    let n = 0;
    let last = -1;
    let ordered = true;
    for (let i = 0; i < 100_000; i++) {
      const at = (i * 7919) % 100_003;
      c.setTimer(() => {
        n++;
        if (c.now() < last) ordered = false;
        last = c.now();
      }, at);
    }
    const t0 = performance.now();
    c.advance(200_000);
    expect(n).toBe(100_000);
    expect(ordered).toBe(true);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });
});
