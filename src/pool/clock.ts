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

/** Orders timers by due time, then by creation, so equal times fire in the order they were set. */
function before(a: Pending, b: Pending): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * A clock that moves only when told to; timers fire in time order during advance().
 * Timers live in a binary min-heap: a simulated hour sets hundreds of thousands of them.
 * Cancelled timers stay in the heap (lazy deletion) and are skipped when they reach the top.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #heap: Pending[] = [];
  #live = 0;

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#push(p);
    this.#live++;
    return {
      cancel: () => {
        if (p.cancelled) return;
        p.cancelled = true;
        this.#live--;
      },
    };
  }

  /** Number of timers still waiting to fire. */
  get pendingTimers(): number {
    return this.#live;
  }

  /** Time of the earliest pending timer, or undefined. */
  nextTimerAt(): number | undefined {
    this.#dropCancelled();
    return this.#heap[0]?.at;
  }

  /** Moves time forward by ms, firing every timer that falls due, each at its own time. */
  advance(ms: number): void {
    this.advanceTo(this.#now + ms);
  }

  advanceTo(target: number): void {
    for (;;) {
      this.#dropCancelled();
      const t = this.#heap[0];
      if (!t || t.at > target) break;
      this.#pop();
      // Marked before running so a timer that cancels itself from inside fn does not count twice.
      t.cancelled = true;
      this.#live--;
      this.#now = Math.max(this.#now, t.at);
      t.fn();
    }
    this.#now = Math.max(this.#now, target);
  }

  #dropCancelled(): void {
    while (this.#heap.length > 0 && this.#heap[0]!.cancelled) this.#pop();
  }

  #push(p: Pending): void {
    const h = this.#heap;
    let i = h.push(p) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(p, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = p;
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[c]!, last)) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = last;
  }
}
