import type { BudgetReading, LearnedLimits } from './outcome.js';
import { RateFit, type Fit } from './fit.js';
import { Pacer } from './pace.js';
import { SlidingWindow } from './window.js';

const MINUTE = 60_000;
/** Float slack when comparing a refilled level with what a request needs (timers fire at whole ms). */
const EPS = 1e-6;
/**
 * Added to a fit's depth (rate × window) before it is rounded down: a 3-a-second budget is fitted within a few
 * percent, at 2.94–3.06 requests, and is 3 deep.
 */
const DEPTH_SLACK = 0.1;
/** Fewest successes in the minute before a 429 from which a pace is learned. */
const MIN_PACE = 2;

/**
 * A per-minute budget as the pool believes it: a bucket refilling continuously (OpenAI documents theirs so).
 * `level` is the estimate at time `at`; every dispatch takes from it at once, so requests in flight count.
 */
export class Bucket {
  constructor(
    readonly limit: number,
    readonly rate: number,
    public level: number,
    public at: number,
  ) {}

  levelAt(now: number): number {
    return now <= this.at ? this.level : Math.min(this.limit, this.level + (now - this.at) * this.rate);
  }

  take(now: number, n: number): void {
    this.level = this.levelAt(now) - n;
    this.at = Math.max(now, this.at);
  }

  /** When the level reaches `need` (a need above the whole limit waits for a full bucket, so it is not starved). */
  readyAt(now: number, need: number): number {
    const want = Math.min(need, this.limit);
    const lvl = this.levelAt(now);
    if (lvl >= want - EPS) return now;
    return this.rate > 0 ? Math.ceil(now + (want - lvl) / this.rate) : Infinity;
  }
}

/**
 * Refill rate per ms. Providers report `remaining` floored, so (limit − remaining) / reset overstates the
 * rate by up to one unit — 10% on a 10-rpm free key, enough to earn 429s. When the reading is consistent
 * with a per-minute bucket (limit / 60 s lies within the reading's rounding) that exact rate wins.
 */
export function refillRate(limit: number, remaining: number, resetMs: number | undefined): number {
  const perMinute = limit / MINUTE;
  if (resetMs === undefined || !(resetMs > 0) || remaining >= limit) return perMinute;
  const hi = (limit - remaining) / resetMs;
  const lo = (limit - remaining - 1) / resetMs;
  if (perMinute <= hi * 1.02 && perMinute >= lo * 0.98) return perMinute;
  return hi;
}

/** A bucket from one reading taken at `readingAt`, minus what was dispatched since. */
export function bucketFrom(r: BudgetReading | undefined, readingAt: number, now: number, takenSince: number): Bucket | undefined {
  if (!r || r.limit === undefined || r.remaining === undefined || !(r.limit > 0)) return undefined;
  const { limit, remaining, resetMs } = r;
  const rate = refillRate(limit, remaining, resetMs);
  let level = remaining;
  // The reset time is precise to the ms where `remaining` is floored: recover the fraction from it.
  if (resetMs !== undefined && rate === limit / MINUTE) {
    const exact = limit - rate * resetMs;
    if (exact >= remaining && exact < remaining + 1) level = exact;
  }
  level = Math.min(limit, level + rate * Math.max(0, now - readingAt)) - takenSince;
  return new Bucket(limit, rate, level, now);
}

/** A daily budget: a fixed window that resets at one time (Groq's requests per day, Gemini's per-day quotas). */
export interface DayBudget {
  limit: number;
  remaining: number;
  resetAt: number;
  /** Budget sequence number at the reading: dispatches after it are subtracted lazily. */
  seqAt: number;
}

function dayFrom(r: BudgetReading | undefined, readingAt: number, seqAt: number): DayBudget | undefined {
  if (!r || r.limit === undefined || r.remaining === undefined || r.resetMs === undefined) return undefined;
  return { limit: r.limit, remaining: r.remaining, resetAt: readingAt + r.resetMs, seqAt };
}

export { Pacer } from './pace.js';

/** Everything the pool knows about one budget scope's limits: learned buckets, daily windows, pacing. */
export class Budget {
  /** Requests and tokens dispatched on this scope, ever: a reading subtracts what was dispatched after it. */
  seq = 0;
  tokSeq = 0;
  #readingSeq = -1;
  requests: Bucket | undefined;
  tokens: Bucket | undefined;
  day: DayBudget | undefined;
  dayTokens: DayBudget | undefined;
  pacer: Pacer | undefined;
  /** When the latest request refused (429) was sent, and whether a refusal stated the limit (wary.ts). */
  refusedSentAt = -Infinity;
  limitStated = false;
  /** Successes of the last minute, kept only while no header told the limits (the pacing estimate). */
  #wins = new SlidingWindow(MINUTE, 64);
  /** Dispatches and 429s of the last minute, while no header told the limits: what got through before a first 429. */
  #sent = new SlidingWindow(MINUTE, 64);
  #refused = new SlidingWindow(MINUTE, 64);
  /** First dispatch on the scope and the successes since, until the first 429 (the window's first burst). */
  #since = Number.NaN;
  #sentTotal = 0;
  #refusedTotal = 0;
  /** The limit and window its own outcomes prove, while no header tells them (fit.ts). */
  #fit: RateFit | undefined;

  get known(): boolean {
    return this.requests !== undefined || this.tokens !== undefined;
  }

  dispatch(now: number, tokens: number): void {
    this.seq++;
    this.tokSeq += tokens;
    if (Number.isNaN(this.#since)) this.#since = now;
    if (!this.known && !this.pacer) {
      this.#sent.add(now);
      this.#sentTotal++;
    }
    this.requests?.take(now, 1);
    if (tokens > 0) this.tokens?.take(now, tokens);
    this.pacer?.dispatched(now, this.seq);
    if (!this.known) (this.#fit ??= new RateFit()).dispatched(now, this.seq);
  }

  /**
   * Dispatch number `seq` of this scope, sent at `sentAt`, was admitted or refused (429): the fit hears it, and
   * the pace's share goes by what it proves (alike.ts). Only for a request counted here: numbers are per scope.
   */
  heard(seq: number, admitted: boolean, sentAt: number): void {
    if (!this.#fit || this.known) return;
    this.#fit.settled(seq, admitted, sentAt);
    if (this.pacer) this.#tell(this.pacer);
  }

  /**
   * What the fit tells the pace: the limit it takes at a refusal, and the depth of the provider's budget. Paced
   * at that limit, requests up to that depth go at once, as the provider admits them: spaced one at a time at
   * its own measure, a 3-a-second key sat full between requests and lost that refill (the measure put it at
   * 110–150 rpm, not 180), and a 40-a-minute key's measure counted what its budget stored as rate (paced to 48).
   * The peers pool the fitted limit too (alike.ts).
   */
  #tell(pacer: Pacer): void {
    const f = this.#fit?.fit;
    pacer.share.fit(f, this.seq);
    pacer.depth = f ? (f.rpm * f.windowMs) / MINUTE + DEPTH_SLACK : 1;
  }

  /** The limit and window this scope's admissions and refusals prove, once they held steady (fit.ts). */
  get fitted(): Fit | undefined {
    return this.#fit?.fit;
  }

  /** Earliest time this scope can take a request of `tokens` (now when it can). */
  readyAt(now: number, tokens: number): number {
    let t = now;
    if (this.requests) t = Math.max(t, this.requests.readyAt(now, 1));
    if (this.tokens && tokens > 0) t = Math.max(t, this.tokens.readyAt(now, tokens));
    if (this.day && now < this.day.resetAt && this.day.remaining - (this.seq - this.day.seqAt) < 1) t = Math.max(t, this.day.resetAt);
    if (this.dayTokens && now < this.dayTokens.resetAt && this.dayTokens.remaining - (this.tokSeq - this.dayTokens.seqAt) < tokens) {
      t = Math.max(t, this.dayTokens.resetAt);
    }
    if (this.pacer) t = Math.max(t, this.pacer.readyAt(now));
    return t;
  }

  /** Estimated fraction of the budget left now, 0..1 (1 when nothing is known): the default strategy's headroom. */
  headroom(now: number): number {
    let h = 1;
    if (this.requests) h = Math.min(h, this.requests.levelAt(now) / this.requests.limit);
    if (this.tokens) h = Math.min(h, this.tokens.levelAt(now) / this.tokens.limit);
    if (this.day && now < this.day.resetAt) h = Math.min(h, (this.day.remaining - (this.seq - this.day.seqAt)) / this.day.limit);
    return Math.max(0, h);
  }

  /**
   * Takes the limits a response reported. `leaseSeq`/`leaseTokSeq` are this scope's counters right after that
   * request was dispatched, `readingAt` its dispatch time: the provider counted it then, so later dispatches
   * and the refill since are applied on top. A reading older than the one held is ignored.
   */
  learn(limits: LearnedLimits, leaseSeq: number, leaseTokSeq: number, readingAt: number, now: number): void {
    if (leaseSeq < this.#readingSeq) return;
    const r = bucketFrom(limits.requests, readingAt, now, this.seq - leaseSeq);
    const t = bucketFrom(limits.tokens, readingAt, now, this.tokSeq - leaseTokSeq);
    if (!r && !t && !limits.requestsPerDay && !limits.tokensPerDay) return;
    this.#readingSeq = leaseSeq;
    if (r) this.requests = r;
    if (t) this.tokens = t;
    this.day = dayFrom(limits.requestsPerDay, readingAt, leaseSeq) ?? this.day;
    this.dayTokens = dayFrom(limits.tokensPerDay, readingAt, leaseTokSeq) ?? this.dayTokens;
    if (this.known) {
      // Headers beat guesses.
      this.pacer = undefined;
      this.#fit = undefined;
    }
  }

  succeeded(now: number): void {
    if (this.known) return;
    this.#wins.add(now);
  }

  /** Successes of the last minute (counted only while no header told the limits). */
  okLastMinute(now: number): number {
    return this.#wins.used(now);
  }

  /**
   * A 429 on a scope whose limits no header told: start pacing, or let the pace learn from it (pace.ts).
   * `leaseSeq` is this scope's counter right after that request was dispatched at `leaseAcquiredAt`;
   * `statedRpm`, the per-minute request limit the refusal stated, if it stated one (Gemini's quotaValue).
   */
  rateLimited(now: number, leaseAcquiredAt: number, leaseSeq = this.seq, statedRpm?: number): void {
    if (leaseAcquiredAt > this.refusedSentAt) this.refusedSentAt = leaseAcquiredAt;
    if (statedRpm !== undefined) this.limitStated = true;
    if (this.known) return;
    if (this.pacer) {
      // Refused below a fit: the limit fell, and the fit starts over from what comes now.
      if (this.pacer.limited(now, leaseAcquiredAt, leaseSeq, this.#fit?.fit?.rpm)) {
        this.#fit?.restart();
        this.#tell(this.pacer);
      }
      if (statedRpm !== undefined) this.pacer.stated(statedRpm, now, this.#wins.used(now));
      return;
    }
    // What got through in the last minute: the successes, or, when their answers are still on the way, the
    // requests sent and not refused (a burst into a one-second window is refused before any success returns).
    const seen = Math.max(this.#wins.used(now), this.#sent.used(now) - this.#refused.used(now) - 1);
    this.#refused.add(now);
    this.#refusedTotal++;
    // A 429 after fewer than two got through says nothing about our rate (someone else's traffic, a burst
    // limit): the cooldown handles it, pacing would only crawl back up from a rate near zero.
    if (seen < MIN_PACE) return;
    // The successes of the last minute are what a minute-long window gave: the pace starts there and doubles
    // with each request demand sends at it, until the next fresh 429 measures the rate (pace.ts).
    const since = Number.isNaN(this.#since) ? leaseAcquiredAt : this.#since;
    this.pacer = new Pacer(seen, now, { at: leaseAcquiredAt, seq: leaseSeq, first: { through: this.#sentTotal - this.#refusedTotal, since } });
    this.#tell(this.pacer);
    if (statedRpm !== undefined) this.pacer.stated(statedRpm, now, this.#wins.used(now));
  }
}
