/**
 * Gemini's per-day quotas reset at midnight Pacific time. The offset moves with daylight saving, so the
 * instant is computed with Intl for the zone rather than with a fixed -8h/-7h.
 */
const PACIFIC = 'America/Los_Angeles';

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall-clock fields of an instant in a zone. */
function wallClock(at: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(at))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts['year']!, mo: parts['month']!, d: parts['day']!, h: parts['hour']!, mi: parts['minute']!, s: parts['second']! };
}

/** The zone's offset from UTC at an instant, in ms (Pacific: -8h or -7h). */
function offsetAt(at: number, timeZone: string): number {
  const w = wallClock(at, timeZone);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - Math.floor(at / 1000) * 1000;
}

/** Epoch ms of the next local midnight in `timeZone` strictly after `now`. */
export function nextMidnight(now: number, timeZone = PACIFIC): number {
  const w = wallClock(now, timeZone);
  const wall = Date.UTC(w.y, w.mo - 1, w.d + 1, 0, 0, 0);
  // Two passes settle the offset even when `now` and the midnight sit on opposite sides of a DST change
  // (DST changes at 02:00 locally, so midnight itself always exists and is unique).
  let t = wall - offsetAt(wall, timeZone);
  t = wall - offsetAt(t, timeZone);
  return t;
}

/** Milliseconds from `now` until the next midnight Pacific time, when Gemini's daily quotas reset. */
export function msUntilPacificMidnight(now: number): number {
  return nextMidnight(now, PACIFIC) - now;
}
