const MINUTE = 60_000;

/** How long a limit stated in a refusal caps the pace; then the probe resumes, so a raised limit is found. */
const STATED_MS = 10 * MINUTE;
/** A scope that got less than this share of a stated limit through in the minute before the refusal shares it. */
const SHARED = 0.6;
/** Most sharers of a stated limit the hold is stretched for (a longer hold would leave a starved share low for long). */
const SHARERS = 3;

/**
 * The per-minute request limit a refusal stated (Gemini's quotaValue), as it bounds a pace (pace.ts): neither
 * the rate measured nor the probe goes past it for STATED_MS.
 */
export class StatedLimit {
  #rpm = 0;
  #at = -Infinity;

  note(rpm: number, now: number): void {
    this.#rpm = rpm;
    this.#at = now;
  }

  /** The highest pace it allows now, `margin` below the limit (Infinity when none was stated, or long ago). */
  ceiling(now: number, margin: number): number {
    return now - this.#at < STATED_MS ? this.#rpm * (1 - margin) : Infinity;
  }
}

/**
 * The hold (requests at the plateau before the next probe) of a scope that got `ownLastMinute` through in the
 * minute before a refusal that stated `rpm`. An emptied budget has given at least its limit in the last minute
 * (refill, plus what it held): a scope that got far less through than that shares it with others (keys of one
 * project keymux was not told about, another program). About limit ÷ own pacers then probe the one budget, and
 * each probe's 429 can fall on any of them: each holds that many times longer (at most SHARERS), so together
 * they probe about as often as one would.
 */
export function sharedHold(hold: number, rpm: number, ownLastMinute: number): number {
  return shares(rpm, ownLastMinute) && hold > 0 ? Math.round(hold * Math.min(SHARERS, rpm / Math.max(1, ownLastMinute))) : hold;
}

/** Whether a scope that got `ownLastMinute` through in the minute before a refusal stating `rpm` shares that limit. */
function shares(rpm: number, ownLastMinute: number): boolean {
  return ownLastMinute < SHARED * rpm;
}

/** Fewest requests through before a first refusal from which a share is read (fewer: a burst limit, someone else's traffic). */
const MIN_THROUGH = 4;

/**
 * The share of a stated limit a scope's first refusal shows it got, when that shows the limit shared; else
 * undefined. Such a scope takes its share as its plateau (pace.ts): slow start would double its pace up to the
 * whole limit, and every key of a project keymux was not told about would race there at once.
 *
 * A scope less than a minute old (`first`: its first dispatch, and what got through before the refusal) drew on
 * a budget that gave at most the stated minute plus its refill since (a full bucket at the start) and, had the
 * scope had it to itself, at least the stated minute (a window's worth, even where the window is fixed): less
 * than half of the most is a share. Its last minute alone misleads: in bench:pool's c2 the keys of a two-key
 * project were first refused 55 s in, each with 13–14 of the stated 15 through, the budget's initial 15 and its
 * refill split between them. An older scope got a share when less than SHARED of the limit came through in the
 * last minute. Three pacers on one stated 15 a minute (pace-stated.test.ts) were refused 12 times in their
 * first two minutes before the share was read, 6 after.
 */
export function sharedStart(rpm: number, ownLastMinute: number, first: { at: number; since: number; through: number } | undefined): number | undefined {
  if (ownLastMinute < MIN_THROUGH) return undefined;
  const age = first === undefined ? Infinity : first.at - first.since;
  if (first !== undefined && age <= MINUTE) {
    const most = rpm * (1 + age / MINUTE);
    return first.through < most / 2 ? Math.min(ownLastMinute, (first.through / most) * rpm) : undefined;
  }
  return shares(rpm, ownLastMinute) ? ownLastMinute : undefined;
}
