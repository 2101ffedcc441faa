// bench:fairshare — how waiting requests are shared between clients: first come, first served (every request in
// one lane, as before) against fair share (one lane per client, round-robin). Simulated time on a ManualClock:
// the pool and its queue are the real ones, the provider is a key that takes one request at a time for SLOT ms.
// Prints each client's share of service while both wait and its wait percentiles; --write puts the table in
// bench/RESULTS.md (its bench:fairshare section).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { KeyPool, ManualClock, type Outcome } from '../../src/pool/index.js';

const SLOT = 100;
const START = '<!-- bench:fairshare:start -->';
const END = '<!-- bench:fairshare:end -->';
const OK: Outcome = { kind: 'ok' };

interface Arrival {
  client: string;
  at: number;
}
interface Served {
  client: string;
  arrived: number;
  granted: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

/** Runs the arrivals through a one-key pool; `fair` names each request's client, else all share one lane. */
async function run(arrivals: readonly Arrival[], fair: boolean, concurrency: number): Promise<Served[]> {
  const clock = new ManualClock(0);
  const pool = new KeyPool({ provider: 'bench', keys: [{ key: 'sk-bench-000000000000000000000000', maxConcurrent: concurrency }], clock, queueTimeoutMs: 1e9, maxQueue: 100_000 });
  const served: Served[] = [];
  let pending = arrivals.length;
  for (const a of arrivals) {
    clock.setTimer(() => {
      void pool.acquire({ model: 'm', ...(fair && { client: a.client }) }).then((lease) => {
        served.push({ client: a.client, arrived: a.at, granted: clock.now() });
        clock.setTimer(() => {
          lease.report(OK);
          pending--;
        }, SLOT);
      });
    }, a.at);
  }
  while (pending > 0) {
    const at = clock.nextTimerAt();
    if (at === undefined) {
      await tick();
      if (clock.nextTimerAt() === undefined) throw new Error('stuck');
      continue;
    }
    clock.advanceTo(at);
    await tick();
  }
  pool.close();
  return served;
}

function pct(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Per client: share of the grants made while every client still had requests waiting or to come; wait percentiles (ms). */
function summarise(served: readonly Served[], clients: readonly string[]) {
  const lastArrival = new Map<string, number>();
  const lastGrant = new Map<string, number>();
  for (const s of served) {
    lastArrival.set(s.client, Math.max(lastArrival.get(s.client) ?? 0, s.arrived));
    lastGrant.set(s.client, Math.max(lastGrant.get(s.client) ?? 0, s.granted));
  }
  // The contended span: from the last client's first arrival until the first client is fully served.
  const from = Math.max(...clients.map((c) => Math.min(...served.filter((s) => s.client === c).map((s) => s.arrived))));
  const to = Math.min(...clients.map((c) => lastGrant.get(c) ?? 0));
  const inSpan = served.filter((s) => s.granted >= from && s.granted <= to);
  return clients.map((c) => {
    const waits = served.filter((s) => s.client === c).map((s) => s.granted - s.arrived).sort((a, b) => a - b);
    const share = inSpan.length === 0 ? NaN : inSpan.filter((s) => s.client === c).length / inSpan.length;
    const done = (lastGrant.get(c) ?? 0) + SLOT;
    return { client: c, n: waits.length, share, p50: pct(waits, 50), p95: pct(waits, 95), p99: pct(waits, 99), done };
  });
}

interface Scenario {
  name: string;
  what: string;
  arrivals: Arrival[];
  concurrency: number;
}

const scenarios: Scenario[] = [
  {
    name: 'burst',
    what: 'A queues 200 at t=0, B queues 10 just after; one key, one request at a time',
    arrivals: [...Array.from({ length: 200 }, () => ({ client: 'A', at: 0 })), ...Array.from({ length: 10 }, () => ({ client: 'B', at: 1 }))],
    concurrency: 1,
  },
  {
    name: 'steady',
    what: 'A sends 3 per slot for 100 slots (3× capacity), B one every 5 slots; one key, 2 at a time',
    arrivals: [
      ...Array.from({ length: 300 }, (_, i) => ({ client: 'A', at: Math.floor(i / 3) * SLOT })),
      ...Array.from({ length: 20 }, (_, i) => ({ client: 'B', at: i * 5 * SLOT + 1 })),
    ],
    concurrency: 2,
  },
];

const f = (ms: number) => (Number.isNaN(ms) ? '—' : `${(ms / 1000).toFixed(1)} s`);
const lines: string[] = [
  START,
  '## bench:fairshare — waiting requests shared across clients',
  '',
  `Simulated time (ManualClock), the real KeyPool and wait queue; service ${SLOT} ms per request. "share": the`,
  "client's part of the requests granted while both clients were waiting; waits from arrival to a key;",
  '"done": when its last request finished. `npm run bench:fairshare` (add `-- --write` to update this section).',
  '',
];
for (const s of scenarios) {
  lines.push(`**${s.name}**: ${s.what}.`, '', '| queue | client | requests | share | wait p50 | wait p95 | wait p99 | done |', '|---|---|---|---|---|---|---|---|');
  for (const fair of [false, true]) {
    const rows = summarise(await run(s.arrivals, fair, s.concurrency), ['A', 'B']);
    for (const r of rows) {
      lines.push(`| ${fair ? 'fair share' : 'FIFO'} | ${r.client} | ${r.n} | ${(r.share * 100).toFixed(0)}% | ${f(r.p50)} | ${f(r.p95)} | ${f(r.p99)} | ${f(r.done)} |`);
    }
  }
  lines.push('');
}
lines.push(END);
const md = lines.join('\n');
process.stdout.write(`${md}\n`);

if (process.argv.includes('--write')) {
  const file = new URL('../RESULTS.md', import.meta.url).pathname;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  writeFileSync(file, a >= 0 && b > a ? current.slice(0, a) + md + current.slice(b + END.length) : `${current.trimEnd()}\n\n${md}\n`);
}
