// A provider's rate limiter as the provider itself runs it: pure, time from an injected clock, no I/O.
// Per-minute limits are continuous-refill token buckets (OpenAI: "the bucket refills continuously"),
// the daily limit a counter that resets at a fixed day boundary, concurrency a plain counter.

export type HeaderStyle = 'openai' | 'groq' | 'anthropic' | 'none';

export interface QuotaSpec {
  /** Requests per minute (bucket capacity; refills rpm/60000 per ms); per `windowMs` when that is set. */
  rpm?: number;
  /** Tokens per minute (bucket capacity; refills tpm/60000 per ms); per `windowMs` when that is set. */
  tpm?: number;
  /** The window of `rpm`/`tpm` (a bucket of that size refilling over it). Default a minute; NIM-style keys may limit per second or per 10 s. */
  windowMs?: number;
  /** Requests per day; resets at the day boundary (UTC midnight of now(), shifted by dayOffsetMs). */
  rpd?: number;
  /** Requests in flight at once; each admitted request must be release()d. */
  maxConcurrent?: number;
  /**
   * Header style. 'openai': x-ratelimit-* with Go-duration resets; 'groq': the same names but the
   * requests triple is per day (as Groq does); 'anthropic': anthropic-ratelimit-* with RFC 3339 resets;
   * 'none' (default): no headers (Gemini, NVIDIA NIM, DeepSeek).
   */
  headers?: HeaderStyle;
  /** Shift of the day boundary, e.g. 8 * 3600_000 for midnight Pacific (PST). Default 0 (UTC). */
  dayOffsetMs?: number;
  /** Rejected requests also take a request from the per-minute bucket (OpenAI: "failed requests count"). */
  countRejected?: boolean;
  /** retryAfterMs reported for a concurrency rejection (providers give no hint). Default 1000. */
  concurrencyRetryMs?: number;
}

export type QuotaKind = 'requests' | 'tokens' | 'day' | 'concurrency';

export type AdmitResult =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; retryAfterMs: number; kind: QuotaKind; headers: Record<string, string> };

export interface QuotaSnapshot {
  requestsRemaining: number | undefined;
  tokensRemaining: number | undefined;
  dayUsed: number;
  inFlight: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

class Bucket {
  private level: number;
  private last: number;
  readonly rate: number;
  constructor(readonly capacity: number, now: number, windowMs = MINUTE) {
    this.level = capacity;
    this.last = now;
    this.rate = capacity / windowMs;
  }
  refill(now: number): number {
    if (now > this.last) {
      this.level = Math.min(this.capacity, this.level + (now - this.last) * this.rate);
      this.last = now;
    }
    return this.level;
  }
  take(n: number): void {
    this.level -= n;
  }
  /** ms until at least `need` is available (0 if it is now). */
  waitFor(need: number): number {
    const missing = Math.min(need, this.capacity) - this.level;
    return missing <= 0 ? 0 : Math.ceil(missing / this.rate);
  }
  /** ms until the bucket is full again. */
  untilFull(): number {
    const missing = this.capacity - this.level;
    return missing <= 0 ? 0 : Math.ceil(missing / this.rate);
  }
  remaining(): number {
    return Math.max(0, Math.floor(this.level));
  }
}

/** Go's time.Duration.String() for a whole number of milliseconds: `0s`, `120ms`, `1s`, `51.189s`, `6m0s`, `1h2m3.5s`. */
export function goDuration(ms: number): string {
  ms = Math.max(0, Math.round(ms));
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const secMs = ms % 60_000;
  const s = (secMs / 1000).toFixed(3).replace(/\.?0+$/, '');
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** RFC 3339 timestamp at whole-second precision, rounded up (Anthropic's reset headers). */
export function rfc3339(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export class QuotaModel {
  private readonly requests: Bucket | undefined;
  private readonly tokens: Bucket | undefined;
  private day = Number.NaN;
  private dayUsed = 0;
  private inFlight = 0;

  constructor(
    private readonly spec: QuotaSpec,
    private readonly now: () => number,
  ) {
    const t = now();
    this.requests = spec.rpm !== undefined ? new Bucket(spec.rpm, t, spec.windowMs) : undefined;
    this.tokens = spec.tpm !== undefined ? new Bucket(spec.tpm, t, spec.windowMs) : undefined;
  }

  /** Try to admit one request (tokens = its token cost) at now(). */
  admit(tokens = 0): AdmitResult {
    const t = this.now();
    this.rollDay(t);
    this.requests?.refill(t);
    this.tokens?.refill(t);
    const { rpd, maxConcurrent } = this.spec;

    let fail: { kind: QuotaKind; retryAfterMs: number } | undefined;
    if (rpd !== undefined && this.dayUsed >= rpd) {
      fail = { kind: 'day', retryAfterMs: this.nextDay(t) - t };
    } else if (maxConcurrent !== undefined && this.inFlight >= maxConcurrent) {
      fail = { kind: 'concurrency', retryAfterMs: this.spec.concurrencyRetryMs ?? 1000 };
    } else {
      const rWait = this.requests?.waitFor(1) ?? 0;
      const tWait = this.tokens?.waitFor(tokens) ?? 0;
      if (rWait > 0 || tWait > 0) {
        fail = tWait > rWait ? { kind: 'tokens', retryAfterMs: tWait } : { kind: 'requests', retryAfterMs: rWait };
      }
    }

    if (fail) {
      if (this.spec.countRejected && fail.kind !== 'day') this.requests?.take(1);
      const headers = this.rateHeaders(t, tokens);
      this.retryHeaders(headers, fail.retryAfterMs);
      return { ok: false, ...fail, headers };
    }

    this.requests?.take(1);
    this.tokens?.take(tokens);
    this.dayUsed++;
    this.inFlight++;
    return { ok: true, headers: this.rateHeaders(t, tokens) };
  }

  /** A concurrent request ended (for maxConcurrent). */
  release(): void {
    if (this.inFlight > 0) this.inFlight--;
  }

  snapshot(): QuotaSnapshot {
    const t = this.now();
    this.rollDay(t);
    return {
      requestsRemaining: this.requests ? this.requests.refill(t) : undefined,
      tokensRemaining: this.tokens ? this.tokens.refill(t) : undefined,
      dayUsed: this.dayUsed,
      inFlight: this.inFlight,
    };
  }

  private dayIndex(t: number): number {
    return Math.floor((t - (this.spec.dayOffsetMs ?? 0)) / DAY);
  }
  private nextDay(t: number): number {
    return (this.dayIndex(t) + 1) * DAY + (this.spec.dayOffsetMs ?? 0);
  }
  private rollDay(t: number): void {
    const d = this.dayIndex(t);
    if (d !== this.day) {
      this.day = d;
      this.dayUsed = 0;
    }
  }

  private rateHeaders(t: number, _tokens: number): Record<string, string> {
    const h: Record<string, string> = {};
    const style = this.spec.headers ?? 'none';
    const { requests: r, tokens: k } = this;
    if (style === 'openai' || style === 'groq') {
      if (style === 'groq' && this.spec.rpd !== undefined) {
        h['x-ratelimit-limit-requests'] = String(this.spec.rpd);
        h['x-ratelimit-remaining-requests'] = String(Math.max(0, this.spec.rpd - this.dayUsed));
        h['x-ratelimit-reset-requests'] = goDuration(this.nextDay(t) - t);
      } else if (r) {
        h['x-ratelimit-limit-requests'] = String(r.capacity);
        h['x-ratelimit-remaining-requests'] = String(r.remaining());
        h['x-ratelimit-reset-requests'] = goDuration(r.untilFull());
      }
      if (k) {
        h['x-ratelimit-limit-tokens'] = String(k.capacity);
        h['x-ratelimit-remaining-tokens'] = String(k.remaining());
        h['x-ratelimit-reset-tokens'] = goDuration(k.untilFull());
      }
    } else if (style === 'anthropic') {
      if (r) {
        h['anthropic-ratelimit-requests-limit'] = String(r.capacity);
        h['anthropic-ratelimit-requests-remaining'] = String(r.remaining());
        h['anthropic-ratelimit-requests-reset'] = rfc3339(t + r.untilFull());
      }
      if (k) {
        h['anthropic-ratelimit-tokens-limit'] = String(k.capacity);
        h['anthropic-ratelimit-tokens-remaining'] = String(Math.round(k.remaining() / 1000) * 1000);
        h['anthropic-ratelimit-tokens-reset'] = rfc3339(t + k.untilFull());
      }
    }
    return h;
  }

  private retryHeaders(h: Record<string, string>, retryAfterMs: number): void {
    const style = this.spec.headers ?? 'none';
    if (style === 'none') return;
    h['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
    if (style === 'openai' || style === 'groq') h['retry-after-ms'] = String(Math.round(retryAfterMs));
  }
}
