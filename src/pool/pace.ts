import { Burst } from './burst.js';
import { PROBE_GROWTH, SentRate, nextStep, probeBound, storedDuringHold } from './probe.js';
import { Share } from './share.js';
import { doubled, slowStartReadyAt } from './slow-start.js';
import { StatedLimit, sharedHold, sharedStart } from './stated.js';

const MINUTE = 60_000;

/** Floor of any pace: one request a minute still finds out whether the limit came back. */
const MIN_RPM = 1;
/**
 * Fewest requests through between two fresh 429s from which their rate is measured. Fewer say too little:
 * the refill over the interval is known only to ±1 request.
 */
const MIN_SPAN = 4;
/** The cut of a pace refused again before a rate could be measured: the limit fell (TCP CUBIC's β). */
const BETA = 0.7;
/**
 * Refusals in a row, each at or below the plateau before a rate could be measured, that prove the limit fell
 * below a fit (one happens in normal running: in bench:pool's e3 the 10-a-minute keys meet one now and then).
 */
const FALLS = 3;
/** After a cut the pace restarts this far below the plateau, so the emptied budget refills a little before the climb. */
const CUT = 0.9;
/**
 * The plateau sits this far below the limit found: the budget gains 2% of a request per request sent, so the
 * network's jitter (requests reaching the provider a few ms early) does not meet an empty one.
 */
const MARGIN = 0.02;
/**
 * Requests sent at the pace after a cut before it probes past the plateau: one cycle of AIMD costs about one
 * fresh 429 (and the few sent before it was answered), so a cycle this long keeps 429s near 2% of requests.
 * The climb to the plateau is concave (a fifth of the gap per request): most of it in the first few.
 */
const HOLD_REQUESTS = 60;
const CLIMB = 0.2;
/** A dispatch counts as "at the pace" (demand was waiting for it) when it comes this close after nextAt, as a fraction of the interval. */
const EDGE = 0.25;

/**
 * Pacing for a quota scope whose limits no header tells (NVIDIA NIM, Gemini): requests are spaced to a
 * learned rate, so waiting requests queue in keymux instead of probing the provider into 429s. Once the
 * scope's budget is fitted (fit.ts), as many go at once as it holds (burst.ts).
 *
 * The rate: the provider refills its budget continuously (or per window) and refuses when it is empty. At a
 * fresh 429 the budget is empty; at the next fresh 429 it is empty again; everything that got through between
 * them was refill. So (requests through between two fresh 429s) ÷ (time between their dispatches) is the refill
 * rate, whatever the window — a second or a day — exactly when the budget never sat full between them (a
 * lower bound when it did).
 *
 * The window: the first burst. A rested scope gives its whole budget and then the refill; the requests through
 * before the first 429, less the measured rate's refill over that time, are the budget, and budget ÷ rate is
 * the window (`windowMs`). It decides which of the two bounds to trust: a large budget (40 a minute) holds a
 * whole cycle's shortfall, so its measured rate is exact; a small one (3 a second) fills up within a window of
 * pacing below its rate, the lost refill makes the measure low, and the pace that was refused — just past the
 * rate — is the better guide.
 *
 * How the pace moves (AIMD, shaped like TCP CUBIC): before a rate is measured it starts from the requests of the
 * last minute (all a minute-long window could have given) and doubles every half second that demand waits on
 * it (slow-start.ts). A fresh 429 sets the plateau just below the limit found and cuts the pace to 90% of it (70% when refused
 * again before a rate could be measured); then, while demand keeps it at the pace, it climbs back concavely,
 * holds HOLD_REQUESTS requests, and probes past the plateau in steps growing by a quarter a request: flat near
 * the last 429, fast far from it, so capacity that returns is found within a few dozen requests. Demand below
 * the pace never raises it, and its bursts take the probe no further than 1.5× the rate it is sent at (probe.ts).
 */
export class Pacer {
  /** The pace, requests per minute. */
  rpm: number;
  nextAt = 0;
  /** When the last cut was made: 429s of requests dispatched before it are stale news. */
  cutAt: number;
  /** The limit found at the last fresh 429 (rpm): the plateau sits just below it. Undefined in slow start. */
  measuredRpm: number | undefined;
  /** Estimated window: the first burst above the measured rate, in time at that rate (ms). */
  windowMs: number | undefined;
  /** How much of its capacity the scope has been given (the strategy's "least spent first"). */
  readonly share: Share;
  #hold = 0;
  /** Requests dispatched since the last cut, and those of them demand sent the moment the pace allowed. */
  #sent = 0;
  #atPace = 0;
  #probe = 0;
  /** The last cut's limit was raised by a probe; and a probe has overshot since (the budget is large: see #probed). */
  #fromProbe = false;
  #large = false;
  /** Where the current probe began (dispatch time and budget sequence number). */
  #probeFrom: { at: number; seq: number } | undefined;
  /** The last dispatch, and when demand first waited on the pace since (slow start). */
  #last = 0;
  readonly #sentRate = new SentRate();
  #waitSince: number | undefined;
  /** Dispatch time and budget sequence number of the last fresh 429, and the stale 429s sent after it. */
  #lastAt: number;
  #lastSeq: number;
  #stale = 0;
  /** The first fresh 429 (dispatch time, requests through before it since the scope was first used): for the window. */
  #first: { at: number; through: number; since: number } | undefined;
  /** The limit the provider last stated in a refusal (stated.ts). */
  readonly #stated = new StatedLimit();
  /** What it lets through at once (burst.ts). */
  readonly #burst = new Burst();
  /** Refusals in a row at or below the plateau, each before a rate could be measured. */
  #falls = 0;

  constructor(rpm: number, now: number, opts: { at?: number; seq?: number; measured?: boolean; first?: { through: number; since: number } } = {}) {
    this.rpm = Math.max(MIN_RPM, rpm);
    // What was sent before pacing began, at the pace it starts from.
    this.share = new Share(Number.isFinite(opts.seq) && opts.seq! > 0 ? opts.seq! / this.rpm : 0);
    this.cutAt = now;
    this.#lastAt = opts.at ?? now;
    this.#lastSeq = opts.seq ?? Number.NaN;
    if (opts.measured) {
      this.measuredRpm = this.rpm;
      this.#hold = HOLD_REQUESTS;
    }
    if (opts.first) this.#first = { at: this.#lastAt, ...opts.first };
  }

  /** When the next request may go (in slow start, sooner the longer demand waits: slow-start.ts). */
  readyAt(now: number): number {
    if (now >= this.nextAt) return now;
    if (this.measuredRpm !== undefined) return this.nextAt;
    return slowStartReadyAt(now, this.#last, this.nextAt, (this.#waitSince ??= now));
  }

  /** When the last request was dispatched (0 before any). */
  get lastAt(): number {
    return this.#last;
  }

  /** Requests it may send at once (1: spaced evenly). */
  get depth(): number {
    return this.#burst.depth;
  }

  /** The depth of the budget it paces (its fit's rate × window), taken once a rate is measured (burst.ts). */
  set depth(d: number) {
    this.#burst.resize(this.measuredRpm === undefined ? 1 : d);
  }

  dispatched(now: number, seq = Number.NaN): void {
    // Demand waited on the pace: the last dispatch left less than a request in hand, and this one came as it refilled.
    const edge = this.nextAt > this.#last && now - this.nextAt <= EDGE * (MINUTE / this.rpm);
    const inHand = this.#burst.level(now, this.rpm);
    this.#sent++;
    if (edge) this.#atPace++;
    if (this.measuredRpm === undefined) {
      // Grown by the time demand waited, but never past the rate actually sent at (a cooldown may have held it);
      // and a quarter for a request that demand sent the moment the pace allowed.
      let grown = edge ? this.rpm * PROBE_GROWTH : this.rpm;
      if (this.#waitSince !== undefined && now > this.#waitSince && now > this.#last) {
        grown = Math.max(grown, Math.min(doubled(this.rpm, now - this.#waitSince), MINUTE / (now - this.#last), 2 * this.rpm));
      }
      this.rpm = Math.min(grown, this.#ceiling(now));
    } else if (edge) {
      if (this.#hold === 0 && !this.#probeFrom) this.#probeFrom = { at: now, seq };
      this.#grow(this.measuredRpm * (1 - MARGIN), this.#ceiling(now), now);
    }
    this.#sentRate.add(now);
    this.#waitSince = undefined;
    this.#last = now;
    this.share.took(this.rpm);
    this.nextAt = this.#burst.take(now, inHand, this.rpm);
  }

  /** Demand met the pace: climb to the plateau, hold, then probe past it (never past a limit the provider stated). */
  #grow(plateau: number, ceiling: number, now: number): void {
    if (this.#hold > 0) {
      this.#hold--;
      if (this.rpm < plateau) this.rpm = Math.min(plateau, this.rpm + Math.max((plateau - this.rpm) * CLIMB, plateau * 0.001));
      return;
    }
    const step = nextStep(this.#probe, plateau, this.rpm);
    const next = Math.min(this.rpm + step, Math.max(ceiling, plateau));
    const bound = probeBound(plateau, this.#sentRate.rpm(now));
    // Demand does not keep up with the pace: the probe holds where it is.
    if (next <= bound) this.#probe = step;
    this.rpm = next <= bound ? next : Math.max(this.rpm, bound);
  }

  /**
   * A 429 on a request dispatched at `acquiredAt`, counted as number `seq` on the scope's budget. Fresh (sent
   * after the last cut): measure the rate since the previous fresh one, and cut. Stale: only counted, as a
   * request that did not get through between two fresh ones. `fitted`: the limit the scope's outcomes prove
   * (fit.ts), which then stands for the limit this cycle measured (budget.ts says when). Returns true when the
   * limit fell: refused again at or below the plateau before a rate could be measured. The fit is then history.
   */
  limited(now: number, acquiredAt: number, seq: number, fitted?: number): boolean {
    if (acquiredAt <= this.cutAt) {
      if (seq > this.#lastSeq) this.#stale++;
      return false;
    }
    const through = seq - this.#lastSeq - 1 - this.#stale;
    const span = acquiredAt - this.#lastAt;
    const refused = this.rpm;
    const held = this.measuredRpm;
    const rate = through >= MIN_SPAN && span > 0 ? Math.min((through / span) * MINUTE, refused) : undefined;
    if (rate !== undefined) this.#window(rate);
    let limit: number;
    let fell = false;
    // What this cycle measured, beside the guesses the pace falls back on (share.ts takes only this).
    let measured = rate ?? 0;
    if (held === undefined) {
      // Out of slow start: the rate between the first two fresh 429s (low if the pace started far below it and
      // the budget sat full meanwhile: the probe, which starts at once, finds the rest).
      limit = rate ?? refused * BETA;
    } else if (this.#hold === 0) {
      this.#falls = 0;
      // Refused while probing past a plateau that held for a whole hold: the limit is at least the plateau's,
      // and at least the rate measured over the cycle. The pace refused is no guide: it grew while the budget
      // drained, for as long as that took. A probe that went far (capacity grew) is measured on its own span,
      // as what got through while it ran.
      const p = this.#probeFrom;
      const far = p && seq - p.seq - 1 >= MIN_SPAN && acquiredAt > p.at ? Math.min(refused, (this.#probed(p, seq, held) / (acquiredAt - p.at)) * MINUTE) : 0;
      limit = Math.max(held, rate ?? 0, far);
      measured = Math.max(measured, far);
      this.#fromProbe = limit > held;
    } else {
      // Refused at or below the plateau: the limit fell, or the plateau was set too high. The measured rate
      // (the pace was above it all along, so nothing was lost to a full budget), but no deeper than BETA.
      limit = Math.max(rate ?? 0, refused * BETA);
      this.#falls = rate === undefined ? this.#falls + 1 : 0;
      fell = this.#falls >= FALLS;
      // Refused right after a probe raised the limit (too few through to measure): the probe overshot. The
      // budget it drained was large enough to hold what the hold stored up; from now on that part is taken off.
      if (this.#fromProbe && rate === undefined) this.#large = true;
      this.#fromProbe = false;
    }
    // The limit the scope's own outcomes prove (fit.ts), unless it just fell below it: the fit still remembers
    // the old rate (in bench:pool's up10 it held the pace there for minutes after capacity halved: 14–20% 429s).
    if (fitted !== undefined && !fell) limit = fitted;
    this.measuredRpm = limit;
    // Exact when demand waited on the pace for most of the cycle; else only a lower bound (the budget sat full).
    // The share learns from rates measured, not from the plateau restated at each probe's 429 or the cut's
    // floor: those repeat what the pace already believed, and pinned the estimate there (in bench:pool's w1
    // a key's estimate stood on one limit restated twenty times). Only a first estimate may be such a guess.
    const exact = this.#atPace >= this.#sent / 2;
    if (measured > 0) this.share.found(measured, exact);
    else if (this.share.own === undefined) this.share.found(limit, exact);
    this.#sent = 0;
    this.#atPace = 0;
    this.rpm = Math.max(MIN_RPM, limit * (1 - MARGIN) * CUT);
    this.#hold = held === undefined ? 0 : HOLD_REQUESTS;
    this.#probe = 0;
    this.#probeFrom = undefined;
    this.cutAt = now;
    this.#lastAt = acquiredAt;
    this.#lastSeq = seq;
    this.#stale = 0;
    // The provider's budget was empty: so is the pace's, refilling from now at the cut pace. One deep too: the
    // next request was due at the pace refused, and sent then it met the still empty budget, read as a limit
    // that fell, and cut the pace to BETA of it for minutes (bench:pool's e3 at 2×, seeds 1–12: balance
    // 0.94 → 0.98; a free key lost two minutes of its capacity to one such early cut).
    this.#burst.empty(now);
    this.nextAt = Math.max(this.nextAt, Math.ceil(now + MINUTE / this.rpm));
    return fell;
  }

  /**
   * The limit the provider stated in the refusal just counted (rpm; Gemini's quotaValue of a per-minute request
   * quota), and how many of this scope's requests got through in the minute before it (stated.ts).
   */
  stated(rpm: number, now: number, ownLastMinute: number): void {
    if (!(rpm > 0)) return;
    this.#stated.note(rpm, now);
    let share: number | undefined;
    // What got through in the last minute is a rate the scope was given: a lower bound (a cut refused again before anything could be measured would put it lower).
    if (this.measuredRpm !== undefined) this.measuredRpm = Math.min(rpm, Math.max(this.measuredRpm, ownLastMinute));
    // A first refusal that shows the limit shared: the share got is the plateau, not slow start's race to the limit (stated.ts).
    else if ((share = sharedStart(rpm, ownLastMinute, this.#first)) !== undefined) [this.measuredRpm, this.#hold, this.rpm] = [share, HOLD_REQUESTS, Math.max(MIN_RPM, Math.min(this.rpm, share * (1 - MARGIN) * CUT))];
    this.rpm = Math.min(this.rpm, rpm * (1 - MARGIN));
    this.#hold = sharedHold(this.#hold, rpm, ownLastMinute);
  }

  /** The highest pace a stated limit allows now (Infinity when none was stated, or long ago). */
  #ceiling(now: number): number {
    return this.#stated.ceiling(now, MARGIN);
  }

  /**
   * Requests the probe got through, less what the budget stored up during the hold once a probe has overshot
   * (#large; probe.ts's storedDuringHold says why only then).
   */
  #probed(p: { at: number; seq: number }, seq: number, held: number): number {
    const through = seq - p.seq - 1;
    if (!this.#large) return through;
    return Math.max(0, through - storedDuringHold(held, p.at - this.#lastAt, p.seq - this.#lastSeq - 1 - this.#stale));
  }

  /** The first burst: requests through before the first 429 beyond what the rate refilled meanwhile, in time at that rate. */
  #window(rate: number): void {
    const f = this.#first;
    if (!f) return;
    this.#first = undefined;
    const burst = f.through - (rate * (f.at - f.since)) / MINUTE;
    if (burst >= 1 && rate > 0) {
      this.windowMs = Math.round((burst / rate) * MINUTE);
    }
  }
}
