import type { KeyState } from './key-state.js';
import type { KeyConfig } from './types.js';

/**
 * Key tiers: lower tiers are spent first, a higher one takes what they cannot (free keys first, a paid one as
 * overflow). The config file rejects a bad tier with its line; a library caller's bad value is read as the
 * default rather than thrown, as the pool reads other bad limits (a maxConcurrent of 0 is no cap).
 */
export function tierOf(c: KeyConfig): number {
  const t = c.tier;
  return t !== undefined && Number.isSafeInteger(t) && t >= 1 ? t : 1;
}

/**
 * The keys in the order pick() visits them: lowest tier first, configuration order within a tier, so that it
 * can stop at the first tier with a candidate. With one tier this is `keys` itself: a pool without tiers
 * visits its keys exactly as before (the strategies that look at candidate positions, `random` and `weighted`,
 * see the same array).
 */
export function orderByTier(keys: KeyState[]): KeyState[] {
  let sorted = true;
  for (let i = 1; i < keys.length; i++) if (keys[i]!.tier < keys[i - 1]!.tier) sorted = false;
  if (sorted) return keys;
  // Array.prototype.sort is stable: within a tier, configuration order stays.
  return [...keys].sort((a, b) => a.tier - b.tier);
}
