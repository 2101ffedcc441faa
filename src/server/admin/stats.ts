import type { KeyId } from '../../pool/index.js';
import type { Runtime } from '../runtime.js';
import { afterTurn } from '../after-turn.js';
import { totalsByKey, usageSourceOf, type AdminDeps } from './keys.js';
import { totalsByTier, tiersOf } from './tiers.js';
import { windowOf } from './usage.js';

/** Latencies kept per key: the last N attempts, enough for a p99 that moves with the present. */
const RING = 512;

/** One key's recent attempts: a fixed ring of latencies (no allocation per attempt) and counters since start. */
class KeyLatency {
  readonly ring = new Float64Array(RING);
  next = 0;
  size = 0;
  attempts = 0;
  successes = 0;

  push(ms: number, ok: boolean): void {
    this.ring[this.next] = ms;
    this.next = (this.next + 1) % RING;
    if (this.size < RING) this.size++;
    this.attempts++;
    if (ok) this.successes++;
  }

  percentiles(): { count: number; p50: number; p90: number; p99: number; max: number } | undefined {
    if (this.size === 0) return undefined;
    const sorted = this.ring.slice(0, this.size).sort();
    const at = (q: number) => Math.round(sorted[Math.min(this.size - 1, Math.floor(q * this.size))]! * 10) / 10;
    return { count: this.size, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1) };
  }
}

/**
 * Per-key attempt latency and success, since this process started, from the pools' `outcome` events: the time
 * from the lease to the provider's verdict (a stream's until its end). Cancelled attempts (a client gone, a
 * listing that judges no key) say nothing about the key and are left out.
 */
export class AttemptStats {
  readonly #keys = new Map<string, KeyLatency>();

  /** Listens to every pool of the runtime, now and after reloads. */
  watch(rt: Runtime): void {
    rt.eachPool((provider, pool) => {
      pool.on('outcome', (e) => {
        if (e.outcome.kind === 'cancelled') return;
        // Kept when the turn ends (after-turn.ts): the verdict comes before the answer is written.
        afterTurn(() => {
          const id = `${provider}\u0000${e.keyId}`;
          let k = this.#keys.get(id);
          if (!k) this.#keys.set(id, (k = new KeyLatency()));
          k.push(e.latencyMs, e.outcome.kind === 'ok');
        });
      });
    });
  }

  of(provider: string, id: KeyId): { attempts: number; successes: number; latencyMs?: ReturnType<KeyLatency['percentiles']> } {
    const k = this.#keys.get(`${provider}\u0000${id}`);
    if (!k) return { attempts: 0, successes: 0 };
    const latencyMs = k.percentiles();
    return { attempts: k.attempts, successes: k.successes, ...(latencyMs && { latencyMs }) };
  }

  /** Forgets a key's latencies and counters (POST /admin/keys/:id/reset). */
  forget(provider: string, id: KeyId): void {
    this.#keys.delete(`${provider}\u0000${id}`);
  }
}

const ratio = (n: number, d: number): number | null => (d > 0 ? Math.round((n / d) * 1000) / 1000 : null);

/**
 * GET /admin/stats?from=&to=: per provider, the balance of its usable keys' requests in the window (the least
 * used key's over the most used one's: 1 is an even spread, 0 a usable key left idle), its success rate and its
 * usage per key tier in the window (`byTier`: what the overflow tiers took, and cost); per
 * key, its success rate in the window and its latency percentiles (ms) over its last attempts since start.
 */
export async function statsReport(d: AdminDeps, q: URLSearchParams | undefined): Promise<object> {
  const { from, to } = windowOf(q, d.rt.clock.now());
  const range = { from: from - (((from % 3_600_000) + 3_600_000) % 3_600_000), to };
  const providers = [];
  const keys = [];
  for (const p of d.rt.providers.values()) {
    const rows = await d.rt.store.readUsage(p.name, range);
    const totals = totalsByKey(rows);
    const snap = p.pool.snapshot();
    const usable = snap.keys.filter((k) => k.status !== 'disabled');
    const counts = usable.map((k) => totals.get(k.id)?.requests ?? 0);
    const max = Math.max(0, ...counts);
    let requests = 0;
    let successes = 0;
    let errors = 0;
    for (const k of snap.keys) {
      const t = totals.get(k.id);
      requests += t?.requests ?? 0;
      successes += t?.successes ?? 0;
      errors += t?.errors ?? 0;
      const live = d.stats.of(p.name, k.id);
      keys.push({
        provider: p.name,
        id: k.id,
        masked: k.masked,
        state: k.status,
        tier: k.tier,
        requests: t?.requests ?? 0,
        successRate: ratio(t?.successes ?? 0, (t?.successes ?? 0) + (t?.errors ?? 0)),
        sinceStart: { attempts: live.attempts, successRate: ratio(live.successes, live.attempts) },
        latencyMs: live.latencyMs ?? null,
      });
    }
    providers.push({
      provider: p.name,
      keys: snap.keys.length,
      usableKeys: usable.length,
      waiting: snap.waiting,
      requests,
      successRate: ratio(successes, successes + errors),
      balance: usable.length < 2 || max === 0 ? 1 : Math.round((Math.min(...counts) / max) * 1000) / 1000,
      byTier: totalsByTier(rows, tiersOf(snap.keys)),
    });
  }
  return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), ...usageSourceOf(d), providers, keys };
}
