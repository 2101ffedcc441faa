// npm run bench:proxy — keymux against a bare Node pass-through and the Portkey gateway, over one zero-latency
// simulator upstream. See bench/README.md for the method and how to read the table.
//   tsx bench/proxy/run.ts [--runs 6] [--duration 5] [--latency-duration 8] [--warmup 2] [--connections 32]
//     [--rate 200] [--quick] [--no-pin] [--no-portkey] [--no-write] [--targets a,b] [--scenarios a,b]
//     [--cli path/dist/cli/main.js] [--baseline [name=]path/dist/cli/main.js …] [--profile [--profile-duration 8] [--profile-target keymux|bare]]
//     [--redis redis://127.0.0.1:6379 | --no-redis]
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { LoadJob, LoadResult } from './load.js';
import { LoadGen } from './loadgen.js';
import { formatSummary, summarise } from './cpuprofile.js';
import { SCENARIOS, probe, type Scenario } from './scenarios.js';
import { writeSection, renderSection, type Report } from './report.js';
import {
  ROOT,
  SCRATCH,
  installPortkey,
  pinSelf,
  pinning,
  portkeyConfig,
  startBare,
  startKeymux,
  startPortkey,
  startSimulator,
  cpuMs,
  versionOf,
  type Proc,
} from './servers.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '6' },
    duration: { type: 'string', default: '5' },
    'latency-duration': { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    rate: { type: 'string', default: '200' },
    quick: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'no-portkey': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    targets: { type: 'string' },
    scenarios: { type: 'string' },
    profile: { type: 'boolean', default: false },
    /** The keymux build timed as "keymux" and profiled (default dist/cli/main.js). */
    cli: { type: 'string' },
    /** Another keymux build timed beside this one (A/B): `--baseline path/dist/cli/main.js` or `name=path`, repeatable. */
    baseline: { type: 'string', multiple: true },
    'profile-duration': { type: 'string', default: '8' },
    /** What --profile profiles: keymux (default) or the bare pass-through, to set one beside the other. */
    'profile-target': { type: 'string', default: 'keymux' },
    /** The Redis of the keymux-redis target (keymux with KEYMUX_REDIS_URL: every pick admitted there). */
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    'no-redis': { type: 'boolean', default: false },
  },
});

const quick = args.quick;
const RUNS = quick ? 2 : Number(args.runs);
const DURATION = quick ? 2 : Number(args.duration);
const LAT_DURATION = quick ? 2 : Number(args['latency-duration']);
const WARMUP = quick ? 1 : Number(args.warmup);
const CONNECTIONS = Number(args.connections);
const RATE = Number(args.rate);
const KEYS = ['sk-bench-1', 'sk-bench-2', 'sk-bench-3', 'sk-bench-4'];
const PROXY_KEY = 'kmx-bench-proxy-key';
const log = (s: string) => process.stderr.write(`${s}\n`);

export interface Target {
  name: string;
  label: string;
  url: string;
  headers: Record<string, string>;
  /** The server process under test (none for direct). */
  pid?: number;
  /** Why the target did not run at all. */
  skipped?: string;
}

type Measured = LoadResult & { cpuUs?: number };

function job(t: Target, s: Scenario, durationSec: number, rate: number): LoadJob {
  return { url: `${t.url}/v1/chat/completions`, headers: t.headers, body: s.body, connections: CONNECTIONS, durationSec, rate };
}

function machine() {
  const model = cpus()[0]?.model ?? '?';
  const mem = `${(totalmem() / 1024 ** 3).toFixed(1)} GiB`;
  let git = '?';
  try {
    git = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim();
    if (dirty) git += ' + uncommitted changes in src/';
  } catch {
    /* not a git checkout */
  }
  return { nproc: cpus().length, cpu: model, mem, kernel: release(), git };
}

async function main(): Promise<void> {
  const pin = pinning(args['no-pin']);
  // The runner itself with the load generator: its threads (GC, the IPC) stay off the servers' CPU.
  pinSelf(pin.loadCpu);
  log(`bench:proxy — ${args.profile && pin.enabled ? `profile: keymux alone on CPU ${pin.serverCpu}, the simulator with the load generator on CPU ${pin.loadCpu}` : pin.note}`);
  const procs: Proc[] = [];
  const load = new LoadGen(pin.loadCpu);
  const stopAll = async () => {
    load.stop();
    await Promise.all(procs.map((p) => p.stop()));
  };
  process.once('SIGINT', () => void stopAll().then(() => process.exit(130)));
  try {
    // Profiling gives keymux a CPU of its own (the simulator joins the load generator): a CPU profile's
    // sample times are wall time, and a process sharing its CPU gets the other's time billed to its syscalls.
    const sim = await startSimulator(args.profile ? pin.loadCpu : pin.serverCpu, KEYS);
    procs.push(sim);
    await load.ready;
    if (args.profile) return await profile(sim, load, pin.serverCpu, procs);

    const wanted = args.targets?.split(',');
    const want = (n: string) => !wanted || wanted.includes(n);
    const targets: Target[] = [];
    const auth = { 'content-type': 'application/json', authorization: `Bearer ${KEYS[0]}` };
    if (want('direct')) targets.push({ name: 'direct', label: 'client → simulator (no proxy)', url: sim.url, headers: auth });
    if (want('bare')) {
      const p = await startBare(pin.serverCpu, sim.url, KEYS);
      procs.push(p);
      targets.push({ name: 'bare', label: 'bare pass-through (node:http + undici, ~30 lines)', url: p.url, headers: auth, pid: p.child.pid });
    }
    const kmxHeaders = { 'content-type': 'application/json', authorization: `Bearer ${PROXY_KEY}` };
    const redis = want('keymux-redis') ? await benchRedis() : undefined;
    for (const [name, level, label] of [
      ['keymux', 'info', 'keymux serve (log level info: a JSON line per request → /dev/null)'],
      ['keymux-warn', 'warn', 'keymux serve (KEYMUX_LOG_LEVEL=warn)'],
      ['keymux-redis', 'info', `keymux serve with KEYMUX_REDIS_URL=${args.redis} (every pick admitted by a Lua script there, lease released after; log level info)`],
    ] as const) {
      if (!want(name)) continue;
      let shared: { url: string; prefix: string } | undefined;
      if (name === 'keymux-redis') {
        if (!redis || 'skipped' in redis) {
          targets.push({ name, label, url: '', headers: {}, skipped: redis?.skipped ?? 'skipped' });
          continue;
        }
        shared = redis;
      }
      const p = await startKeymux(name, {
        cpu: pin.serverCpu, upstream: sim.url, keys: KEYS, proxyKey: PROXY_KEY, logLevel: level, ...(args.cli ? { cli: args.cli } : {}), ...(shared ? { redis: shared } : {}),
      });
      procs.push(p);
      targets.push({ name, label, url: p.url, headers: kmxHeaders, pid: p.child.pid });
    }
    for (const spec of args.baseline ?? []) {
      const [name, cli] = spec.includes('=') ? (spec.split('=', 2) as [string, string]) : ['baseline', spec];
      const p = await startKeymux(name, { cpu: pin.serverCpu, upstream: sim.url, keys: KEYS, proxyKey: PROXY_KEY, logLevel: 'info', cli });
      procs.push(p);
      targets.push({ name, label: `keymux serve, another build: ${cli} (log level info)`, url: p.url, headers: kmxHeaders, pid: p.child.pid });
    }
    let portkeyVersion = 'not run';
    if (want('portkey')) {
      const label = 'Portkey gateway (loadbalance over the same keys)';
      const pk = args['no-portkey'] ? { error: 'skipped (--no-portkey)' } : installPortkey(log);
      if ('error' in pk) {
        targets.push({ name: 'portkey', label, url: '', headers: {}, skipped: pk.error });
        portkeyVersion = `not run: ${pk.error}`;
      } else {
        try {
          const p = await startPortkey(pin.serverCpu, pk.script);
          procs.push(p);
          portkeyVersion = `@portkey-ai/gateway ${pk.version} (@hono/node-server ${versionOf(join(SCRATCH, 'portkey/node_modules/@hono/node-server/package.json'))})`;
          targets.push({ name: 'portkey', label, url: p.url, headers: { ...auth, 'x-portkey-config': portkeyConfig(sim.url, KEYS) }, pid: p.child.pid });
        } catch (e) {
          const why = `did not start: ${(e as Error).message.split('\n')[0]}`;
          targets.push({ name: 'portkey', label, url: '', headers: {}, skipped: why });
          portkeyVersion = `not run: ${why}`;
        }
      }
    }
    const scenarios = SCENARIOS.filter((s) => !args.scenarios || args.scenarios.split(',').includes(s.name));

    // Every target must answer every scenario correctly before it is timed; one that does not is reported, not timed.
    const broken = new Map<string, string>();
    for (const t of targets) {
      if (t.skipped) continue;
      for (const s of scenarios) {
        const why = await probe(`${t.url}/v1/chat/completions`, t.headers, s);
        if (why) {
          broken.set(`${t.name}/${s.name}`, why);
          log(`  ${t.name} ${s.name}: ${why}`);
        }
      }
    }
    const runnable = (t: Target, s: Scenario) => !t.skipped && !broken.has(`${t.name}/${s.name}`);

    log(`warm-up: ${WARMUP} s per target and scenario`);
    for (const s of scenarios) for (const t of targets) if (runnable(t, s)) await load.run(job(t, s, WARMUP, 0));

    const loadStart = loadavg();
    const started = new Date();
    const throughput: Report['throughput'] = {};
    const latency: Report['latency'] = {};
    const measured = (t: Target, s: Scenario, run: number, mode: string, r: Measured, store: Report['throughput']) => {
      ((store[s.name] ??= {})[t.name] ??= [])[run] = r;
      log(`${mode} run ${run + 1}/${RUNS} ${s.name.padEnd(10)} ${t.name.padEnd(11)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  cpu ${r.cpuUs?.toFixed(0) ?? '–'} µs/req${r.non2xx + r.errors + r.timeouts ? `  errors ${r.non2xx + r.errors + r.timeouts}` : ''}`);
    };
    /** CPU per answered request, µs: a cost figure that other work on the machine disturbs far less than req/s. */
    const withCpu = (r: LoadResult, cpu0: number | undefined, cpu1: number | undefined): Measured =>
      cpu0 !== undefined && cpu1 !== undefined && r.ok > 0 ? { ...r, cpuUs: ((cpu1 - cpu0) * 1000) / r.ok } : r;
    for (let run = 0; run < RUNS; run++) {
      for (const s of scenarios) {
        // Round-robin, rotated each run, so drift and order effects fall on every target alike.
        const order = targets.map((_, i) => targets[(i + run) % targets.length]!);
        for (const t of order) {
          if (!runnable(t, s)) continue;
          const cpu0 = cpuMs(t.pid);
          const r = await load.run(job(t, s, DURATION, 0));
          measured(t, s, run, 'throughput', withCpu(r, cpu0, cpuMs(t.pid)), throughput);
        }
      }
    }
    // Latency: every target paced in the same window, requests interleaved (load.ts runPacedTogether), the rate
    // shared: the machine sees RATE requests a second in all, as when each target ran alone. At RATE each, four
    // targets (800 req/s beside the simulator on one core) took p99s of 25–87 ms for sse-32k: not moderate load.
    // A request lands on a machine the one before it has warmed: of two keymux builds in adjacent places the later
    // one gained 0.05–0.1 ms at p50, whichever it was (timed with their places swapped, bench/RESULTS.md #12,
    // 2026-11-30). The schedule is a cycle, so rotating it left every target behind the same one in every run;
    // each run takes another cyclic order, and over (targets − 1)! runs each target follows each other as often.
    for (let run = 0; run < RUNS; run++) {
      for (const s of scenarios) {
        const orders = cyclicOrders(targets.filter((t) => runnable(t, s)));
        const ts = orders[run % orders.length]!;
        const cpu0 = ts.map((t) => cpuMs(t.pid));
        const rs = await load.together(ts.map((t) => job(t, s, LAT_DURATION, RATE / ts.length)));
        ts.forEach((t, i) => measured(t, s, run, 'latency', withCpu(rs[i]!, cpu0[i], cpuMs(t.pid)), latency));
      }
    }
    for (const p of procs) if (p.child.exitCode !== null) log(`warning: ${p.name} exited during the run (${p.child.exitCode})\n${p.stderr()}`);

    const report: Report = {
      date: started.toISOString(),
      machine: machine(),
      loadavg: { before: loadStart, after: loadavg() },
      pinning: pin.note,
      versions: {
        node: process.version,
        undici: versionOf(join(ROOT, 'node_modules/undici/package.json')),
        keymux: versionOf(join(ROOT, 'package.json')),
        autocannon: versionOf(join(ROOT, 'node_modules/autocannon/package.json')),
        portkey: portkeyVersion,
      },
      settings: { runs: RUNS, durationSec: DURATION, latencyDurationSec: LAT_DURATION, warmupSec: WARMUP, connections: CONNECTIONS, rate: RATE },
      targets: targets.map((t) => ({ name: t.name, label: t.label, ...(t.skipped ? { skipped: t.skipped } : {}) })),
      scenarios: scenarios.map((s) => ({ name: s.name, stream: s.stream, bytes: s.body.length })),
      broken: Object.fromEntries(broken),
      throughput,
      latency,
    };
    mkdirSync(SCRATCH, { recursive: true });
    const raw = join(SCRATCH, `bench-proxy-${started.toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(raw, `${JSON.stringify(report, null, 1)}\n`);
    const md = renderSection(report);
    process.stdout.write(`${md}\n`);
    if (!args['no-write'] && !quick) {
      writeSection(join(ROOT, 'bench/RESULTS.md'), md);
      log(`wrote bench/RESULTS.md (bench:proxy section); raw results in ${raw}`);
    } else log(`RESULTS.md not written (${quick ? '--quick' : '--no-write'}); raw results in ${raw}`);
  } finally {
    await stopAll();
    await dropBenchKeys();
  }
}

const REDIS_PREFIX = `kmxbench:${randomUUID().slice(0, 8)}:`;

/** The Redis of keymux-redis, or why that target is not run (no Redis answering is no failure of the benchmark). */
async function benchRedis(): Promise<{ url: string; prefix: string } | { skipped: string }> {
  if (args['no-redis']) return { skipped: 'skipped (--no-redis)' };
  const r = new Redis(args.redis, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    await r.ping();
    return { url: args.redis, prefix: REDIS_PREFIX };
  } catch (e) {
    return { skipped: `no Redis answering at ${args.redis} (${(e as Error).message})` };
  } finally {
    r.disconnect();
  }
}

/** Removes what keymux-redis left in Redis (budgets, windows, leases expire on their own; this is sooner). */
async function dropBenchKeys(): Promise<void> {
  if (args['no-redis']) return;
  const r = new Redis(args.redis, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  r.on('error', () => {});
  try {
    await r.connect();
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } catch {
    // no Redis: nothing was left there
  } finally {
    r.disconnect();
  }
}

/** --profile: keymux under --cpu-prof, each scenario at full load, then the profile's summary. */
async function profile(sim: Proc, load: LoadGen, cpu: number | undefined, procs: Proc[]): Promise<void> {
  const dir = join(SCRATCH, 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  mkdirSync(dir, { recursive: true });
  const bare = args['profile-target'] === 'bare';
  const kmx = bare
    ? await startBare(cpu, sim.url, KEYS, dir)
    : await startKeymux('keymux', { cpu, upstream: sim.url, keys: KEYS, proxyKey: PROXY_KEY, logLevel: 'info', cpuProfDir: dir, ...(args.cli ? { cli: args.cli } : {}) });
  procs.push(kmx);
  const t: Target = bare
    ? { name: 'bare', label: 'bare', url: kmx.url, headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS[0]}` } }
    : { name: 'keymux', label: 'keymux', url: kmx.url, headers: { 'content-type': 'application/json', authorization: `Bearer ${PROXY_KEY}` } };
  const seconds = Number(args['profile-duration']);
  for (const s of SCENARIOS.filter((x) => !args.scenarios || args.scenarios.split(',').includes(x.name))) {
    const r = await load.run(job(t, s, seconds, 0));
    log(`profile ${t.name} ${s.name.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms`);
  }
  await kmx.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
  const text = formatSummary(summarise(join(dir, file), 40));
  writeFileSync(join(dir, 'summary.txt'), `${text}\n`);
  process.stdout.write(`${text}\n\nprofile: ${join(dir, file)}\n`);
}

main().catch((e: unknown) => {
  log(`bench:proxy failed: ${(e as Error).stack ?? String(e)}`);
  process.exitCode = 1;
});

/** Every cyclic order of `xs` (the first kept first, the rest in every order): (n − 1)! of them. */
function cyclicOrders<T>(xs: readonly T[]): T[][] {
  const perms = (rest: readonly T[]): T[][] => (rest.length <= 1 ? [[...rest]] : rest.flatMap((x, i) => perms([...rest.slice(0, i), ...rest.slice(i + 1)]).map((p) => [x, ...p])));
  return xs.length === 0 ? [[]] : perms(xs.slice(1)).map((p) => [xs[0]!, ...p]);
}
