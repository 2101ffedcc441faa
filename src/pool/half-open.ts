import type { KeyState } from './key-state.js';
import type { Outcome } from './outcome.js';

/**
 * A key coming back (re-enabled after a passing check, or out of a long cooldown) is half-open: it may have one
 * request in flight, then twice as many per success in a row, and is fully open after FULL_AFTER successes. A key
 * that fails again is caught after one request, not after the burst a queue would pour into it at once.
 */
export const FULL_AFTER = 5;
/** A cooldown at least this long ends half-open: whatever kept the key out may not be over. */
export const LONG_OUT_MS = 60_000;

export interface HalfOpen {
  successes: number;
  since: number;
}

export function startHalfOpen(k: KeyState, now: number): void {
  k.halfOpen = { successes: 0, since: now };
}

/** Requests a key may have in flight while half-open (Infinity once fully open). */
export function halfOpenCap(k: KeyState): number {
  return k.halfOpen === undefined ? Infinity : 2 ** k.halfOpen.successes;
}

/**
 * The ramp's step for one outcome. A success widens it; a verdict against the key or the provider starts it over
 * (the reactions put the key out as usual); a client's bad request or a cancel says nothing either way.
 */
export function stepHalfOpen(k: KeyState, o: Outcome): void {
  const h = k.halfOpen;
  if (h === undefined || o.kind === 'cancelled' || o.kind === 'client_error') return;
  if (o.kind !== 'ok') {
    h.successes = 0;
    return;
  }
  if (++h.successes >= FULL_AFTER) k.halfOpen = undefined;
}
