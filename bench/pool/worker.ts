// A child process of `bench:pool`: runs the cells it is sent, one at a time, and sends back their figures.
import { runCell, type ClientName } from './cell.js';
import { rowOf, type Row } from './metrics.js';
import { findCase, type Section } from './scenarios.js';

export interface Job {
  section: Section;
  caseId: string;
  client: ClientName;
  load: number;
  seed: number;
  durationMs: number;
}

export interface Done {
  job: Job;
  row: Row;
  /** CPU time the cell took, ms. */
  cpuMs: number;
  /** Merges the pool inferred, and how many of them joined keys of different accounts. */
  inferred: { merges: number; wrong: number };
}

// Errors are created by the thousand (every request refused past its deadline); their stacks are never read.
Error.stackTraceLimit = 0;

export async function runJob(job: Job): Promise<Done> {
  const c = findCase(job.section, job.caseId);
  const t0 = process.cpuUsage();
  const r = await runCell({
    scenario: c.scenario,
    client: job.client,
    load: job.load,
    seed: job.seed,
    durationMs: job.durationMs,
    arrivals: c.arrivals,
    deadlineMs: 30_000,
    maxAttempts: 3,
    warmupMs: 5 * 60_000,
    latency: c.latency,
    network: c.network,
    ...(c.tailMs !== undefined && { tailMs: c.tailMs }),
  });
  const cpu = process.cpuUsage(t0);
  return { job, row: rowOf(c.scenario, r, job.client === 'single'), cpuMs: (cpu.user + cpu.system) / 1000, inferred: r.inferred };
}

if (process.send) {
  process.on('message', (job: Job) => {
    runJob(job).then(
      (done) => process.send!(done),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
