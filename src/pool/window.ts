/**
 * A sliding window of amounts over the last `windowMs` (configured rpm / tpm / rpd, and the successes a
 * headerless group saw before its 429). Entries live in a growable ring, so adding and evicting are O(1)
 * amortised and a window never holds more than the requests of one window.
 */
export class SlidingWindow {
  #t: Float64Array;
  #v: Float64Array;
  #head = 0;
  #len = 0;
  #sum = 0;

  constructor(
    readonly windowMs: number,
    readonly limit: number,
  ) {
    const cap = Math.min(64, Math.max(4, Math.ceil(limit) + 1));
    this.#t = new Float64Array(cap);
    this.#v = new Float64Array(cap);
  }

  add(now: number, amount = 1): void {
    this.#evict(now);
    if (this.#len === this.#t.length) this.#grow();
    const i = (this.#head + this.#len) % this.#t.length;
    this.#t[i] = now;
    this.#v[i] = amount;
    this.#len++;
    this.#sum += amount;
  }

  used(now: number): number {
    this.#evict(now);
    return this.#sum;
  }

  /**
   * Earliest time at which `need` more fits under the limit: now when it fits, else when enough old entries
   * leave the window. A need larger than the whole limit fits only into an empty window (so it is not starved).
   */
  readyAt(now: number, need = 1): number {
    this.#evict(now);
    if (this.#sum === 0 || this.#sum + need <= this.limit) return now;
    let sum = this.#sum;
    const cap = this.#t.length;
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#head + k) % cap;
      sum -= this.#v[i]!;
      if (sum <= 0 || sum + need <= this.limit) return this.#t[i]! + this.windowMs;
    }
    return now;
  }

  /** When every amount now in the window has left it (now when it is empty): the window is whole again. */
  fullAt(now: number): number {
    this.#evict(now);
    return this.#len === 0 ? now : this.#t[(this.#head + this.#len - 1) % this.#t.length]! + this.windowMs;
  }

  #evict(now: number): void {
    const cap = this.#t.length;
    const edge = now - this.windowMs;
    while (this.#len > 0 && this.#t[this.#head]! <= edge) {
      this.#sum -= this.#v[this.#head]!;
      this.#head = (this.#head + 1) % cap;
      this.#len--;
    }
    if (this.#len === 0) this.#sum = 0; // no float drift survives an empty window
  }

  #grow(): void {
    const cap = this.#t.length;
    const t = new Float64Array(cap * 2);
    const v = new Float64Array(cap * 2);
    for (let k = 0; k < this.#len; k++) {
      const i = (this.#head + k) % cap;
      t[k] = this.#t[i]!;
      v[k] = this.#v[i]!;
    }
    this.#t = t;
    this.#v = v;
    this.#head = 0;
  }
}
