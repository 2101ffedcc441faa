// One benchmark cell: a scenario, a client (a keymux strategy, naive rotation, or a single key), an offered
// load and a seed, simulated for a span of virtual time. Discrete events on a ManualClock: only timers move
// time, and after each instant every promise continuation runs before the next one.
import { AllKeysUnavailable, KeyPool, ManualClock, isRetryable, keyId, sleep } from '../../src/pool/index.js';
import type { KeyConfig, Outcome, StrategyName } from '../../src/pool/index.js';
import { findProvider } from '../../src/providers/index.js';
import { SimProvider } from './provider.js';
import { MINUTE, capacityOf, groupName, singleKeyOf, type Arrivals, type Scenario } from './scenario.js';
import { rng } from '../../test/sim/behaviour.js';

export type ClientName = StrategyName | 'naive' | 'single';

export interface CellSpec {
  scenario: Scenario;
  client: ClientName;
  /** Offered load as a multiple of the pool's capacity (requests per minute). */
  load: number;
  seed: number;
  durationMs: number;
  arrivals: Arrivals;
  /** How long a client request may wait for a key (keymux queue, or retry waits), ms. */
  deadlineMs: number;
  maxAttempts: number;
  /** Attempts after this offset count as "after warm-up" (limits learned). */
  warmupMs: number;
  /** Median and bounds of a success's upstream latency, ms (log-normal, clipped). */
  latency: { median: number; sigma: number; min: number; max: number };
  /**
   * One-way network time from keymux to the provider, ms, drawn per attempt. Requests sent within a few ms
   * of each other may reach the provider in either order, as on separate connections in reality.
   */
  network: { min: number; max: number };
  /** Upstream attempts this long after the last arrival are counted too (a short burst's requests still being served). */
  tailMs?: number;
}

export interface CellResult {
  capacity: number;
  offered: number;
  served: number;
  /** Client-visible errors: failed after retries, past the deadline, or refused (no key). */
  errors: number;
  /** Upstream attempts and those answered 429, in the measured span; and the same after warm-up. */
  attempts: number;
  r429: number;
  attemptsLate: number;
  r429Late: number;
  /** Upstream attempts refused as unauthorised (401/403: a revoked key) in the measured span. */
  refused: number;
  /** Upstream successes in the measured span, per quota group; and their tokens (where requests have sizes). */
  successes: number;
  perGroup: number[];
  perGroupTokens: number[];
  /** Client latency of served requests (arrival → response, queue and retries included), and its queue part. */
  latencies: Float64Array;
  queueWaits: Float64Array;
  /** When (ms from the start) each upstream attempt of the measured span was made, and which of them succeeded or met a 429. */
  attemptAt: Float64Array;
  okAt: Float64Array;
  limitedAt: Float64Array;
  durationMs: number;
  /**
   * Quota groups the pool inferred from behaviour (its `inferred` events that merged keys), and how many of
   * those put keys of different accounts together: a wrong merge, which no table would show otherwise.
   */
  inferred: { merges: number; wrong: number };
}

interface Req {
  at: number;
  tokens: number;
  /** Upstream latency of a success on attempt n (drawn up front, so every client faces the same draws). */
  ok: number[];
  err: number[];
  /** Time from dispatch to the provider's admission decision (the way there), per attempt. */
  net: number[];
  /** Upstream time spent so far (the rest of its latency is queueing and retry waits). */
  spent: number;
}

/** mulberry32, the simulator's seeded PRNG. */
export const seeded = rng;

/** The offered requests of a cell: the same for every client of one (scenario, load, seed, arrivals). */
function requests(spec: CellSpec, perMinute: number, start: number): Req[] {
  const rnd = seeded(spec.seed * 7919 + Math.round(spec.load * 1000));
  const { median, sigma, min, max } = spec.latency;
  const lat = () => {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.round(Math.min(max, Math.max(min, median * Math.exp(sigma * z))));
  };
  const draw = (at: number): Req => ({
    at,
    tokens: spec.scenario.tokens ? Math.round(spec.scenario.tokens(rnd())) : 0,
    ok: Array.from({ length: spec.maxAttempts }, lat),
    err: Array.from({ length: spec.maxAttempts }, () => Math.round(50 + 100 * rnd())),
    net: Array.from({ length: spec.maxAttempts }, () => Math.round(spec.network.min + (spec.network.max - spec.network.min) * rnd())),
    spent: 0,
  });
  const out: Req[] = [];
  const perMs = (spec.load * perMinute) / MINUTE;
  const batch = spec.arrivals.kind === 'batch' ? spec.arrivals.meanBatch : 1;
  const end = start + spec.durationMs;
  for (let t = start - Math.log(1 - rnd()) / (perMs / batch); t < end; t += -Math.log(1 - rnd()) / (perMs / batch)) {
    // Geometric batch size with mean `batch` (1 when Poisson).
    const n = batch <= 1 ? 1 : 1 + Math.floor(Math.log(1 - rnd()) / Math.log(1 - 1 / batch));
    for (let i = 0; i < n; i++) out.push(draw(Math.round(t)));
  }
  return out;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

export async function runCell(spec: CellSpec): Promise<CellResult> {
  const pool0 = spec.scenario;
  const cap = capacityOf(pool0, spec.durationMs);
  // The single-key reference faces the pool's traffic with one key of the pool's mean capacity.
  const s = spec.client === 'single' ? singleKeyOf(pool0) : pool0;
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const start = clock.now();
  const end = start + spec.durationMs + (spec.tailMs ?? 0);
  const secrets = s.keys.map((_, i) => `sk-bench${String(i).padStart(3, '0')}-${spec.seed}-abcdefghijklmnopqrstuv`);
  const provider = new SimProvider(
    {
      provider: s.provider,
      dialect: s.dialect,
      flavor: s.flavor,
      model: s.model,
      keys: Object.fromEntries(s.keys.map((k, i) => [secrets[i]!, k])),
      seed: spec.seed,
    },
    () => clock.now(),
  );
  const groupIndex = new Map<string, number>();
  cap.groups.forEach((g, i) => groupIndex.set(g.name, i));
  const groupOfKey = new Map(secrets.map((k, i) => [k, spec.client === 'single' ? -1 : groupIndex.get(groupName(s, i))!]));
  const speed = new Map(secrets.map((k, i) => [k, s.keys[i]!.speed ?? 1]));

  const r: CellResult = {
    capacity: cap.total, offered: 0, served: 0, errors: 0, attempts: 0, r429: 0, attemptsLate: 0, r429Late: 0, refused: 0,
    successes: 0, perGroup: cap.groups.map(() => 0), perGroupTokens: cap.groups.map(() => 0), latencies: new Float64Array(0), queueWaits: new Float64Array(0),
    attemptAt: new Float64Array(0), okAt: new Float64Array(0), limitedAt: new Float64Array(0), durationMs: spec.durationMs,
    inferred: { merges: 0, wrong: 0 },
  };
  const lats: number[] = [];
  const waits: number[] = [];
  const attemptAt: number[] = [];
  const okAt: number[] = [];
  const limitedAt: number[] = [];
  // Capacity that changes mid-run: every key's limits scaled from the scenario's (the client is not told).
  for (const c of s.changes ?? []) {
    clock.setTimer(() => {
      s.keys.forEach((k, i) => {
        const scaled = { ...k };
        if (k.rpm !== undefined) scaled.rpm = k.rpm * c.factor;
        if (k.tpm !== undefined) scaled.tpm = k.tpm * c.factor;
        provider.setBehaviour(secrets[i]!, scaled);
      });
    }, Math.round(c.at * spec.durationMs));
  }

  /** One upstream attempt: counted when sent, answered after its latency, classified by the real adapter. */
  const upstream = async (key: string, q: Req, n: number): Promise<Outcome> => {
    if (q.net[n]! > 0) await sleep(clock, q.net[n]!);
    q.spent += q.net[n]!;
    const t = clock.now();
    const res = provider.call(key, q.tokens, Math.round(q.ok[n]! * speed.get(key)!), q.err[n]!);
    if (t < end) {
      const late = t - start >= spec.warmupMs;
      r.attempts++;
      attemptAt.push(t - start);
      if (late) r.attemptsLate++;
      if (res.wire.status === 429) {
        r.r429++;
        limitedAt.push(t - start);
        if (late) r.r429Late++;
      } else if (res.wire.status === 401 || res.wire.status === 403) {
        r.refused++;
      } else if (res.wire.status === 200) {
        r.successes++;
        okAt.push(t - start);
        const g = groupOfKey.get(key)!;
        if (g >= 0) {
          r.perGroup[g]!++;
          r.perGroupTokens[g]! += q.tokens;
        }
      }
    }
    await sleep(clock, res.latencyMs);
    q.spent += res.latencyMs;
    res.release();
    return res.outcome(clock.now());
  };

  const finish = (q: Req, ok: boolean) => {
    if (!ok) {
      r.errors++;
      return;
    }
    r.served++;
    const total = clock.now() - q.at;
    lats.push(total);
    waits.push(total - q.spent);
  };

  let serve: (q: Req) => Promise<boolean>;
  let pool: KeyPool | undefined;
  if (spec.client === 'naive') serve = naiveRotation(secrets, clock, spec, upstream);
  else if (spec.client === 'single') serve = singleKey(secrets[0]!, clock, spec, upstream);
  else {
    const info = findProvider(s.provider)!;
    const keys: KeyConfig[] = s.keys.map((k, i) => ({ key: secrets[i]!, ...k.config }));
    const p = new KeyPool({
      provider: s.provider,
      keys,
      strategy: spec.client,
      clock,
      random: seeded(spec.seed + 1),
      limitsPerModel: info.limitsPerModel,
      queueTimeoutMs: spec.deadlineMs,
    });
    pool = p;
    const groupOfId = new Map(secrets.map((k) => [keyId(k), groupOfKey.get(k)]));
    p.on('inferred', (e) => {
      if (!e.merged) return;
      r.inferred.merges++;
      if (new Set(e.keyIds.map((id) => groupOfId.get(id))).size > 1) r.inferred.wrong++;
    });
    serve = async (q) => {
      try {
        const res = await p.run(s.model, async (lease, n) => ({ outcome: await upstream(lease.key, q, n - 1), value: null }), {
          maxAttempts: spec.maxAttempts,
          deadlineMs: spec.deadlineMs,
          ...(q.tokens > 0 ? { estimatedTokens: q.tokens } : {}),
        });
        return res.outcome.kind === 'ok';
      } catch (err) {
        if (err instanceof AllKeysUnavailable) return false;
        throw err;
      }
    };
  }

  const reqs = requests(spec, cap.perMinute, start);
  let pending = 0;
  for (const q of reqs) {
    clock.setTimer(() => {
      r.offered++;
      pending++;
      serve(q).then(
        (ok) => {
          pending--;
          finish(q, ok);
        },
        (err: unknown) => {
          pending--;
          throw err;
        },
      );
    }, q.at - start);
  }

  // Run until every offered request has its answer (they arrive in [start, end); the tail drains after).
  const hardEnd = end + 10 * MINUTE;
  for (;;) {
    const next = clock.nextTimerAt();
    if (next === undefined || next > hardEnd) break;
    if (next >= end && pending === 0) break;
    clock.advanceTo(next);
    await flush();
  }
  pool?.close();
  await flush();
  if (pending > 0) throw new Error(`cell ${s.id}/${spec.client}: ${pending} requests never finished`);
  r.latencies = Float64Array.from(lats).sort();
  r.queueWaits = Float64Array.from(waits).sort();
  r.attemptAt = Float64Array.from(attemptAt);
  r.okAt = Float64Array.from(okAt);
  r.limitedAt = Float64Array.from(limitedAt);
  return r;
}

type Upstream = (key: string, q: Req, n: number) => Promise<Outcome>;

/**
 * What simple key-rotation proxies do: the next key in turn; on a 429 that key cools for the retry-after the
 * provider gave (60 s when none), and the request is retried at once on the next key; a 401/403 drops the
 * key; other failures retry on the next key. No budgets learned, no queue: with every key cooling, the
 * client gets the 429 at once.
 */
function naiveRotation(keys: string[], clock: ManualClock, spec: CellSpec, upstream: Upstream): (q: Req) => Promise<boolean> {
  let next = 0;
  const coolUntil = new Map<string, number>();
  const dead = new Set<string>();
  const pick = (): string | undefined => {
    const now = clock.now();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(next + i) % keys.length]!;
      if (dead.has(k) || (coolUntil.get(k) ?? 0) > now) continue;
      next = (next + i + 1) % keys.length;
      return k;
    }
    return undefined;
  };
  return async (q) => {
    for (let n = 0; n < spec.maxAttempts; n++) {
      const k = pick();
      if (k === undefined) return false;
      const o = await upstream(k, q, n);
      if (o.kind === 'ok') return true;
      if (!isRetryable(o)) return false;
      if (o.kind === 'rate_limited' || o.kind === 'quota_exhausted') coolUntil.set(k, clock.now() + (o.retryAfterMs ?? 60_000));
      else if (o.kind === 'auth_failed') dead.add(k);
    }
    return false;
  };
}

/**
 * One key used directly, as the official SDKs do: up to maxAttempts, waiting the provider's retry-after
 * (honoured up to 60 s) or an exponential backoff from 0.5 s between attempts; a wait that would pass the
 * client's deadline fails the request.
 */
function singleKey(key: string, clock: ManualClock, spec: CellSpec, upstream: Upstream): (q: Req) => Promise<boolean> {
  const rnd = seeded(spec.seed + 99);
  return async (q) => {
    for (let n = 0; n < spec.maxAttempts; n++) {
      const o = await upstream(key, q, n);
      if (o.kind === 'ok') return true;
      if (!isRetryable(o) || n === spec.maxAttempts - 1) return false;
      const hint = 'retryAfterMs' in o ? o.retryAfterMs : undefined;
      const wait = hint !== undefined && hint > 0 && hint <= 60_000 ? hint : Math.min(8_000, 500 * 2 ** n) * (1 - 0.25 * rnd());
      if (clock.now() + wait - q.at > spec.deadlineMs) return false;
      await sleep(clock, Math.round(wait));
    }
    return false;
  };
}
