import { AllKeysUnavailable, KeyPool, ManualClock, PoolClosedError } from '../../src/pool/index.js';
import type { Outcome, PoolEvents } from '../../src/pool/index.js';
import { QuotaModel } from '../sim/quota-model.js';
import { fakeKey, flush, seeded } from './helpers.js';

/** One account at a header-less provider (NIM, Gemini): `limit` requests per `windowMs`, shared by `keys` keys keymux was not told about. */
export interface Account {
  limit: number;
  windowMs: number;
  keys: number;
}

export interface WindowSpec {
  accounts: Account[];
  /** Demand phases: from `atMs` on, requests arrive at `load` × the accounts' capacity (Poisson). */
  demand: { atMs: number; load: number }[];
  /** Capacity changes: from `atMs` on, every account's limit is `factor` × its own (the account starts afresh). */
  capacity?: { atMs: number; factor: number }[];
  durationMs: number;
  seed: number;
}

export interface WindowResult {
  pool: KeyPool;
  secrets: string[];
  events: PoolEvents['inferred'][];
  /** Keys sounded (sounding.ts), in order. */
  sounded: string[];
  /** Per second of the run: successes and 429s. */
  ok: number[];
  limited: number[];
  attempts: number;
  rateLimited: number;
  failed: number;
  refused: number;
}

const MINUTE = 60_000;

/** Capacity of the accounts in requests per ms (× factor). */
export function perMs(accounts: Account[], factor = 1): number {
  return accounts.reduce((a, x) => a + (x.limit * factor) / x.windowMs, 0);
}

/**
 * Drives one pool against header-less accounts in virtual time: no rate-limit headers, a 429 with no retry
 * hint, success latency 300–1500 ms, a 429 back in 50–150 ms, 5–30 ms to reach the provider. The pool is left
 * open (closed by the caller) so its state can be inspected.
 */
export async function runWindows(spec: WindowSpec): Promise<WindowResult> {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const start = clock.now();
  const end = start + spec.durationMs;
  const rnd = seeded(spec.seed + 7);
  const arrivals = seeded(spec.seed);
  const secrets: string[] = [];
  const accountOf: number[] = [];
  spec.accounts.forEach((a, i) => {
    for (let k = 0; k < a.keys; k++) {
      secrets.push(fakeKey(`w${i}k${k}s${spec.seed}`));
      accountOf.push(i);
    }
  });
  let factor = 1;
  const quota = (f: number) => spec.accounts.map((a) => new QuotaModel({ rpm: Math.max(1, Math.round(a.limit * f)), windowMs: a.windowMs }, () => clock.now()));
  let quotas = quota(1);
  for (const c of spec.capacity ?? []) {
    clock.setTimer(() => {
      factor = c.factor;
      quotas = quota(factor);
    }, c.atMs);
  }
  const pool = new KeyPool({ provider: 'nim', keys: secrets, clock, random: seeded(spec.seed + 1), maxQueue: 100_000 });
  const byId = new Map(pool.snapshot().keys.map((k, i) => [k.id, i]));
  const seconds = Math.ceil(spec.durationMs / 1000);
  const r: WindowResult = { pool, secrets, events: [], sounded: [], ok: new Array(seconds).fill(0), limited: new Array(seconds).fill(0), attempts: 0, rateLimited: 0, failed: 0, refused: 0 };
  pool.on('inferred', (e) => r.events.push(e));
  pool.on('sounding', (e) => r.sounded.push(e.keyId));
  const wait = (ms: number) => new Promise<void>((res) => clock.setTimer(res, ms));

  const attempt = async (keyId: string): Promise<{ outcome: Outcome; value: null }> => {
    await wait(Math.round(5 + rnd() * 25));
    const q = quotas[accountOf[byId.get(keyId)!]!]!;
    const a = q.admit();
    const sec = Math.floor((clock.now() - start) / 1000);
    const counted = clock.now() < end;
    if (counted) r.attempts++;
    if (!a.ok) {
      if (counted) {
        r.rateLimited++;
        r.limited[sec]!++;
      }
      await wait(50 + rnd() * 100);
      return { outcome: { kind: 'rate_limited', scope: 'group' }, value: null };
    }
    if (counted) r.ok[sec]!++;
    await wait(300 + rnd() * 1200);
    q.release();
    return { outcome: { kind: 'ok' }, value: null };
  };

  const loadAt = (t: number) => {
    let load = 0;
    for (const d of spec.demand) if (t - start >= d.atMs) load = d.load;
    return load;
  };
  const request = () => {
    pool.run('m', (lease) => attempt(lease.keyId), { maxAttempts: 3 }).then(
      (res) => {
        if (res.outcome.kind !== 'ok') r.failed++;
      },
      (err: unknown) => {
        if (err instanceof AllKeysUnavailable) r.refused++;
        else if (!(err instanceof PoolClosedError)) throw err;
      },
    );
  };
  // Poisson arrivals at the load in force, re-drawn every 100 ms so demand steps take effect at once.
  const arrive = () => {
    const now = clock.now();
    if (now >= end) return;
    const rate = loadAt(now) * perMs(spec.accounts, factor);
    if (rate > 0) {
      const gap = -Math.log(1 - arrivals()) / rate;
      if (gap < 100) {
        request();
        clock.setTimer(arrive, Math.max(1, Math.round(gap)));
        return;
      }
    }
    clock.setTimer(arrive, 100);
  };
  arrive();
  for (;;) {
    const next = clock.nextTimerAt();
    if (next === undefined || next > end) break;
    clock.advanceTo(next);
    await flush();
  }
  clock.advanceTo(end);
  return r;
}

/** Successes over [fromMs, toMs) of the run as a fraction of what `rpm`-per-minute capacity gives meanwhile. */
export function goodput(r: WindowResult, fromMs: number, toMs: number, capacityPerMs: number): number {
  let n = 0;
  for (let s = Math.floor(fromMs / 1000); s < Math.floor(toMs / 1000); s++) n += r.ok[s] ?? 0;
  return n / (capacityPerMs * (toMs - fromMs));
}

export { MINUTE };
