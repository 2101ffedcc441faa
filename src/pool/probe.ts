const MINUTE = 60_000;

/**
 * The probe past the plateau (pace.ts): how it grows, and how far demand lets it. The first step is a fraction
 * of the plateau; each request sent at the pace grows it by a quarter, so doubled capacity is found within ~30
 * requests.
 */
const PROBE_STEP = 0.005;
export const PROBE_GROWTH = 1.25;
/**
 * The largest probe step (a fraction of the plateau): past it the probe grows linearly, so a large budget
 * draining slowly under an overshooting pace (40 a minute takes dozens of requests to empty) is not met by a
 * pace grown a thousandfold, with everything in flight refused at once.
 */
const PROBE_MAX = 0.05;
/**
 * The probe never takes the pace past this multiple of the rate requests were actually sent at (SentRate):
 * demand below the pace that meets it now and then (Poisson arrivals) would otherwise grow it 25% each time,
 * until the pace spaced nothing and the demand's own bursts met a small budget (bench:pool's wmix at 0.7×: 1 s
 * keys limited at 140 rpm refused at paces of 300–600 rpm, 150 ms between requests).
 */
const PROBE_OVER = 1.5;
/**
 * How many intervals between dispatches that rate is taken over. Sixteen, not a longer span: a burst long enough
 * to queue that many is demand at the pace, and a smoother measure (a 10–30 s average) kept the probe from the
 * 429s that small budgets learn from (in bench:pool's w1, balance at 0.7× fell from 0.98 to 0.91).
 */
const RECENT = 16;

/**
 * The probe's next step (rpm) after `step` (0 before the first), at a pace of `rpm` past `plateau`: a quarter more
 * a request, or a second where requests are further apart (a pace of a few a minute would otherwise take an hour
 * to find capacity that doubled).
 */
export function nextStep(step: number, plateau: number, rpm: number): number {
  const perSecond = Math.max(1, MINUTE / rpm / 1000);
  return step === 0 ? PROBE_STEP * plateau : Math.min(step * PROBE_GROWTH ** perSecond, PROBE_MAX * plateau * perSecond);
}

/** The highest pace the probe may reach: PROBE_OVER times the rate requests were sent at, never below the plateau. */
export function probeBound(plateau: number, sentRpm: number): number {
  return Math.max(plateau, PROBE_OVER * sentRpm);
}

/** The rate requests were actually sent at: a ring of the last dispatch times. */
export class SentRate {
  readonly #at: number[] = [];
  #next = 0;

  add(now: number): void {
    this.#at[this.#next] = now;
    this.#next = (this.#next + 1) % RECENT;
  }

  /** Requests a minute over the last RECENT intervals, the one up to `now` included; Infinity before there are that many. */
  rpm(now: number): number {
    const oldest = this.#at[this.#next];
    if (this.#at.length < RECENT || oldest === undefined || now <= oldest) return Infinity;
    return (RECENT / (now - oldest)) * MINUTE;
  }
}

/**
 * What a budget stored up during the hold before a probe (requests): the pace held below the limit, so the
 * budget saved the difference, and the probe drains it before it is refused. Counted as rate, it sets the limit
 * too high and the first request after the cut is refused too (two 429s a cycle). Estimated as what the believed
 * limit `held` (rpm) refilled over `heldMs` since the last fresh 429 (the budget was empty then), less the
 * `before` requests that got through meanwhile. A small budget (3 a second) stores far less (it is full within a
 * window), so this would under-count its probe, and it needs the raw measure to climb back after a cut (in
 * bench:pool's w1, corrected always, goodput fell to 81%): the pace takes it off only after a probe overshot,
 * which a small budget, refilled within the hold, never shows.
 */
export function storedDuringHold(held: number, heldMs: number, before: number): number {
  return Number.isFinite(before) ? Math.max(0, (held * heldMs) / MINUTE - before) : 0;
}
