/** Before a rate is measured, a pace doubles every SLOW_START_MS that demand waits on it (pace.ts). */
const SLOW_START_MS = 500;

/** A pace of `rpm` grown by demand that has waited on it for `waitedMs`. */
export function doubled(rpm: number, waitedMs: number): number {
  return rpm * 2 ** (waitedMs / SLOW_START_MS);
}

/**
 * When the next request may go in slow start: the wait after the last dispatch (`last`, next due at `nextAt`)
 * shrinks while demand waits on it, the pace doubling every SLOW_START_MS from the first refused ask
 * (`waitSince`), so a pace started from a minute's requests reaches a one-second window's rate in seconds, not
 * in minutes of ever shorter gaps.
 */
export function slowStartReadyAt(now: number, last: number, nextAt: number, waitSince: number): number {
  const gap0 = nextAt - last;
  // The earliest t with t − last ≥ gap0 · 2^(−(t − waitSince)/SLOW_START_MS): the left side grows with t, the right shrinks.
  const due = (t: number) => t - last >= gap0 * 2 ** (-(t - waitSince) / SLOW_START_MS);
  if (due(now)) return now;
  let lo = now;
  let hi = nextAt;
  for (let i = 0; i < 40 && hi - lo > 0.5; i++) {
    const t = (lo + hi) / 2;
    if (due(t)) hi = t;
    else lo = t;
  }
  return Math.ceil(hi);
}
