// The bench:proxy section of bench/RESULTS.md: medians, paired ratios, the targets, between markers so the
// other sections of the file (bench:pool, …) stay as they are.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { LoadResult } from './load.js';

export const START = '<!-- bench:proxy:start -->';
export const END = '<!-- bench:proxy:end -->';

type Result = LoadResult & { cpuUs?: number };
type Runs = Array<Result | undefined | null>;

export interface Report {
  date: string;
  machine: { nproc: number; cpu: string; mem: string; kernel: string; git: string };
  loadavg: { before: number[]; after: number[] };
  pinning: string;
  versions: Record<string, string>;
  settings: { runs: number; durationSec: number; latencyDurationSec: number; warmupSec: number; connections: number; rate: number };
  targets: Array<{ name: string; label: string; skipped?: string }>;
  scenarios: Array<{ name: string; stream: boolean; bytes: number }>;
  broken: Record<string, string>;
  /** scenario → target → result per run (index = run). */
  throughput: Record<string, Record<string, Runs>>;
  latency: Record<string, Record<string, Runs>>;
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median over runs of f(a[i], b[i]), for runs where both were measured: ratios taken side by side. */
function paired(a: Runs | undefined, b: Runs | undefined, f: (x: Result, y: Result) => number): number {
  const out: number[] = [];
  for (let i = 0; i < (a?.length ?? 0); i++) if (a?.[i] && b?.[i]) out.push(f(a[i]!, b[i]!));
  return median(out);
}

const ok = (r: Runs | undefined): Result[] => (r ?? []).filter((x): x is Result => x != null);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}` : '–');
const int = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '–');

function errors(rs: Result[]): string {
  const n = rs.reduce((a, r) => a + r.non2xx + r.errors + r.timeouts, 0);
  return n === 0 ? '0' : `**${n}**`;
}

export function renderSection(r: Report): string {
  const s = r.settings;
  const L: string[] = [START, '## bench:proxy — what a proxy in the path costs', ''];
  L.push(
    `\`npm run bench:proxy\`, ${r.date.slice(0, 16).replace('T', ' ')} UTC. Machine: ${r.machine.nproc} CPUs (${r.machine.cpu}), ${r.machine.mem} RAM, Linux ${r.machine.kernel}; ` +
      `shared with other work (load average ${r.loadavg.before.map((x) => x.toFixed(2)).join('/')} before, ${r.loadavg.after.map((x) => x.toFixed(2)).join('/')} after). ` +
      `Versions: Node ${r.versions.node}, undici ${r.versions.undici}, keymux ${r.versions.keymux} (git ${r.machine.git}), autocannon ${r.versions.autocannon}, Portkey: ${r.versions.portkey}.`,
    '',
    `Method: one simulator upstream (test/sim, no latency, 4 keys without limits) for every target; each server its own process; ${r.pinning}. ` +
      `Targets interleaved round-robin (order rotated each run), ${s.runs} runs per target and scenario after a ${s.warmupSec} s warm-up; every figure is the median of the runs, ` +
      `and "added" and "% of bare" are taken run by run against the direct and bare measurements of the same run, then the median. Latencies are per response, to the microsecond (not autocannon's whole-millisecond histogram).`,
    '',
  );
  for (const t of r.targets) L.push(`- **${t.name}**: ${t.label}${t.skipped ? ` — **not run: ${t.skipped}**` : ''}`);
  for (const [k, why] of Object.entries(r.broken)) L.push(`- ${k} **not timed**, its check request failed: ${why}`);
  L.push('', `Scenarios: \`POST /v1/chat/completions\`; ${r.scenarios.map((x) => `**${x.name}** (${x.stream ? 'SSE' : 'JSON'} answer, ${x.bytes.toLocaleString('en-US')} B request)`).join(', ')}. The simulator echoes the prompt, so a 32 KB request gets a ~32 KB answer (4 SSE chunks when streamed).`, '');

  L.push(`### Throughput — closed loop, ${s.connections} connections, ${s.runs} × ${s.durationSec} s`, '');
  L.push('| scenario | target | req/s | range of runs | p50 ms | p99 ms | added p50 ms | % of bare | server CPU µs/req | CPU vs bare | errors |', '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const sc of r.scenarios) {
    const by = r.throughput[sc.name] ?? {};
    for (const t of r.targets) {
      const rs = ok(by[t.name]);
      if (rs.length === 0) {
        L.push(`| ${sc.name} | ${t.name} | not run | | | | | | | | |`);
        continue;
      }
      const rps = rs.map((x) => x.rps);
      const cpu = median(rs.map((x) => x.cpuUs ?? NaN));
      const cpuVsBare = paired(by[t.name], by.bare, (a, b) => (a.cpuUs ?? NaN) / (b.cpuUs ?? NaN));
      L.push(
        `| ${sc.name} | ${t.name} | ${int(median(rps))} | ${int(Math.min(...rps))}–${int(Math.max(...rps))} | ${f2(median(rs.map((x) => x.p50)))} | ${f2(median(rs.map((x) => x.p99)))} | ` +
          `${t.name === 'direct' ? '' : signed(paired(by[t.name], by.direct, (a, b) => a.p50 - b.p50))} | ${pct(paired(by[t.name], by.bare, (a, b) => a.rps / b.rps))} | ${Number.isFinite(cpu) ? Math.round(cpu) : ''} | ${Number.isFinite(cpuVsBare) ? `${cpuVsBare.toFixed(2)}×` : ''} | ${errors(rs)} |`,
      );
    }
  }
  L.push('', `### Latency at moderate load — open loop, ${s.rate} req/s in all at even intervals, shared by the targets, ${s.runs} × ${s.latencyDurationSec} s`, '');
  L.push('Sent through an undici Pool (up to ' + s.connections + ' connections per target) by the load generator, every target in the same window with their requests interleaved; latency counted from the time each request was due.', '');
  L.push('| scenario | target | req/s | p50 ms | p99 ms | added p50 ms | added p99 ms | errors |', '|---|---|--:|--:|--:|--:|--:|--:|');
  for (const sc of r.scenarios) {
    const by = r.latency[sc.name] ?? {};
    for (const t of r.targets) {
      const rs = ok(by[t.name]);
      if (rs.length === 0) {
        L.push(`| ${sc.name} | ${t.name} | not run | | | | | |`);
        continue;
      }
      const direct = t.name === 'direct';
      L.push(
        `| ${sc.name} | ${t.name} | ${int(median(rs.map((x) => x.rps)))} | ${f2(median(rs.map((x) => x.p50)))} | ${f2(median(rs.map((x) => x.p99)))} | ` +
          `${direct ? '' : signed(paired(by[t.name], by.direct, (a, b) => a.p50 - b.p50))} | ${direct ? '' : signed(paired(by[t.name], by.direct, (a, b) => a.p99 - b.p99))} | ${errors(rs)} |`,
      );
    }
  }

  L.push('', '### Targets (keymux at log level info, as a user runs it)', '');
  const line = (label: string, cells: string[]) => L.push(`- ${label}: ${cells.join('; ')}`);
  line(
    'throughput ≥ 85% of the bare pass-through',
    r.scenarios.map((sc) => {
      const a = r.throughput[sc.name]?.keymux;
      const b = r.throughput[sc.name]?.bare;
      const v = paired(a, b, (x, y) => x.rps / y.rps);
      const each = (a ?? []).flatMap((x, i) => (x && b?.[i] ? [x.rps / b[i]!.rps] : []));
      const spread = each.length > 1 ? ` (runs ${Math.round(100 * Math.min(...each))}–${Math.round(100 * Math.max(...each))}%)` : '';
      return `${sc.name} ${Number.isFinite(v) ? `${(100 * v).toFixed(1)}%${spread} ${v >= 0.85 ? '✓' : '✗'}` : '–'}`;
    }),
  );
  line(
    'throughput ahead of Portkey',
    r.scenarios.map((sc) => {
      const v = paired(r.throughput[sc.name]?.keymux, r.throughput[sc.name]?.portkey, (a, b) => a.rps / b.rps);
      return `${sc.name} ${Number.isFinite(v) ? `${v.toFixed(2)}× ${v > 1 ? '✓' : '✗'}` : 'no Portkey figure'}`;
    }),
  );
  line(
    `added p50 within 0.15 ms of bare's at moderate load (keymux's minus bare's, run by run)`,
    r.scenarios.map((sc) => {
      const a = r.latency[sc.name]?.keymux;
      const b = r.latency[sc.name]?.bare;
      const v = paired(a, b, (x, y) => x.p50 - y.p50);
      const each = (a ?? []).flatMap((x, i) => (x && b?.[i] ? [x.p50 - b[i]!.p50] : []));
      const spread = each.length > 1 ? ` (runs ${signed(Math.min(...each))} to ${signed(Math.max(...each))})` : '';
      return `${sc.name} ${signed(v)} ms${spread} ${Number.isFinite(v) ? (v <= 0.15 ? '✓' : '✗') : ''}`;
    }),
  );
  line(
    'added p50 < 1 ms at moderate load',
    r.scenarios.map((sc) => {
      const v = paired(r.latency[sc.name]?.keymux, r.latency[sc.name]?.direct, (a, b) => a.p50 - b.p50);
      return `${sc.name} ${signed(v)} ms ${Number.isFinite(v) ? (v < 1 ? '✓' : '✗') : ''}`;
    }),
  );
  L.push(
    '',
    `Cost of logging at info (keymux against keymux-warn, same run): ${r.scenarios
      .map((sc) => {
        const by = r.throughput[sc.name];
        const cpu = paired(by?.keymux, by?.['keymux-warn'], (a, b) => (a.cpuUs ?? NaN) - (b.cpuUs ?? NaN));
        const rps = paired(by?.keymux, by?.['keymux-warn'], (a, b) => a.rps / b.rps);
        return `${sc.name} ${signed(cpu).replace(/\.\d+$/, '')} µs CPU per request, ${pct(rps)} of the warn-level req/s`;
      })
      .join('; ')}.`,
  );
  if (r.targets.some((t) => t.name === 'keymux-redis' && !t.skipped)) {
    L.push(
      '',
      `Cost of Redis (keymux-redis against keymux, same run; a round trip to the ADMIT script per pick, the release after): ${r.scenarios
        .map((sc) => {
          const lat = r.latency[sc.name];
          const thr = r.throughput[sc.name];
          const p50 = paired(lat?.['keymux-redis'], lat?.keymux, (a, b) => a.p50 - b.p50);
          const p99 = paired(lat?.['keymux-redis'], lat?.keymux, (a, b) => a.p99 - b.p99);
          const rps = paired(thr?.['keymux-redis'], thr?.keymux, (a, b) => a.rps / b.rps);
          return `${sc.name} p50 ${signed(p50)} ms, p99 ${signed(p99)} ms at ${s.rate} req/s ${Number.isFinite(p50) ? (p50 < 1 ? '✓' : '✗') : ''}, ${pct(rps)} of keymux's req/s`;
        })
        .join('; ')} (target: added p50 under 1 ms at ${s.rate} req/s).`,
    );
  }
  L.push('', END);
  return L.join('\n');
}

/** Replaces the bench:proxy section of the file (or appends it), leaving every other section untouched. */
export function writeSection(file: string, section: string): void {
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const a = current.indexOf(START);
  const b = current.indexOf(END);
  const next = a >= 0 && b > a ? current.slice(0, a) + section + current.slice(b + END.length) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(file, next);
}

if (process.argv[1]?.endsWith('report.ts') && process.argv[2]) {
  // Re-render a saved run: tsx bench/proxy/report.ts bench/.scratch/bench-proxy-….json [--write]
  const md = renderSection(JSON.parse(readFileSync(process.argv[2], 'utf8')) as Report);
  if (process.argv.includes('--write')) writeSection(new URL('../RESULTS.md', import.meta.url).pathname, md);
  else process.stdout.write(`${md}\n`);
}
