import { AllKeysUnavailable, KeyPool, ManualClock, PoolClosedError, keyId } from '../../src/pool/index.js';
import type { Outcome, StrategyName } from '../../src/pool/index.js';
import { QuotaModel } from '../sim/quota-model.js';
import { fakeKey, flush, openaiLimits, seeded } from './helpers.js';

export interface SimSpec {
  strategy: StrategyName;
  /** Per-minute request limit of each key (each key its own account). */
  rpms: number[];
  /** Concurrency limit the provider enforces per key, unknown to keymux (DeepSeek, NIM workers). */
  concurrency?: number[];
  /** The same limits told to keymux too (each key's `maxConcurrent`). */
  concurrencyConfigured?: boolean;
  headers: 'openai' | 'none';
  durationMs: number;
  /** Offered load as a multiple of the pool's capacity. */
  load: number;
  latencyMs: [number, number];
  seed: number;
  maxAttempts?: number;
  queueTimeoutMs?: number;
  /** Requests arrive in jobs of this many on average (geometric), all at once; default 1 (Poisson). */
  batch?: number;
  /**
   * One-way network time to the provider, drawn per attempt: requests sent within a few ms of each other may
   * be counted by the provider in either order. Default none.
   */
  networkMs?: [number, number];
}

export interface SimResult {
  strategy: StrategyName;
  headers: 'openai' | 'none';
  /** Most successes the providers could give in the time: a full bucket at the start plus the refill. */
  capacity: number;
  successes: number;
  attempts: number;
  rateLimited: number;
  /** Client requests: offered, served, refused by the pool (AllKeysUnavailable), failed after retries. */
  offered: number;
  served: number;
  refused: number;
  failed: number;
  goodputPct: number;
  wastedPct: number;
  /** Successes per key label, fast keys first. */
  perKey: number[];
  /** Mean time served requests spent waiting (arrival to answer, minus their upstream time), ms. */
  queueWaitMs: number;
  /** Least over most of the keys' (share of successes ÷ share of capacity); 1 = used in proportion to capacity. */
  balance: number;
}

/**
 * Drives one pool for a simulated span: Poisson arrivals, each request a pool.run() whose attempt asks the
 * key's QuotaModel (the provider's limiter) and answers after a random latency, with the outcome an adapter
 * would build from the headers. Only the ManualClock moves time.
 */
export async function simulate(spec: SimSpec): Promise<SimResult> {
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  // Separate streams: arrivals must not depend on what the strategy did, so strategies face the same run.
  const arrivals = seeded(spec.seed);
  const rnd = seeded(spec.seed + 1000);
  const secrets = spec.rpms.map((_, i) => fakeKey(`sim${i}`));
  const models = new Map<string, QuotaModel>();
  const index = new Map<string, number>();
  spec.rpms.forEach((rpm, i) => {
    const maxConcurrent = spec.concurrency?.[i];
    models.set(keyId(secrets[i]!), new QuotaModel({ rpm, headers: spec.headers, ...(maxConcurrent !== undefined ? { maxConcurrent } : {}) }, () => clock.now()));
    index.set(keyId(secrets[i]!), i);
  });
  const pool = new KeyPool({
    provider: 'sim',
    keys: spec.concurrencyConfigured && spec.concurrency ? secrets.map((key, i) => ({ key, maxConcurrent: spec.concurrency![i]! })) : secrets,
    strategy: spec.strategy,
    clock,
    random: seeded(spec.seed + 1),
    queueTimeoutMs: spec.queueTimeoutMs ?? 30_000,
    maxQueue: 100_000,
  });

  const start = clock.now();
  const end = start + spec.durationMs;
  const totalRpm = spec.rpms.reduce((a, b) => a + b, 0);
  const capacity = totalRpm * (spec.durationMs / 60_000 + 1);
  const r: SimResult = {
    strategy: spec.strategy, headers: spec.headers, capacity, successes: 0, attempts: 0, rateLimited: 0,
    offered: 0, served: 0, refused: 0, failed: 0, goodputPct: 0, wastedPct: 0, perKey: spec.rpms.map(() => 0), queueWaitMs: 0, balance: 0,
  };
  let waited = 0;
  const [lo, hi] = spec.latencyMs;
  const wait = (ms: number) => new Promise<void>((res) => clock.setTimer(res, ms));

  const net = spec.networkMs;
  const attempt = async (lease: { keyId: string }, spent: { ms: number }): Promise<{ outcome: Outcome; value: null }> => {
    if (net) {
      const ms = Math.round(net[0] + rnd() * (net[1] - net[0]));
      spent.ms += ms;
      await wait(ms);
    }
    const q = models.get(lease.keyId)!;
    const inWindow = clock.now() < end;
    const a = q.admit();
    if (inWindow) r.attempts++;
    if (!a.ok) {
      if (inWindow) r.rateLimited++;
      const back = 50 + rnd() * 100; // a 429 comes back fast
      spent.ms += back;
      await wait(back);
      const ra = a.headers['retry-after-ms'];
      const limits = openaiLimits(a.headers);
      const outcome: Outcome = { kind: 'rate_limited', scope: 'group', ...(ra !== undefined ? { retryAfterMs: Number(ra) } : {}), ...(limits ? { limits } : {}) };
      return { outcome, value: null };
    }
    if (inWindow) {
      r.successes++;
      r.perKey[index.get(lease.keyId)!]!++;
    }
    const took = lo + rnd() * (hi - lo);
    spent.ms += took;
    await wait(took);
    q.release();
    const limits = openaiLimits(a.headers);
    return { outcome: { kind: 'ok', ...(limits ? { limits } : {}) }, value: null };
  };

  const ratePerMs = (spec.load * totalRpm) / 60_000;
  const request = () => {
    r.offered++;
    const at = clock.now();
    const spent = { ms: 0 };
    pool.run('m', (lease) => attempt(lease, spent), { maxAttempts: spec.maxAttempts ?? 3 }).then(
      (res) => {
        if (res.outcome.kind !== 'ok') return void r.failed++;
        r.served++;
        waited += clock.now() - at - spent.ms;
      },
      (err: unknown) => {
        if (err instanceof AllKeysUnavailable) r.refused++;
        else if (!(err instanceof PoolClosedError)) throw err; // closed: still waiting when the span ended
      },
    );
  };
  const batch = spec.batch ?? 1;
  const arrive = () => {
    if (clock.now() >= end) return;
    // A job of geometric size with mean `batch` (1 when Poisson), the jobs themselves a Poisson stream.
    const n = batch <= 1 ? 1 : 1 + Math.floor(Math.log(1 - arrivals()) / Math.log(1 - 1 / batch));
    for (let i = 0; i < n; i++) request();
    clock.setTimer(arrive, (-Math.log(1 - arrivals()) * batch) / ratePerMs);
  };
  arrive();

  for (;;) {
    const next = clock.nextTimerAt();
    if (next === undefined || next > end) break;
    clock.advanceTo(next);
    await flush();
  }
  clock.advanceTo(end);
  pool.close();
  await flush();
  r.goodputPct = Math.round((1000 * r.successes) / capacity) / 10;
  r.wastedPct = Math.round((1000 * r.rateLimited) / Math.max(1, r.attempts)) / 10;
  r.queueWaitMs = waited / Math.max(1, r.served);
  const shares = r.perKey.map((n, i) => n / Math.max(1, r.successes) / (spec.rpms[i]! / totalRpm));
  r.balance = Math.min(...shares) / Math.max(...shares);
  return r;
}
