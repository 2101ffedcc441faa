// `npm run bench:pool [-- --seeds 3 --minutes 60 --jobs N --only a,b,s-burst --section main|strategies|windows|burst --no-write]`
// The key pool against the simulated provider, in virtual time: the scenarios for every strategy beside
// naive rotation and a single key, then the conditions where strategies could differ. Writes bench/RESULTS.md
// between its markers.
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ClientName } from './cell.js';
import { summarize, type Row, type Summary } from './metrics.js';
import { END, START, burstTable, mainTable, method, strategyTable, targetsTable, windowTable, windowTargetsTable, type Results } from './report.js';
import { BURST_CASES, MAIN, STRATEGY_CASES, WINDOW_CASES, type Case, type Section } from './scenarios.js';
import type { Done, Job } from './worker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));

const { values: args } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    minutes: { type: 'string', default: '60' },
    jobs: { type: 'string', default: String(availableParallelism()) },
    only: { type: 'string' },
    section: { type: 'string', default: 'all' },
    'no-write': { type: 'boolean', default: false },
  },
});
const seeds = Math.max(1, Number(args.seeds));
const minutes = Math.max(1, Number(args.minutes));
const jobs = Math.max(1, Number(args.jobs));
const only = args.only ? new Set(args.only.split(',')) : undefined;
const pickCases = (cs: Case[]) => cs.filter((c) => !only || only.has(c.id));
const want = (sec: Section) => args.section === 'all' || args.section === sec;
const main = want('main') ? pickCases(MAIN) : [];
const strat = want('strategies') ? pickCases(STRATEGY_CASES) : [];
const wins = want('windows') ? pickCases(WINDOW_CASES) : [];
const bursts = want('burst') ? pickCases(BURST_CASES) : [];

const todo: Job[] = [];
for (const [section, cases] of [['main', main], ['strategies', strat], ['windows', wins], ['burst', bursts]] as const) {
  for (const c of cases) {
    for (const load of c.loads) {
      for (const client of c.clients) {
        for (let seed = 1; seed <= seeds; seed++) todo.push({ section, caseId: c.id, client, load, seed, durationMs: c.durationMs ?? minutes * 60_000 });
      }
    }
  }
}

/** Runs every job on `jobs` child processes (tsx loaded in each), longest first. */
async function runAll(list: Job[]): Promise<Done[]> {
  const queue = [...list].sort((a, b) => b.load - a.load);
  const out: Done[] = [];
  let left = queue.length;
  const started = Date.now();
  const workers: ChildProcess[] = [];
  await new Promise<void>((resolve, reject) => {
    if (left === 0) return resolve();
    const feed = (w: ChildProcess) => {
      const j = queue.shift();
      if (j) w.send(j);
      else w.kill();
    };
    for (let i = 0; i < Math.min(jobs, queue.length); i++) {
      const w = fork(fileURLToPath(new URL('./worker.ts', import.meta.url)), [], { cwd: ROOT, execArgv: ['--import', 'tsx'], serialization: 'advanced' });
      workers.push(w);
      w.on('message', (d: Done) => {
        out.push(d);
        left--;
        if (left % 20 === 0 || left < 5) process.stderr.write(`\r${list.length - left}/${list.length} cells, ${Math.round((Date.now() - started) / 1000)} s   `);
        if (left === 0) resolve();
        feed(w);
      });
      w.on('exit', (code) => {
        if (code !== 0 && code !== null && left > 0) reject(new Error(`worker exited with ${code}`));
      });
      feed(w);
    }
  });
  process.stderr.write('\n');
  for (const w of workers) if (w.exitCode === null) w.kill();
  return out;
}

function collect(done: Done[], section: Section, cases: Case[]): Results {
  const rows = new Map<string, Row[]>();
  const key = (id: string, load: number, client: string) => `${id}\0${load}\0${client}`;
  for (const d of done) {
    if (d.job.section !== section) continue;
    const k = key(d.job.caseId, d.job.load, d.job.client);
    const list = rows.get(k) ?? [];
    list[d.job.seed - 1] = d.row;
    rows.set(k, list);
  }
  const res: Results = new Map();
  for (const c of cases) {
    const byLoad = new Map<number, Map<ClientName, Summary>>();
    for (const load of c.loads) {
      const byClient = new Map<ClientName, Summary>();
      const singles = rows.get(key(c.id, load, 'single')) ?? [];
      for (const client of c.clients) byClient.set(client, summarize(rows.get(key(c.id, load, client)) ?? [], singles));
      byLoad.set(load, byClient);
    }
    res.set(c.id, byLoad);
  }
  return res;
}

/** Default against round-robin on the same runs, for every strategy case and load. */
function versusTable(cases: Case[], res: Results): string {
  const lines = ['| case | load | goodput default / round-robin | 429s default / round-robin | mean queue wait default / round-robin | p99 default / round-robin | balance default / round-robin |', '| --- | --- | --- | --- | --- | --- | --- |'];
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  for (const c of cases) {
    for (const load of c.loads) {
      const d = res.get(c.id)?.get(load)?.get('default');
      const r = res.get(c.id)?.get(load)?.get('round-robin');
      if (!d || !r) continue;
      lines.push(
        `| ${c.id} | ${load}× | ${d.goodputPct.toFixed(1)}% / ${r.goodputPct.toFixed(1)}% | ${d.wastedPct.toFixed(2)}% / ${r.wastedPct.toFixed(2)}% | ${s(d.qmean)} / ${s(r.qmean)} | ${s(d.p99)} / ${s(r.p99)} | ${d.balance.toFixed(2)} / ${r.balance.toFixed(2)} |`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Quota groups inferred from behaviour, per cell where any was, on stderr (not in RESULTS.md's tables): every
 * scenario's accounts are known here, so a merge of keys of different accounts is counted as wrong.
 */
function inferredReport(list: Done[]): void {
  const cells = new Map<string, Done[]>();
  for (const d of list) {
    if (d.inferred.merges === 0) continue;
    const k = `${d.job.section} ${d.job.caseId} ${d.job.load}× ${d.job.client}`;
    cells.set(k, [...(cells.get(k) ?? []), d]);
  }
  process.stderr.write(cells.size === 0 ? 'inferred quota groups: none\n' : 'inferred quota groups (merges, of them wrong, per seed):\n');
  for (const [k, ds] of [...cells].sort(([a], [b]) => a.localeCompare(b))) {
    const per = ds.sort((a, b) => a.job.seed - b.job.seed).map((d) => `seed ${d.job.seed}: ${d.inferred.merges} (${d.inferred.wrong} wrong)`);
    process.stderr.write(`  ${k}: ${per.join(', ')}\n`);
  }
}

const wall0 = Date.now();
const done = await runAll(todo);
const wallS = (Date.now() - wall0) / 1000;
const cpuS = done.reduce((a, d) => a + d.cpuMs, 0) / 1000;
inferredReport(done);
const mainRes = collect(done, 'main', main);
const stratRes = collect(done, 'strategies', strat);
const winRes = collect(done, 'windows', wins);
const burstRes = collect(done, 'burst', bursts);

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const env = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${availableParallelism()} CPUs (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB`,
  node: process.version,
  version: pkg.version,
  seeds,
  minutes,
  wallS,
  cpuS,
  jobs: Math.min(jobs, todo.length),
};

const parts = [START, '## bench:pool — the key pool against a simulated provider', '', method(env), ''];
if (main.length > 0) {
  parts.push('### Targets for the default strategy', '', targetsTable(main, mainRes), '');
  for (const c of main) parts.push(mainTable(c, mainRes.get(c.id)!), '');
}
if (strat.length > 0) {
  parts.push(
    '### Where the strategies differ',
    '',
    'The pool of the strategy question: 2 fast keys (60 rpm) and 4 slow ones (10 rpm), each its own account, OpenAI headers unless said. Every strategy picks only among keys whose learned budget has room, so at saturation the budget filter, not the order, sets the goodput; the differences are in what each choice leaves in reserve.',
    '',
    versusTable(strat, stratRes),
    '',
  );
  for (const c of strat) parts.push(strategyTable(c, stratRes.get(c.id)!), '');
}
if (wins.length > 0) {
  parts.push(
    '### Header-less windows, and capacity that changes',
    '',
    'NVIDIA NIM-style keys (no rate-limit headers, a 429 with no hint, each key its own account, nothing configured) whose limit is per window of 1 s, 10 s or 60 s, and pools whose capacity doubles at a third of the run and halves back at two thirds. Everything keymux serves here comes from the pace it learns (pace.ts). *Settled goodput*: successes from the third window of the start to the first change (or the end), % of the capacity\'s rate; *after doubling*: from five windows after the capacity doubled to when it halves back, % of the doubled rate; *429s after the first window*: % of upstream attempts after it.',
    '',
    windowTargetsTable(wins, winRes),
    '',
  );
  for (const c of wins) parts.push(windowTable(c, winRes.get(c.id)!), '');
}
if (bursts.length > 0) {
  parts.push(
    '### A 90-second burst, as a new user meets it',
    '',
    'Issue #18\'s first case: free NIM-style keys (no headers, a 429 with no hint, nothing configured) whose window is under a minute, one of the five revoked, offered twice what the four usable keys can give for 90 s; seeds as above, medians. A client waits up to 30 s, so the most it could be served is what the keys give in 120 s (*within reach*). *Served*: client requests answered 2xx, % of those sent; *429s* and *auth refusals*: % of upstream attempts.',
    '',
    burstTable(bursts, burstRes),
    '',
  );
}
parts.push(END);
const section = parts.join('\n');
console.log(section);

if (!args['no-write']) {
  const old = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8') : '# Benchmark results\n';
  const a = old.indexOf(START);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(RESULTS, next);
  console.error(`wrote ${RESULTS}`);
}
