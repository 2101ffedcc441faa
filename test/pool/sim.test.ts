import { describe, expect, it } from 'vitest';
import type { StrategyName } from '../../src/pool/index.js';
import { simulate, type SimResult, type SimSpec } from './sim.js';

const STRATEGIES: StrategyName[] = ['default', 'round-robin', 'least-used', 'lru', 'random', 'weighted'];
/** Two fast keys and four slow ones (free tier beside paid), each its own account. */
const POOL = [60, 60, 10, 10, 10, 10];
const HOUR = 3_600_000;

async function everyStrategy(spec: Omit<SimSpec, 'strategy'>): Promise<Record<StrategyName, SimResult>> {
  const out = {} as Record<StrategyName, SimResult>;
  for (const strategy of STRATEGIES) out[strategy] = await simulate({ ...spec, strategy });
  return out;
}

function table(title: string, rs: Record<string, SimResult>): string {
  const rows = Object.values(rs).map(
    (r) => `  ${r.strategy.padEnd(12)} goodput ${r.goodputPct.toFixed(1).padStart(5)}%  429s ${r.wastedPct.toFixed(2).padStart(5)}%  successes ${r.successes}/${Math.round(r.capacity)}  attempts ${r.attempts}  refused ${r.refused}`,
  );
  return `${title}\n${rows.join('\n')}`;
}

describe('a simulated hour, 2 fast keys (60 rpm) + 4 slow keys (10 rpm), offered 1.5× capacity, latency 300–1500 ms', () => {
  it('with rate-limit headers: the default reaches ≥ 95% of capacity with ≤ 2% of attempts on 429s', async () => {
    const rs = await everyStrategy({ rpms: POOL, headers: 'openai', durationMs: HOUR, load: 1.5, latencyMs: [300, 1500], seed: 7 });
    console.log(table('headers (OpenAI-style x-ratelimit-*):', rs));
    expect(rs.default.goodputPct).toBeGreaterThanOrEqual(95);
    expect(rs.default.wastedPct).toBeLessThanOrEqual(2);
    // Every strategy picks only among keys the learned budgets allow, so at a steady 1.5× the budget filter, not
    // the order, decides the goodput: round-robin is not worse by much, and never better than the default. The
    // bursty tests below show where the choice matters.
    expect(rs.default.successes).toBeGreaterThanOrEqual(rs['round-robin'].successes);
    for (const r of Object.values(rs)) expect(r.wastedPct).toBeLessThanOrEqual(2);
  });

  it('without headers (NVIDIA NIM, Gemini): learned pacing keeps goodput high and 429s rare', async () => {
    const rs = await everyStrategy({ rpms: POOL, headers: 'none', durationMs: HOUR, load: 1.5, latencyMs: [300, 1500], seed: 7 });
    console.log(table('no headers (learned pacing):', rs));
    expect(rs.default.goodputPct).toBeGreaterThanOrEqual(90);
    expect(rs.default.wastedPct).toBeLessThanOrEqual(3);
  });

  it('below capacity (0.8×) with headers: no request is sent into a 429, every request is served', async () => {
    const r = await simulate({ strategy: 'default', rpms: POOL, headers: 'openai', durationMs: HOUR, load: 0.8, latencyMs: [300, 1500], seed: 3 });
    console.log(table('below capacity (0.8×):', { default: r }));
    expect(r.rateLimited).toBe(0);
    expect(r.refused).toBe(0);
    expect(r.served).toBeGreaterThanOrEqual(r.offered - 5); // the last few are still in flight at the end
  });

  // Where the strategies differ (bench:pool, "Where the strategies differ"): bursty traffic — jobs of ~10 requests
  // fired at once — with 5–30 ms of network to the provider. The default spends where a key's bucket is fullest
  // (so no bucket sits full, losing its refill, while another is drained) and shares nearly full keys by
  // capacity; round-robin drains the 10-rpm keys at its even pace while the 60-rpm keys overflow. Both face the
  // same arrivals and draws; the margins hold on every seed of 1–8 (checked), the test runs 1–3.
  const BURSTY: Omit<SimSpec, 'strategy' | 'load' | 'seed'> = { rpms: POOL, headers: 'openai', durationMs: HOUR, latencyMs: [300, 1500], batch: 10, networkMs: [5, 30] };
  const SEEDS = [1, 2, 3];

  it('bursty jobs at 1.1× capacity: the default reaches ≥ 95% with ≤ 2% 429s, round-robin serves fewer and refuses more', async () => {
    for (const seed of SEEDS) {
      const d = await simulate({ ...BURSTY, strategy: 'default', load: 1.1, seed });
      const r = await simulate({ ...BURSTY, strategy: 'round-robin', load: 1.1, seed });
      console.log(table(`bursty jobs at 1.1×, seed ${seed}:`, { default: d, 'round-robin': r }), `\n  mean queue wait ${d.queueWaitMs.toFixed(0)} vs ${r.queueWaitMs.toFixed(0)} ms`);
      expect(d.goodputPct).toBeGreaterThanOrEqual(95);
      expect(d.wastedPct).toBeLessThanOrEqual(2);
      // measured on seeds 1–8: +21…+67 successes, 24…66 fewer refused, 89…756 ms less mean queue wait
      expect(d.successes - r.successes).toBeGreaterThanOrEqual(15);
      expect(r.refused - d.refused).toBeGreaterThanOrEqual(20);
      expect(d.queueWaitMs).toBeLessThan(r.queueWaitMs);
    }
  }, 120_000);

  it('bursty jobs below capacity (0.85×): the default wastes under half as many attempts on 429s, queues less, shares by capacity', async () => {
    for (const seed of SEEDS) {
      const d = await simulate({ ...BURSTY, strategy: 'default', load: 0.85, seed });
      const r = await simulate({ ...BURSTY, strategy: 'round-robin', load: 0.85, seed });
      console.log(table(`bursty jobs at 0.85×, seed ${seed}:`, { default: d, 'round-robin': r }), `\n  mean queue wait ${d.queueWaitMs.toFixed(0)} vs ${r.queueWaitMs.toFixed(0)} ms, balance ${d.balance.toFixed(2)} vs ${r.balance.toFixed(2)}`);
      // measured on seeds 1–8: 429s 0–1.2% vs 1.9–2.7%, queue wait ≤ 0.68× round-robin's, balance ≥ 0.98 vs ≤ 0.85
      expect(d.wastedPct).toBeLessThanOrEqual(r.wastedPct / 2);
      expect(d.queueWaitMs).toBeLessThanOrEqual(0.75 * r.queueWaitMs);
      expect(d.balance).toBeGreaterThanOrEqual(0.95);
      expect(r.balance).toBeLessThan(0.9);
    }
  }, 120_000);

  it('below capacity, keys of stated limits and configured concurrency are used in proportion to capacity (a one-slot key whenever it is free)', async () => {
    const r = await simulate({ strategy: 'default', rpms: POOL, concurrency: [6, 6, 1, 1, 1, 1], concurrencyConfigured: true, headers: 'openai', durationMs: HOUR, load: 0.7, latencyMs: [1_000, 8_000], seed: 4 });
    expect(r.failed + r.refused).toBe(0);
    // Headroom first, a one-slot key took a request only when free and fuller than the six-slot keys' slots
    // left: bench:pool's s-concurrency had them at 0.61 of their share.
    expect(r.balance).toBeGreaterThan(0.95);
  });

  it('a concurrency limit the provider never states (DeepSeek, NIM workers) is learned: few 429s', async () => {
    const r = await simulate({ strategy: 'default', rpms: POOL, concurrency: [4, 4, 1, 1, 1, 1], headers: 'openai', durationMs: HOUR, load: 1.5, latencyMs: [2_000, 10_000], seed: 5 });
    console.log(table('unstated concurrency limits (4,4,1,1,1,1), latency 2–10 s:', { default: r }));
    expect(r.wastedPct).toBeLessThanOrEqual(3);
  });
});
