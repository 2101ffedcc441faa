import type { Budget } from './budget.js';
import type { KeyState } from './key-state.js';
import type { KeyId } from './types.js';
import { limitsUnknown } from './wary.js';

/** Requests a key must have carried before it is sounded: a key just added is first given like the others. */
const CARRIED = 30;
/**
 * Longest a sounding goes on without a refusal. Demand sent to one key drains a full minute-long budget in
 * about a minute when it is twice the key's rate (bench:pool's e3: 196 a minute on a 100-a-minute key); a key
 * that takes it all for this long has more than the pool sends, and knowing its exact limit matters less.
 */
const SOUND_MS = 3 * 60_000;
/** A key sounded SOUND_MS unrefused is left alone this long: the demand may grow, or its share be wrong again. */
const REST_MS = 30 * 60_000;
/**
 * A sounding starts only when no request has found every key taken for this long: a pool run at its capacity
 * has every key refused by demand alone, and a key sent everything then only leaves the others idle (bench:pool's
 * e3 at 2×: more inferred merges, and wrong ones).
 */
const CALM_MS = 10_000;
/**
 * Nor before the pool has been learning from refusals for this long: early on, keys of unknown limits take
 * everything the paced ones cannot, and at high load they are refused by demand within the minute. Sounded at
 * once, e3 at 2× made 16 wrong inferred merges over seeds 1–6 instead of 10.
 */
const SETTLE_MS = 60_000;
/** How often the keys are looked over for one to sound (each look is a pass over the keys). */
const LOOK_MS = 1_000;

/** A key's budget for `model`: its group's, or its group's scope for that model. */
export type ScopeOf = (k: KeyState, model: string) => Budget | undefined;

/**
 * Sounding: finding the limit of a key no refusal has bounded. Without rate-limit headers a key's limit shows
 * only where the provider refuses it (fit.ts), and a key the pool never sends past its limit is never refused:
 * at light load (bench:pool's e3 at 0.7×, 196 a minute over two 100-a-minute keys and eight 10-a-minute ones)
 * the small keys are refused and fitted, the large ones never are. Their capacity is then a guess, and the
 * strategy's shares between keys measured and keys guessed follow latency and ties, not capacity (the large
 * keys were given 0.71 of their capacity, the small ones 0.67; in s-headerless 0.73 and 0.61).
 *
 * So, once the pool is learning limits from refusals (another key is paced) and a key of unknown limits has
 * carried some of the traffic without one, the pool sends it every request it can take, one key at a time, until
 * its limit is fitted: its pace and fit learn it from the refusals as they learn any other's, and each request
 * refused is retried on another key like any 429. A sounding is let go after SOUND_MS (a key that takes
 * everything unrefused, or one refused but never fitted: its refusals follow an unnamed project's other keys),
 * and a key never refused then rests REST_MS. Only the default strategy sounds: the others are the plain rules
 * their names say.
 */
export class Sounding {
  #key: KeyState | undefined;
  #since = 0;
  #lookAt = 0;
  #fullAt = -Infinity;
  /** When a look first found another key paced: the pool began learning limits from refusals. */
  #learningSince = Infinity;
  readonly #rest = new Map<KeyId, number>();

  /** `started` hears each sounding as it begins (the pool's `sounding` event). */
  constructor(private readonly started: (k: KeyState) => void = () => {}) {}

  /** A request found no key free at `now`: the pool is at its capacity. */
  full(now: number): void {
    this.#fullAt = now;
  }

  /**
   * The key being sounded at `now`, if any: kept while its limit is not fitted and it has not gone on too long,
   * else another is chosen (at most once every LOOK_MS) among `keys`. `scopeOf` gives a key's budget for `model`.
   */
  target(keys: readonly KeyState[], scopeOf: ScopeOf, model: string, now: number): KeyState | undefined {
    const k = this.#key;
    if (k) {
      // Disabled, fitted, or removed by a reload since.
      if (k.disabled || !unfitted(scopeOf(k, model)) || !keys.includes(k)) this.#key = undefined;
      else if (now - this.#since >= SOUND_MS) {
        this.#rest.set(k.id, now + REST_MS);
        this.#key = undefined;
      } else return k;
    }
    if (now < this.#lookAt || now - this.#fullAt < CALM_MS) return undefined;
    this.#lookAt = now + LOOK_MS;
    let learning = false;
    let best: KeyState | undefined;
    for (const c of keys) {
      if (c.disabled) continue;
      const b = scopeOf(c, model);
      if (b?.pacer) learning = true;
      if (!unbounded(c, b) || (b?.seq ?? 0) < CARRIED || (this.#rest.get(c.id) ?? -Infinity) > now) continue;
      // The key that carried most: the likeliest to have capacity the guesses miss.
      if (!best || (b?.seq ?? 0) > (scopeOf(best, model)?.seq ?? 0)) best = c;
    }
    if (learning) this.#learningSince = Math.min(this.#learningSince, now);
    if (!best || now - this.#learningSince < SETTLE_MS) return undefined;
    this.#key = best;
    this.#since = now;
    this.started(best);
    return best;
  }
}

/**
 * Whether the sounding of a key goes on: its limit is not fitted yet. One refusal is not enough: a minute-long
 * budget of 100 drained at 196 a minute fits a window of ten seconds at 171 as well as its own, and only the
 * refusals after it (the refill, 100 a minute) tell them apart (fit.ts).
 */
function unfitted(b: Budget | undefined): boolean {
  return b !== undefined && !b.known && b.fitted === undefined;
}

/** Whether nothing bounds key k's limits on scope b: no header, no configuration (wary.ts), never refused. */
function unbounded(k: KeyState, b: Budget | undefined): boolean {
  return b !== undefined && b.refusedSentAt === -Infinity && limitsUnknown(k, b);
}
