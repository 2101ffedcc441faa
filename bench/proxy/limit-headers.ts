// tsx bench/proxy/limit-headers.ts — what the pool-wide rate-limit headers cost one answer (src/server/limit-headers.ts:
// KeyPool.capacity(model) → narrow → the dialect's header writer), for pools of 4, 40 and 400 keys whose budgets were
// learned from headers (the case that writes all six headers).
//   tsx bench/proxy/limit-headers.ts [--calls 200000] [--rounds 5]
// "cold": the pool's state changed since the last answer (a grant or an outcome in between, as under load), so
// capacity() makes its pass over the keys; "cached": a second answer in the same millisecond with nothing changed.
// Median over rounds of ns per call; the proxy's benchmark (bench:proxy) shows the same cost inside a request.
import { parseArgs } from 'node:util';
import { KeyPool, ManualClock, type Lease } from '../../src/pool/index.js';
import { addLimitHeaders } from '../../src/server/limit-headers.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const calls = Number(args.calls);
const rounds = Number(args.rounds);

async function poolOf(n: number): Promise<{ pool: KeyPool; clock: ManualClock }> {
  const clock = new ManualClock();
  const keys = Array.from({ length: n }, (_, i) => ({ key: `sk-bench-${String(i).padStart(6, '0')}-abcdefghijkl`, group: `org-${i % Math.max(1, n / 2)}` }));
  const pool = new KeyPool({ provider: 'openai', keys, clock });
  for (let i = 0; i < n; i++) {
    const lease: Lease = await pool.acquire({ model: 'm' });
    lease.report({ kind: 'ok', limits: { requests: { limit: 10_000, remaining: 9_000, resetMs: 6_000 }, tokens: { limit: 2e6, remaining: 1.5e6, resetMs: 15_000 } } });
  }
  return { pool, clock };
}

function time(pool: KeyPool, clock: ManualClock, cold: boolean): number {
  const out: Record<string, string> = {};
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    if (cold) clock.advance(1); // a new millisecond: the cached view is stale
    addLimitHeaders('openai', pool, 'm', undefined, out);
  }
  return Number(process.hrtime.bigint() - t0) / calls;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

for (const n of [4, 40, 400]) {
  const { pool, clock } = await poolOf(n);
  const cold: number[] = [];
  const cached: number[] = [];
  for (let r = 0; r < rounds; r++) {
    cold.push(time(pool, clock, true));
    cached.push(time(pool, clock, false));
  }
  console.log(`${String(n).padStart(3)} keys: cold ${median(cold).toFixed(0).padStart(6)} ns/answer, cached ${median(cached).toFixed(0).padStart(6)} ns/answer`);
}
