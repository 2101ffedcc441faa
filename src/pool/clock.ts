/**
 * Time for the pool. The engine never reads Date.now() or sets a timer directly, so tests drive it
 * with a ManualClock and simulate an hour in milliseconds.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch (wall-clock-like; ManualClock starts wherever it is told). */
  now(): number;
  /** Calls fn once after ms milliseconds of this clock's time. */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(0, ms));
    // A pool's wake-up timer must never keep a process alive on its own.
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to; timers fire in time order during advance(). */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#timers.push(p);
    return {
      cancel: () => {
        p.cancelled = true;
      },
    };
  }

  /** Number of timers still waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Time of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers) if (!t.cancelled && (best === undefined || t.at < best)) best = t.at;
    return best;
  }

  /** Moves time forward by ms, firing every timer that falls due, each at its own time. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      let idx = -1;
      for (let i = 0; i < this.#timers.length; i++) {
        const t = this.#timers[i]!;
        if (t.cancelled || t.at > target) continue;
        const b = idx < 0 ? undefined : this.#timers[idx]!;
        if (!b || t.at < b.at || (t.at === b.at && t.seq < b.seq)) idx = i;
      }
      if (idx < 0) break;
      const t = this.#timers.splice(idx, 1)[0]!;
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#timers = this.#timers.filter((t) => !t.cancelled);
    this.#now = Math.max(this.#now, target);
  }
}
