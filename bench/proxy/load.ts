// The load generator: a child process (pinned apart from the servers by the runner) that takes jobs over IPC.
// Closed loop (rate 0): autocannon, as fast as the server answers, with latency percentiles at sub-millisecond
// resolution (autocannon's own histogram counts whole milliseconds; the per-response times it emits are exact).
// Open loop (rate > 0): requests sent at evenly spaced times through an undici Pool, latency counted from the
// time each request was due — autocannon's own rate limit sends each second's quota in a burst, which measures
// its bursts, not the server.
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Pool } from 'undici';

export interface LoadJob {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSec: number;
  /** Requests per second over all connections; 0 = as fast as the server answers (closed loop). */
  rate: number;
}

export interface LoadResult {
  ok: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationSec: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[i]!;
}

export function runLoad(job: LoadJob): Promise<LoadResult> {
  return job.rate > 0 ? runPaced(job) : runClosed(job);
}

function runClosed(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    let times = new Float64Array(1 << 16);
    let n = 0;
    const inst = autocannon(
      {
        url: job.url,
        method: 'POST',
        headers: job.headers,
        body: job.body,
        connections: job.connections,
        pipelining: 1,
        duration: job.durationSec,
        timeout: 10,
      },
      (err, r) => {
        if (err) return reject(err);
        const sorted = times.slice(0, n).sort();
        resolve({
          ok: n,
          rps: n / r.duration,
          p50: percentile(sorted, 0.5),
          p90: percentile(sorted, 0.9),
          p99: percentile(sorted, 0.99),
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          durationSec: r.duration,
        });
      },
    );
    inst.on('response', (_client, status, _bytes, ms) => {
      if (status < 200 || status >= 300) return;
      if (n === times.length) {
        const bigger = new Float64Array(times.length * 2);
        bigger.set(times);
        times = bigger;
      }
      times[n++] = ms;
    });
  });
}

async function runPaced(job: LoadJob): Promise<LoadResult> {
  const url = new URL(job.url);
  const pool = new Pool(url.origin, { connections: job.connections, pipelining: 1 });
  const times: number[] = [];
  let non2xx = 0;
  let errors = 0;
  const interval = 1000 / job.rate;
  const total = Math.round(job.rate * job.durationSec);
  const pending: Array<Promise<void>> = [];
  const start = performance.now() + 50;
  const fire = (due: number): Promise<void> =>
    pool.request({ path: url.pathname, method: 'POST', headers: job.headers, body: job.body }).then(
      async (res) => {
        for await (const _ of res.body) void _;
        if (res.statusCode >= 200 && res.statusCode < 300) times.push(performance.now() - due);
        else non2xx++;
      },
      () => {
        errors++;
      },
    );
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      for (; i < total && start + i * interval <= now; i++) pending.push(fire(start + i * interval));
      if (i >= total) return resolve();
      setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    setTimeout(tick, 50);
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const sorted = Float64Array.from(times).sort();
  return {
    ok: times.length,
    rps: times.length / elapsed,
    p50: percentile(sorted, 0.5),
    p90: percentile(sorted, 0.9),
    p99: percentile(sorted, 0.99),
    non2xx,
    errors,
    timeouts: 0,
    durationSec: elapsed,
  };
}

if (process.send) {
  process.on('message', (msg: { id: number; job: LoadJob }) => {
    runLoad(msg.job).then(
      (result) => process.send!({ id: msg.id, result }),
      (err: unknown) => process.send!({ id: msg.id, error: String((err as Error)?.stack ?? err) }),
    );
  });
  process.send({ ready: true });
  process.on('disconnect', () => process.exit(0));
}
