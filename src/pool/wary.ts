import type { Budget } from './budget.js';
import type { KeyState } from './key-state.js';

/**
 * How long a request refused already waits for a key that has shown room, before it takes any key again
 * (never more than half of what it may still wait). Keys given alike run out over a few seconds (bench:pool's
 * e3: 0.5 to 3 s), and the key that has room shows it only once they have; at 2 s the wait ran out first in
 * one seed of twelve. Short against a client's deadline (30 s).
 */
export const WARY_MS = 3_000;
/** A budget refused this recently may be as empty again: most windows are a minute or shorter. */
const SPENT_MS = 60_000;

/**
 * Whether the limits of key k on budget scope b are not known yet: no header told them, none is configured,
 * no refusal stated one (Gemini's quotaValue caps the pace, pace.ts), and no rate was measured. A pace in
 * slow start is no measure: it starts from what got through in the last minute and grows while demand
 * waits, so a key refused once is paced above what it can give.
 */
export function limitsUnknown(k: KeyState, b: Budget | undefined): boolean {
  return !b?.known && !b?.limitStated && b?.pacer?.measuredRpm === undefined && b?.day === undefined && !k.rpm && !k.tpm && !k.rpd;
}

/**
 * What keys of unknown limits got through in the minute before each of their refusals, over the last minute:
 * the most of it is the level a key must pass to show it has more room than they had. A sliding maximum: only
 * refusals that no later one matches are kept (the through they saw falls from oldest to newest), so a pool
 * refused hundreds of times a minute keeps a few.
 */
export class RefusalLevel {
  readonly #notes: { at: number; through: number }[] = [];

  note(through: number, now: number): void {
    const n = this.#notes;
    while (n.length > 0 && n[n.length - 1]!.through <= through) n.pop();
    n.push({ at: now, through });
  }

  /** The most a key of unknown limits refused in the last minute had got through in the minute before (0: none). */
  level(now: number): number {
    const n = this.#notes;
    while (n.length > 0 && now - n[0]!.at >= SPENT_MS) n.shift();
    return n[0]?.through ?? 0;
  }
}

/** A request refused already: until when it is wary. */
export interface Wary {
  readonly until: number;
}

/** The wariness of a request refused already, asking at `now` to wait up to `wait` ms. */
export function waryOf(now: number, wait: number): Wary {
  return { until: now + Math.min(WARY_MS, wait / 2) };
}

/**
 * Whether a key of unknown limits (budget scope b) has shown room for a request refused already (run.ts
 * retries wary): it got more through in the last minute than any key of unknown limits refused in the last
 * minute had (`level`), and it was not refused itself in the last minute.
 *
 * Keys of unknown limits are given alike until something tells them apart (strategy.ts), so keys of unequal
 * capacity reach the end of their budgets together: in bench:pool's e3, eight free keys given the share of
 * two paid ones are all refused within seconds, a minute in, and again a little later as their paces (still
 * guesses) climb. A request refused by one and retried at once goes to another key of unknown limits, as
 * likely to be out: three attempts, three 429s, and the client gets an error while the paid keys had room.
 * Until the keys are told apart, nothing says which have room: a key that got more through than the refused
 * ones has more capacity than they, whatever its window; a success alone proves little (a key about to run
 * out still has its last few). Keys whose limits are known are taken at once when within them: their budgets
 * and paces say whether they have room. Meanwhile the retry waits in the queue (WARY_MS at most), where
 * first attempts keep going to every key and tell the full from the empty.
 */
export function showedRoom(b: Budget | undefined, level: number, now: number): boolean {
  return b !== undefined && now - b.refusedSentAt >= SPENT_MS && b.okLastMinute(now) > level;
}
