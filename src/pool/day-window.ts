const DAY = 86_400_000;

/**
 * A configured requests-per-day limit, counted per UTC calendar day: the count rolls over at 00:00 UTC, as
 * providers' daily quotas do, rather than 24 hours after each request (a sliding day would keep a key that
 * spent its day at 09:00 out until 09:00 tomorrow, though the provider gave it a new day at midnight).
 * Same surface as SlidingWindow, where key-state.ts uses it.
 */
export class UtcDayWindow {
  #day = -1;
  #sum = 0;

  constructor(readonly limit: number) {}

  add(now: number, amount = 1): void {
    this.#roll(now);
    this.#sum += amount;
  }

  used(now: number): number {
    this.#roll(now);
    return this.#sum;
  }

  /** Now when `need` more fits in today's count (or today is untouched); else the next 00:00 UTC. */
  readyAt(now: number, need = 1): number {
    this.#roll(now);
    if (this.#sum === 0 || this.#sum + need <= this.limit) return now;
    return (this.#day + 1) * DAY;
  }

  #roll(now: number): void {
    const day = Math.floor(now / DAY);
    if (day !== this.#day) {
      this.#day = day;
      this.#sum = 0;
    }
  }
}
