const MINUTE = 60_000;

/**
 * What a pace lets through at once (pace.ts): a bucket `depth` requests deep, refilled at the pace. One deep, it
 * spaces requests evenly, as a pace always did. As deep as a fitted budget (fit.ts: its rate × window), it lets
 * a burst through as the provider would: Poisson demand below a 3-a-second key's limit comes two or three at a
 * time, and spaced one by one the key turned most of them away while it sat full (bench:pool's wmix at 0.7×).
 * Refilled no faster than the provider refills its own, and emptied when it refuses, it never holds more than
 * the provider's budget does, so what it lets through at once is admitted.
 */
export class Burst {
  #depth = 1;
  /** Requests in hand at `#at`. */
  #credit = 0;
  #at = 0;

  get depth(): number {
    return this.#depth;
  }

  /**
   * A new depth. What was in hand at the last dispatch is kept, and refills from there: the provider's budget held
   * at least as much then (it admitted the dispatch) and has refilled at least as fast since.
   */
  resize(depth: number): void {
    this.#depth = Math.max(1, Math.floor(depth));
    this.#credit = Math.min(this.#credit, this.#depth);
  }

  /** Requests in hand at `now`, refilled at `rpm`. */
  level(now: number, rpm: number): number {
    return Math.min(this.#depth, this.#credit + (Math.max(0, now - this.#at) * rpm) / MINUTE);
  }

  /**
   * One request leaves at `now`, from `inHand` (its level just before); returns when the next may. A debt (a
   * dispatch the pace had not allowed yet, in slow start) is forgiven, as the even spacing always did.
   */
  take(now: number, inHand: number, rpm: number): number {
    this.#credit = Math.max(0, inHand - 1);
    this.#at = now;
    return this.#credit >= 1 ? now : Math.ceil(now + ((1 - this.#credit) * MINUTE) / rpm);
  }

  /** The provider refused at `now`: its budget was empty, and so is this one. */
  empty(now: number): void {
    this.#credit = 0;
    this.#at = now;
  }
}
