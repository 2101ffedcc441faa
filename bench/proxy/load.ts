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

/**
 * Open loop for several targets in one window: each at its rate, their requests interleaved (target k due k/K of
 * an interval after target 0), so that what else the machine does in those seconds falls on every target alike.
 * Run one after another, each target met other moments of the host: the same build's added p50 moved by ±0.2 ms
 * from run to run, more than the differences the latency table exists to show.
 */
export async function runPacedTogether(jobs: LoadJob[]): Promise<LoadResult[]> {
  const k = jobs.length;
  const state = jobs.map((job) => {
    const url = new URL(job.url);
    return { job, url, pool: new Pool(url.origin, { connections: job.connections, pipelining: 1 }), times: [] as number[], non2xx: 0, errors: 0 };
  });
  const pending: Array<Promise<void>> = [];
  const start = performance.now() + 50;
  // Every job's due times, in order: [time, job index].
  const schedule: Array<[number, number]> = [];
  state.forEach(({ job }, j) => {
    const interval = 1000 / job.rate;
    const total = Math.round(job.rate * job.durationSec);
    for (let i = 0; i < total; i++) schedule.push([start + (i + j / k) * interval, j]);
  });
  schedule.sort((a, b) => a[0] - b[0]);
  const fire = (due: number, j: number): Promise<void> => {
    const t = state[j]!;
    return t.pool.request({ path: t.url.pathname, method: 'POST', headers: t.job.headers, body: t.job.body }).then(
      async (res) => {
        for await (const _ of res.body) void _;
        if (res.statusCode >= 200 && res.statusCode < 300) t.times.push(performance.now() - due);
        else t.non2xx++;
      },
      () => {
        t.errors++;
      },
    );
  };
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      for (; i < schedule.length && schedule[i]![0] <= now; i++) pending.push(fire(schedule[i]![0], schedule[i]![1]));
      if (i >= schedule.length) return resolve();
      setTimeout(tick, Math.max(0, schedule[i]![0] - performance.now()));
    };
    setTimeout(tick, 50);
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - start) / 1000;
  await Promise.all(state.map((t) => t.pool.close()));
  return state.map((t) => {
    const sorted = Float64Array.from(t.times).sort();
    return {
      ok: t.times.length,
      rps: t.times.length / elapsed,
      p50: percentile(sorted, 0.5),
      p90: percentile(sorted, 0.9),
      p99: percentile(sorted, 0.99),
      non2xx: t.non2xx,
      errors: t.errors,
      timeouts: 0,
      durationSec: elapsed,
    };
  });
}

function runPaced(job: LoadJob): Promise<LoadResult> {
  return runPacedTogether([job]).then((r) => r[0]!);
}

if (process.send) {
  process.on('message', (msg: { id: number; job?: LoadJob; together?: LoadJob[] }) => {
    (msg.together ? runPacedTogether(msg.together) : runLoad(msg.job!)).then(
      (result) => process.send!({ id: msg.id, result }),
      (err: unknown) => process.send!({ id: msg.id, error: String((err as Error)?.stack ?? err) }),
    );
  });
  process.send({ ready: true });
  process.on('disconnect', () => process.exit(0));
}
