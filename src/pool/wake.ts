import type { Clock, TimerHandle } from './clock.js';

/**
 * The pool's one wake-up timer, armed to the earliest time something can change (a cooldown ends, a budget
 * refills, a deadline passes). An earlier timer is kept when a later time is asked: waking early only costs a look.
 */
export class WakeTimer {
  #timer: TimerHandle | undefined;
  #at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fire: () => void,
  ) {}

  arm(at: number, now: number): void {
    if (at === Infinity || at >= this.#at) return;
    this.#timer?.cancel();
    this.#at = at;
    this.#timer = this.clock.setTimer(this.#onTimer, Math.max(1, at - now));
  }

  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#at = Infinity;
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#at = Infinity;
    this.fire();
  };
}
