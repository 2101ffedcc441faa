/** Limits found that a running mean takes in full; past them, each new one weighs 1/MEAN_OF (an EWMA). */
const MEAN_OF = 8;
/** A limit this far from the mean is not noise but capacity that changed: the estimate starts afresh from it. */
const CHANGED = 0.4;
const NOTHING: Readonly<{ given: number; sent: number }> = { given: 0, sent: 0 };

/**
 * How much of a paced scope's capacity it has been given, for the default strategy's "least spent first"
 * (select.ts). Each dispatch adds one request in minutes of the capacity believed at that moment, so a later
 * change of estimate re-weighs only what comes after: dividing the requests ever sent by today's pace instead
 * would make a scope whose pace was just cut look over-spent, get less, never meet its pace again, and stay
 * cut (a self-reinforcing spread). The capacity is the mean of the limits found at fresh 429s, not the last
 * one: each is a noisy sample (±10% in bench:pool), and keys of one capacity should be given alike.
 */
export class Share {
  /** Minutes of capacity given so far (requests ÷ rpm), comparable with a configured rpm's requests ÷ limit. */
  given: number;
  /**
   * The capacity its alike peers put it at (alike.ts), which the strategy goes by when set: keys of one
   * capacity measured apart by noise are then given alike.
   */
  pooled: number | undefined;
  /**
   * The limit the scope's own admissions and refusals prove (fit.ts), when they held steady: exact where the
   * mean of the pace's limits is a lower bound (a small budget under light load), so it is what peers pool.
   */
  fitted: number | undefined;
  /** The window of that fit (ms): keys fitted to different windows are different kinds of account (alike.ts). */
  fittedWindowMs: number | undefined;
  #mean: number | undefined;
  #n = 0;
  /** What the fit in force counts from, and where the last fit left off (given, and requests sent). */
  #since = NOTHING;
  #left = NOTHING;
  /** The window of the last fit, kept while the fit starts over: the next one is judged against it. */
  #lastWindow: number | undefined;

  constructor(given = 0) {
    this.given = given;
  }

  /** The capacity believed (rpm), undefined before a limit was found. */
  get capacity(): number | undefined {
    return this.pooled ?? this.estimate;
  }

  /** What its peers pool (alike.ts): the fitted limit when there is one, else its own estimate; and its weight. */
  get estimate(): number | undefined {
    return this.fitted ?? this.#mean;
  }

  get weight(): number {
    return this.fitted !== undefined ? MEAN_OF : this.#n;
  }

  /** Its own estimate (rpm), from the limits it found alone; undefined before one. */
  get own(): number | undefined {
    return this.#mean;
  }

  /** How many limits its own estimate stands on (at most MEAN_OF): its weight among its peers. */
  get samples(): number {
    return this.#n;
  }

  /**
   * A limit (rpm) found at a fresh 429: `exact` when demand waited on the pace for most of the cycle before it,
   * else a lower bound (the budget sat full for part of it: under light load the rate measured is the load).
   * A lower bound below the estimate says nothing; one above it proves the estimate low. Taking lower bounds
   * as samples would feed back: a key given less measures less, and is given less.
   */
  found(limit: number, exact = true): void {
    if (!(limit > 0)) return;
    if (!exact) {
      if (this.#mean === undefined || limit > this.#mean) {
        this.#mean = limit;
        this.#n = 1;
      }
      return;
    }
    if (this.#mean === undefined || Math.abs(limit - this.#mean) > CHANGED * this.#mean) {
      this.#mean = limit;
      this.#n = 1;
      return;
    }
    this.#n = Math.min(MEAN_OF, this.#n + 1);
    this.#mean += (limit - this.#mean) / this.#n;
  }

  /**
   * The fit (fit.ts) of the scope, which has sent `sent` requests in all: what peers pool, and what the
   * strategy compares first between exact capacities (select.ts `exact`). A fit counts the requests sent in it: `given` was counted at
   * guesses before it, and a 3-a-second key counted at its first measures (110–140 rpm, not 180) stood minutes
   * ahead of its peers and was given less for the rest of the hour (bench:pool's wmix at 0.7×, seed 3: 0.67 of
   * its capacity against 0.72). The first fit counts every request ever sent, and so does one of another window
   * than the last (that one was the wrong kind of limit: on the same seed a first fit at 91 rpm over 10 s, then
   * 184 over a second). One of the same window is capacity that changed: it counts from where the last fit left
   * off, and what came before stands (re-weighed at a doubled limit, an hour at the old one made a key look far
   * behind, and it was given 1.3 times its share: up10 at 1×, seed 5). Without a fit, requests are counted at the
   * estimate from where the fit left them.
   */
  fit(f: { rpm: number; windowMs: number } | undefined, sent: number): void {
    if (f && this.fitted === undefined) this.#since = f.windowMs === this.#lastWindow ? this.#left : NOTHING;
    else if (!f && this.fitted !== undefined) this.#left = { given: this.given, sent };
    if (f) {
      this.given = this.#since.given + (sent - this.#since.sent) / f.rpm;
      this.#lastWindow = f.windowMs;
    }
    this.fitted = f?.rpm;
    this.fittedWindowMs = f?.windowMs;
  }

  /** One request dispatched while the pace was `rpm` (the measure before any limit was found). */
  took(rpm: number): void {
    const cap = this.capacity ?? rpm;
    if (cap > 0) this.given += 1 / cap;
  }
}
