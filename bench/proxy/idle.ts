// The idle probe: one request in flight at a time, every target in a random order each round, compared with bare
// round by round. Where bench:proxy times load, this times one request's own path, and pairs two builds of keymux
// closely enough to see tens of microseconds (an A/A of one build against itself: −11 to 0 µs).
//
//   tsx bench/proxy/idle.ts [--builds name=path/dist/cli/main.js,…] [--scenarios a,b] [--rounds 800] [--warmup 3]
//
// The targets first get --warmup seconds each of closed-loop load, all together: code run once per request is
// still being compiled by V8 after thousands of requests one at a time, and a cold probe measures the compiler
// (bench/RESULTS.md, #12).
// Prints per scenario the median latency of each target (µs), each keymux build's paired difference from bare,
// and from the first build. Needs dist (npm run build); the load generator on CPU 0, the servers on CPU 1.
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { SCENARIOS } from './scenarios.js';
import { pinSelf, pinning, startBare, startKeymux, startSimulator, type Proc } from './servers.js';

const { values: args } = parseArgs({
  options: {
    builds: { type: 'string', default: 'keymux=' },
    scenarios: { type: 'string', default: SCENARIOS.map((s) => s.name).join(',') },
    rounds: { type: 'string', default: '800' },
    warmup: { type: 'string', default: '3' },
  },
});
const ROUNDS = Number(args.rounds);
const WARMUP_MS = Number(args.warmup) * 1000;
const scenarios = args.scenarios.split(',').map((n) => {
  const s = SCENARIOS.find((x) => x.name === n);
  if (!s) throw new Error(`no scenario ${n}: one of ${SCENARIOS.map((x) => x.name).join(', ')}`);
  return s;
});

const keys = Array.from({ length: 4 }, (_, i) => `sk-bench-${i}-${'a'.repeat(20)}`);
const proxyKey = 'kmx-bench-idle-proxy-key';
const pin = pinning(false);
const cpu = pin.enabled ? pin.serverCpu : undefined;
// This process is the client: on the CPU the servers do not use.
pinSelf(pin.loadCpu);
const procs: Proc[] = [];
interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
}
const json = { 'content-type': 'application/json' };
try {
  const sim = await startSimulator(cpu, keys);
  procs.push(sim);
  const bare = await startBare(cpu, sim.url, keys);
  procs.push(bare);
  const targets: Target[] = [{ name: 'bare', url: bare.url, headers: json }];
  for (const spec of args.builds.split(',').filter(Boolean)) {
    const [name, cli] = spec.split('=') as [string, string | undefined];
    const p = await startKeymux(name, { cpu, upstream: sim.url, keys, proxyKey, logLevel: 'info', ...(cli ? { cli } : {}) });
    procs.push(p);
    targets.push({ name, url: p.url, headers: { ...json, authorization: `Bearer ${proxyKey}` } });
  }
  const agent = new Agent({ connections: 32 });
  /** One request, answered whole: its latency in µs. */
  const once = async (t: Target, body: string): Promise<number> => {
    const t0 = performance.now();
    const r = await request(`${t.url}/v1/chat/completions`, { method: 'POST', headers: t.headers, body, dispatcher: agent });
    await r.body.arrayBuffer();
    if (r.statusCode !== 200) throw new Error(`${t.name}: HTTP ${r.statusCode}`);
    return (performance.now() - t0) * 1000;
  };
  const median = (v: number[]): number => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  const paired = (a: number[], b: number[]): number => median(a.map((x, i) => x - b[i]!));
  const where = pin.enabled ? 'client on CPU 0, simulator and servers on CPU 1' : pin.note;
  console.log(`${where}; ${ROUNDS} rounds per scenario after ${args.warmup} s of load per target`);
  for (const s of scenarios) {
    const lat = new Map<string, number[]>(targets.map((t) => [t.name, []]));
    // All the targets at once, their requests interleaved: warmed one after another, the first had lain idle for
    // the others' warm-ups when the rounds began, and of three processes of one build the later ones came out
    // 13–37 µs faster (V8 reduces an idle process's memory, and its code goes cold); warmed together, −12 to +8 µs.
    const until = Date.now() + WARMUP_MS * targets.length;
    await Promise.all(Array.from({ length: 16 }, async (_, j) => {
      for (let i = j; Date.now() < until; i++) await once(targets[i % targets.length]!, s.body);
    }));
    for (let i = 0; i < ROUNDS; i++) {
      for (const t of [...targets].sort(() => Math.random() - 0.5)) {
        lat.get(t.name)!.push(await once(t, s.body));
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    const bareLat = lat.get('bare')!;
    const builds = targets.slice(1);
    const cells = [
      targets.map((t) => `${t.name} ${median(lat.get(t.name)!).toFixed(0)}`).join('  '),
      builds.map((t) => `${t.name}−bare ${paired(lat.get(t.name)!, bareLat).toFixed(0)}`).join('  '),
      ...(builds.length > 1 ? [builds.slice(1).map((t) => `${t.name}−${builds[0]!.name} ${paired(lat.get(t.name)!, lat.get(builds[0]!.name)!).toFixed(0)}`).join('  ')] : []),
    ];
    console.log(`${s.name.padEnd(10)} µs: ${cells.join(' | ')}`);
  }
  await agent.close();
} finally {
  for (const p of procs.reverse()) await p.stop();
}
