/** The windows a provider may count requests in (ms): a second, ten seconds, a minute (the issue's, and NIM's). */
export const FIT_WINDOWS: readonly number[] = [1_000, 10_000, 60_000];
/**
 * Evidence within this ratio is consistent: requests reach the provider a few ms after they leave, in either
 * order. In bench:pool (5–30 ms one way) the provider's own window stayed within 3%.
 */
const TOL = 0.05;
/**
 * Requests sent this soon after one that was refused may have reached the provider before it (separate
 * connections): the refusal is read as if they had.
 */
const REORDER_MS = 100;
/** Outcomes held by dispatch number until they come back (a stream's may take minutes: it is then forgotten). */
const RING = 256;
/** Lower-hull points kept; older ones only loosen a bound. */
const HULL_MAX = 512;
/**
 * Outcomes in a row that must keep one window before a fit is told: keys that share a budget with others (a
 * project keymux was not told about) meet refusals their own traffic cannot explain, and their fits keep
 * switching windows and starting over (in bench:pool's c2, every few dozen outcomes).
 */
const STEADY = 100;
const MINUTE = 60_000;

/** A scope's limit as its outcomes prove it: requests per minute, and the window they are counted in. */
export interface Fit {
  rpm: number;
  windowMs: number;
}

/**
 * The limit of a scope no header describes, fitted from what the provider admitted and refused. The pace's own
 * measure (pace.ts) is a lower bound whenever demand left the budget full for a while, which a small budget
 * (3 a second) under light load always does: bench:pool's wmix measured such keys at 110–140 rpm, not 180.
 *
 * A budget of window W and rate r holds r·W requests and refills continuously. After dispatches at t_0 < t_1 <
 * …, its level at t_i is the least, over every earlier j, of r·W + r·(t_i − t_j) − (i − j); request i gets
 * through exactly when that is at least 1. So request i admitted proves r ≥ q_i(W), and refused proves
 * r < q_i(W), where q_i(W) = max over j ≤ i of (i − j + 1) / (W + t_i − t_j): the steepest line from a point
 * (t_j, j) of the dispatch curve to (t_i + W, i + 1). It touches the curve's lower convex hull, where one
 * bisection finds it. Every outcome narrows an interval [lo, hi] for every window at once; the provider's window
 * is the one where the two stay ordered, the others turn over within a few refusals (in wmix a 1 s key's bounds
 * were [179, 181] rpm at a second, [115, 43] at a minute). When no window stays ordered, the limit moved
 * (capacity that doubled, another program on the account): the bounds and the curve start over, and the window
 * that held before is kept while it fits.
 *
 * Pure: times come in with the calls; O(log h) a window per dispatch (h, the hull's points: a few dozen).
 */
export class RateFit {
  /** The dispatch curve's lower convex hull: dispatch times, and requests counted before each. */
  readonly #x: number[] = [];
  readonly #y: number[] = [];
  /** Requests the provider counted as far as known: dispatches, less the refusals heard of. */
  #n = 0;
  /** q(W) of recent dispatches, by dispatch number modulo RING; and the dispatch number each row holds. */
  readonly #q = new Float64Array(RING * FIT_WINDOWS.length);
  readonly #of = new Float64Array(RING).fill(-1);
  /** Dispatch number and time of each row, kept after its outcome: a refusal looks at those sent just after. */
  readonly #seq = new Float64Array(RING).fill(-1);
  readonly #sentAt = new Float64Array(RING);
  readonly #lo = new Float64Array(FIT_WINDOWS.length);
  readonly #hi = new Float64Array(FIT_WINDOWS.length).fill(Infinity);
  #best: Fit | undefined;
  /** The last dispatch number seen. */
  #last = 0;
  /** The window a fit held steady in last: the kind of limit, which a change of rate leaves as it is. */
  #window = -1;
  /** Outcomes in a row that kept the window of #best. */
  #steady = 0;

  /** The fit, once it has held one window over STEADY outcomes in a row; undefined before (or after a change). */
  get fit(): Fit | undefined {
    return this.#steady >= STEADY ? this.#best : undefined;
  }

  /** Dispatch number `seq` (the scope's own count) leaves at `now`. */
  dispatched(now: number, seq: number): void {
    const y = this.#n++;
    this.#last = Math.max(this.#last, seq);
    const slot = seq % RING;
    this.#of[slot] = seq;
    this.#seq[slot] = seq;
    this.#sentAt[slot] = now;
    for (let w = 0; w < FIT_WINDOWS.length; w++) {
      const W = FIT_WINDOWS[w]!;
      // At least the request alone: one request in a budget of one.
      this.#q[slot * FIT_WINDOWS.length + w] = Math.max(1 / W, this.#steepest(now + W, y + 1));
    }
    this.#add(now, y);
  }

  /** Dispatch `seq`, sent at `at`, came back admitted (true) or refused with a 429 (false). */
  settled(seq: number, admitted: boolean, at: number): void {
    const slot = seq % RING;
    const fresh = this.#of[slot] === seq;
    if (fresh) {
      this.#of[slot] = -1;
      for (let w = 0; w < FIT_WINDOWS.length; w++) {
        let q = this.#q[slot * FIT_WINDOWS.length + w]!;
        if (admitted) {
          this.#lo[w] = Math.max(this.#lo[w]!, q);
          continue;
        }
        // A request sent just after may have reached the provider first and taken what was left: the refusal
        // proves no more than the loosest of their bounds (each counted this one, and itself, as taken).
        for (let s = seq + 1; s <= this.#last && s > this.#last - RING && this.#sentAt[s % RING]! <= at + REORDER_MS; s++) {
          if (this.#seq[s % RING] === s) q = Math.max(q, this.#q[(s % RING) * FIT_WINDOWS.length + w]!);
        }
        this.#hi[w] = Math.min(this.#hi[w]!, q);
      }
    }
    if (!admitted) {
      // A refused request took nothing from the budget: points sent after it count one fewer. Requests sent
      // before the refusal was heard of counted it as taken: what they prove is dropped.
      this.#n--;
      this.#uncount(at);
      for (let s = seq + 1; s <= this.#last && s > this.#last - RING; s++) if (this.#of[s % RING] === s) this.#of[s % RING] = -1;
    }
    if (!fresh) return;
    const was = this.#best?.windowMs;
    this.#best = this.#judge();
    this.#steady = this.#best === undefined || this.#best.windowMs !== was ? 0 : this.#steady + 1;
    if (this.#steady >= STEADY) this.#window = FIT_WINDOWS.indexOf(this.#best!.windowMs);
  }

  /**
   * The window whose interval is narrowest. One turned inside out within TOL (jitter put a bound past the other)
   * counts three times as wide: the provider's window stays ordered, a wrong one turns further over.
   */
  #judge(): Fit | undefined {
    let best = -1;
    let widest = Infinity;
    let refused = false;
    for (let w = 0; w < FIT_WINDOWS.length; w++) {
      const lo = this.#lo[w]!;
      const hi = this.#hi[w]!;
      if (hi === Infinity) continue;
      refused = true;
      // A refusal that proves less than one request per window proves a budget smaller than one request, which
      // no provider has: not this window (a 10-rpm key refused in one-second terms).
      if (!(lo > 0) || lo > hi * (1 + TOL) || hi * FIT_WINDOWS[w]! <= 1 + TOL) continue;
      // The window held before, where it still fits, whatever the others say: after a change of rate a
      // key's bounds fit a second's window as tightly as its own ten seconds' for a while.
      const width = w === this.#window ? -1 : lo <= hi ? Math.log(hi / lo) : 3 * Math.log(lo / hi);
      if (width < widest) {
        widest = width;
        best = w;
      }
    }
    if (best >= 0) return { rpm: Math.sqrt(this.#lo[best]! * this.#hi[best]!) * MINUTE, windowMs: FIT_WINDOWS[best]! };
    // The limit moved.
    if (refused && this.#lo.some((lo) => lo > 0)) this.restart();
    return undefined;
  }

  /**
   * Starts over: the limit moved (its bounds crossed, or the pace was refused below it: budget.ts). A provider
   * that changes one starts its budget afresh: the dispatches before now no longer count against it, and what
   * they would add to later bounds is dropped with them. The window found stays the likeliest.
   */
  restart(): void {
    this.#lo.fill(0);
    this.#hi.fill(Infinity);
    this.#x.length = 0;
    this.#y.length = 0;
    this.#of.fill(-1);
    this.#best = undefined;
    this.#steady = 0;
  }

  /**
   * A request sent at `at` was refused: points sent after it, while it still counted, count one fewer. They are
   * the last few of the hull, moved down together; the hull is then made convex again where they meet the rest.
   */
  #uncount(at: number): void {
    const X = this.#x;
    const Y = this.#y;
    let k = X.length;
    while (k > 0 && X[k - 1]! > at) {
      k--;
      Y[k] = Y[k]! - 1;
    }
    if (k === X.length) return;
    const xs = X.splice(0);
    const ys = Y.splice(0);
    for (let i = 0; i < xs.length; i++) this.#add(xs[i]!, ys[i]!);
  }

  /** Adds (x, y) to the lower hull: the last points that fall on or above the chain to it leave. */
  #add(x: number, y: number): void {
    const X = this.#x;
    const Y = this.#y;
    while (X.length >= 2) {
      const k = X.length - 1;
      if ((X[k]! - X[k - 1]!) * (y - Y[k - 1]!) - (Y[k]! - Y[k - 1]!) * (x - X[k - 1]!) > 0) break;
      X.pop();
      Y.pop();
    }
    X.push(x);
    Y.push(y);
    if (X.length > HULL_MAX) {
      X.splice(0, HULL_MAX / 2);
      Y.splice(0, HULL_MAX / 2);
    }
  }

  /** The steepest slope (requests per ms) from a hull point to (qx, qy), to its right; 0 with no point yet. */
  #steepest(qx: number, qy: number): number {
    const X = this.#x;
    const Y = this.#y;
    if (X.length === 0) return 0;
    const slope = (k: number): number => (qy - Y[k]!) / (qx - X[k]!);
    // Along a lower convex hull the slope to a point on its right rises to the tangent point, then falls.
    let lo = 0;
    let hi = X.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (slope(mid) < slope(mid + 1)) lo = mid + 1;
      else hi = mid;
    }
    return slope(lo);
  }
}
