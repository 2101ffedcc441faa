// npm run bench:logline — where the CPU of keymux's per-request info line goes (src/server/app.ts, handle()'s
// `finally`: `logger.info({ method, route, status, latencyMs, ...log }, 'request')` on `pino({ level, base: undefined })`).
// One process, every variant side by side, interleaved rounds (each round starts at a different variant), median.
//   tsx bench/proxy/logline.ts [--lines 120000] [--rounds 5] [--batch 50] [--only substring] [--no-pipe] [--pin CPU]
// --pin puts the whole process (and so libuv's threadpool, which does sync:false writes) on one CPU, as bench:proxy
// pins keymux (with the upstream simulator) to CPU 1: a threadpool write then preempts the main thread.
//
// A "line" is everything a request pays for its log line: building the ProxyLog and the fields object as app.ts does
// (fresh objects each time, as on a real request), the pino call, and the write (its syscall; for async destinations
// also the threadpool's write and the callback, waited for at the end of each run). `batch` lines are logged per turn
// of the event loop (a server under load logs several requests per turn; async destinations coalesce within a turn);
// the "one line per turn" group is the idle-server case. CPU is process.cpuUsage() (user + system, all threads, so a
// threadpool write counts), per line; wall is hrtime.
//
// Sinks: "null sink" is an object whose write() does nothing (pino's formatting alone); /dev/null is pino.destination;
// "pipe" is a FIFO drained by a child `cat` (stdout under docker/systemd/`| tee` is a pipe). app.ts's logger —
// pino() with no stream, or pino.destination({ dest: 1, sync: false }): the same thing — is a SonicBoom on fd 1 with
// sync: false and minLength 0 (not process.stdout); bench:proxy's keymux has fd 1 on /dev/null, so "keymux today" is
// the sync:false /dev/null row. LOGLINE_TRACE=1 prints each variant as it starts.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { pino, type Logger, type DestinationStream } from 'pino';

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '120000' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '50' },
    only: { type: 'string' },
    'no-pipe': { type: 'boolean', default: false },
    pin: { type: 'string' },
  },
});
if (args.pin !== undefined) execFileSync('taskset', ['-a', '-p', '-c', args.pin, String(process.pid)], { stdio: 'ignore' });
const LINES = Number(args.lines);
const ROUNDS = Number(args.rounds);
const BATCH = Number(args.batch);
/** The one-line-per-turn group pays a setImmediate per line: fewer lines keep the run short. */
const LINES_PER_TURN = Math.max(1000, Math.floor(LINES / 4));

// ---- what app.ts builds ---------------------------------------------------------------------------------------

interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  reasoningTokens?: number;
  cachedTokens?: number;
  totalTokens?: number;
}
interface ProxyLog {
  provider?: string;
  model?: string;
  keyId?: string;
  attempts?: number;
  upstreamStatus?: number;
  upstreamRequestId?: string;
  outcome?: string;
  usage?: Usage;
}

/** src/providers/util.ts compact(): the usage object as openaiUsage() returns it (built key by key). */
function compact<T extends object>(o: T): T {
  const out = {} as T;
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

const KEY_IDS = ['openai#1', 'openai#2', 'openai#3', 'openai#4'];
const REQ_IDS = Array.from({ length: 64 }, (_, i) => `req_${(0x9e3779b97f4a + i * 7919).toString(16)}${i}`);

/** The ProxyLog of a JSON chat completion, filled in the order proxy.ts fills it. */
function proxyLog(i: number): ProxyLog {
  const log: ProxyLog = {};
  log.provider = 'openai';
  log.model = 'gpt-4o-mini';
  log.keyId = KEY_IDS[i & 3]!;
  log.attempts = 1;
  log.outcome = 'ok';
  log.upstreamStatus = 200;
  log.upstreamRequestId = REQ_IDS[i & 63]!;
  const p = 12 + (i & 15);
  const c = 40 + (i & 31);
  log.usage = compact<Usage>({ inputTokens: p, outputTokens: c, reasoningTokens: undefined, cachedTokens: 0, totalTokens: p + c });
  return log;
}

/**
 * The four shapes a real keymux sees (JSON ok; SSE ok, whose usage and outcome come after the request id; a 4xx
 * with no request id or usage; /healthz with an empty ProxyLog), in rotation: pino's for-in then sees many shapes.
 */
function mixedLog(i: number): ProxyLog {
  const log: ProxyLog = {};
  switch (i & 3) {
    case 0:
      return proxyLog(i);
    case 1: {
      log.provider = 'openai';
      log.model = 'gpt-4o-mini';
      log.keyId = KEY_IDS[i & 3]!;
      log.attempts = 1;
      log.outcome = 'ok';
      log.upstreamStatus = 200;
      log.upstreamRequestId = undefined;
      const p = 12 + (i & 15);
      log.usage = compact<Usage>({ inputTokens: p, outputTokens: 64, reasoningTokens: undefined, cachedTokens: undefined, totalTokens: p + 64 });
      log.outcome = 'ok';
      return log;
    }
    case 2:
      log.provider = 'openai';
      log.model = 'gpt-4o-mini';
      log.keyId = KEY_IDS[i & 3]!;
      log.attempts = 1;
      log.outcome = 'client_error';
      log.upstreamStatus = 400;
      log.upstreamRequestId = REQ_IDS[i & 63]!;
      return log;
    default:
      return log;
  }
}

const ROUTE = '/v1/chat/completions';
const latency = (started: number) => Math.round((performance.now() - started) * 10) / 10;

/** app.ts's fields object, spread and all. */
function keymuxFields(log: ProxyLog, started: number, method = 'POST', route = ROUTE, status = 200) {
  return { method, route, status, latencyMs: latency(started), ...log };
}

/** One flat literal naming every field (no spread); usage still nested. */
function flatFields(log: ProxyLog, started: number) {
  return {
    method: 'POST',
    route: ROUTE,
    status: 200,
    latencyMs: latency(started),
    provider: log.provider,
    model: log.model,
    keyId: log.keyId,
    attempts: log.attempts,
    upstreamStatus: log.upstreamStatus,
    upstreamRequestId: log.upstreamRequestId,
    outcome: log.outcome,
    usage: log.usage,
  };
}

/** One flat literal, usage's counters as top-level keys (no nested object for pino to JSON.stringify). */
function flatUsageFields(log: ProxyLog, started: number) {
  const u = log.usage;
  return {
    method: 'POST',
    route: ROUTE,
    status: 200,
    latencyMs: latency(started),
    provider: log.provider,
    model: log.model,
    keyId: log.keyId,
    attempts: log.attempts,
    upstreamStatus: log.upstreamStatus,
    upstreamRequestId: log.upstreamRequestId,
    outcome: log.outcome,
    inputTokens: u?.inputTokens,
    outputTokens: u?.outputTokens,
    reasoningTokens: u?.reasoningTokens,
    cachedTokens: u?.cachedTokens,
    totalTokens: u?.totalTokens,
  };
}

/** A preallocated shape: every field declared up front (undefined ones are skipped by pino), one hidden class. */
class RequestLine {
  method: string | undefined = undefined;
  route: string | undefined = undefined;
  status = 0;
  latencyMs = 0;
  provider: string | undefined = undefined;
  model: string | undefined = undefined;
  keyId: string | undefined = undefined;
  attempts: number | undefined = undefined;
  upstreamStatus: number | undefined = undefined;
  upstreamRequestId: string | undefined = undefined;
  outcome: string | undefined = undefined;
  usage: Usage | undefined = undefined;
}
function classLine(i: number, started: number): RequestLine {
  const l = new RequestLine();
  l.provider = 'openai';
  l.model = 'gpt-4o-mini';
  l.keyId = KEY_IDS[i & 3]!;
  l.attempts = 1;
  l.outcome = 'ok';
  l.upstreamStatus = 200;
  l.upstreamRequestId = REQ_IDS[i & 63]!;
  const p = 12 + (i & 15);
  const c = 40 + (i & 31);
  l.usage = compact<Usage>({ inputTokens: p, outputTokens: c, reasoningTokens: undefined, cachedTokens: 0, totalTokens: p + c });
  l.method = 'POST';
  l.route = ROUTE;
  l.status = 200;
  l.latencyMs = latency(started);
  return l;
}

/** The same line as pino writes it (level, time, fields, msg), assembled by hand: the floor. */
function handLine(log: ProxyLog, started: number): string {
  const u = log.usage;
  let s = `{"level":30,"time":${Date.now()},"method":"POST","route":${JSON.stringify(ROUTE)},"status":200,"latencyMs":${latency(started)}`;
  if (log.provider !== undefined) s += `,"provider":${JSON.stringify(log.provider)}`;
  if (log.model !== undefined) s += `,"model":${JSON.stringify(log.model)}`;
  if (log.keyId !== undefined) s += `,"keyId":${JSON.stringify(log.keyId)}`;
  if (log.attempts !== undefined) s += `,"attempts":${log.attempts}`;
  if (log.outcome !== undefined) s += `,"outcome":${JSON.stringify(log.outcome)}`;
  if (log.upstreamStatus !== undefined) s += `,"upstreamStatus":${log.upstreamStatus}`;
  if (log.upstreamRequestId !== undefined) s += `,"upstreamRequestId":${JSON.stringify(log.upstreamRequestId)}`;
  if (u !== undefined) s += `,"usage":${JSON.stringify(u)}`;
  return `${s},"msg":"request"}\n`;
}

// ---- sinks ----------------------------------------------------------------------------------------------------

type Sonic = ReturnType<typeof pino.destination> & { _writing: boolean; _len: number; minLength: number; fd: number };

/** pino's formatting alone: a stream whose write does nothing. */
const nullSink: DestinationStream = { write() {} };

const sonics: Sonic[] = [];
function sonic(dest: string | number, sync: boolean, minLength = 0): Sonic {
  const d = pino.destination({ dest, sync, minLength }) as Sonic;
  sonics.push(d);
  return d;
}

/** Waits until an async destination has written everything it holds (part of the measured cost). */
async function settle(d: DestinationStream | undefined): Promise<void> {
  if (!d) return;
  if (d instanceof Socket) {
    // Not once('drain'): a socket emits it only after a write() returned false.
    while (d.writableLength > 0) await new Promise((r) => setImmediate(r));
    return;
  }
  const s = d as Sonic;
  if (!('_writing' in s)) return;
  // flush() during a write only waits for that write: a tail under minLength can stay behind, so loop.
  while (s._writing || s._len > 0) {
    if (!s._writing && s.minLength > 0) await new Promise<void>((r) => s.flush(() => r()));
    else await new Promise((r) => setImmediate(r));
  }
}

/** A FIFO read by `cat > /dev/null` (a blocking fd, as stdout piped into another process is). */
function fifo(dir: string, name: string, children: ChildProcess[]): string {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  children.push(spawn('sh', ['-c', `exec cat < '${path}' > /dev/null`], { stdio: 'ignore' }));
  return path;
}

// ---- variants -------------------------------------------------------------------------------------------------

interface Variant {
  group: string;
  name: string;
  /** Logs line i (builds its objects first, as a request would). */
  line: (i: number) => void;
  dest?: DestinationStream;
  /** Lines per turn of the event loop. */
  batch: number;
  lines: number;
}

const variants: Variant[] = [];
function add(group: string, name: string, line: (i: number) => void, dest?: DestinationStream, batch = BATCH, lines = LINES): void {
  variants.push({ group, name, line, dest, batch, lines });
}

const opts = { level: 'info', base: undefined };
const keymuxLine = (logger: Logger) => (i: number) => logger.info(keymuxFields(proxyLog(i), performance.now()), 'request');
const bareLine = (logger: Logger) => (_i: number) => logger.info({ a: 1 }, 'request');
const flatLine = (logger: Logger) => (i: number) => logger.info(flatFields(proxyLog(i), performance.now()), 'request');
const recommendedLine = (logger: Logger) => (i: number) => logger.info(flatUsageFields(proxyLog(i), performance.now()), 'request');

const tmp = mkdtempSync(join(tmpdir(), 'keymux-logline-'));
const children: ChildProcess[] = [];

{
  // A: pino's own CPU, on a null sink (no write at all).
  const G = 'A. formatting (null sink)';
  const L = pino(opts, nullSink);
  add(G, 'noop (loop + event-loop turns)', () => {});
  add(G, 'build ProxyLog + fields only, no log call', (i) => {
    const f = keymuxFields(proxyLog(i), performance.now());
    if (f.status === -1) throw new Error('unreachable');
  });
  add(G, 'level off: logger at warn, .info(keymux fields)', keymuxLine(pino({ level: 'warn', base: undefined }, nullSink)));
  add(G, 'bare: info({ a: 1 }, "request")', bareLine(L));
  add(G, 'keymux today: { ...log } spread, usage nested', keymuxLine(L));
  add(G, 'keymux, 4 rotating shapes (json/sse/4xx/healthz)', (i) => L.info(keymuxFields(mixedLog(i), performance.now()), 'request'));
  add(G, 'keymux without usage', (i) => {
    const log = proxyLog(i);
    log.usage = undefined;
    L.info(keymuxFields(log, performance.now()), 'request');
  });
  add(G, 'flat literal, usage nested', (i) => L.info(flatFields(proxyLog(i), performance.now()), 'request'));
  add(G, 'flat literal, usage counters top-level', recommendedLine(L));
  add(G, 'preallocated class (fixed shape), usage nested', (i) => L.info(classLine(i, performance.now()), 'request'));
  add(G, 'keymux, no msg', (i) => L.info(keymuxFields(proxyLog(i), performance.now())));
  add(G, 'keymux, default base (pid, hostname)', keymuxLine(pino({ level: 'info' }, nullSink)));
  add(G, 'keymux, child logger (bindings made once)', keymuxLine(L.child({ component: 'proxy', instance: 'a1' })));
  add(G, 'keymux, child logger made per request', (i) => L.child({ reqId: i }).info(keymuxFields(proxyLog(i), performance.now()), 'request'));
  add(G, 'keymux, timestamp: pino.stdTimeFunctions.epochTime', keymuxLine(pino({ ...opts, timestamp: pino.stdTimeFunctions.epochTime }, nullSink)));
  add(G, 'keymux, timestamp: isoTime', keymuxLine(pino({ ...opts, timestamp: pino.stdTimeFunctions.isoTime }, nullSink)));
  add(G, 'keymux, timestamp: false', keymuxLine(pino({ ...opts, timestamp: false }, nullSink)));
  add(G, 'JSON.stringify(whole fields object), no pino', (i) => {
    nullSink.write(JSON.stringify(keymuxFields(proxyLog(i), performance.now())) + '\n');
  });
  add(G, 'hand-assembled JSON string, no pino (floor)', (i) => nullSink.write(handLine(proxyLog(i), performance.now())));
}

{
  // B: the same lines written to /dev/null through each destination.
  const G = 'B. destinations, /dev/null';
  const syncDest = sonic('/dev/null', true);
  const asyncDest = sonic('/dev/null', false);
  const async4k = sonic('/dev/null', false, 4096);
  const sync1k = sonic('/dev/null', true, 1024);
  const sync4k = sonic('/dev/null', true, 4096);
  add(G, 'bare, sync:false (pino() default kind)', bareLine(pino(opts, asyncDest)), asyncDest);
  add(G, 'bare, sync:true', bareLine(pino(opts, syncDest)), syncDest);
  add(G, 'bare, sync:true minLength 4096', bareLine(pino(opts, sync4k)), sync4k);
  add(G, 'keymux today: sync:false (what pino() gives app.ts)', keymuxLine(pino(opts, asyncDest)), asyncDest);
  add(G, 'keymux, sync:true', keymuxLine(pino(opts, syncDest)), syncDest);
  add(G, 'keymux, sync:false minLength 4096', keymuxLine(pino(opts, async4k)), async4k);
  add(G, 'keymux, sync:true minLength 1024', keymuxLine(pino(opts, sync1k)), sync1k);
  add(G, 'keymux, sync:true minLength 4096', keymuxLine(pino(opts, sync4k)), sync4k);
  add(G, 'flat literal, sync:true minLength 4096', flatLine(pino(opts, sync4k)), sync4k);
  add(G, 'flat+top-level usage, sync:true minLength 4096', recommendedLine(pino(opts, sync4k)), sync4k);
  add(G, 'hand-assembled string → sync:true dest.write', (i) => syncDest.write(handLine(proxyLog(i), performance.now())), syncDest);
  add(G, 'hand-assembled string → sync:true 4096 dest.write', (i) => sync4k.write(handLine(proxyLog(i), performance.now())), sync4k);
}

if (!args['no-pipe']) {
  // C: stdout as a pipe. One FIFO (and one `cat`) per destination kind so fd modes do not mix.
  const G = 'C. destinations, a pipe (FIFO → cat)';
  const pSync = fifo(tmp, 'sync', children);
  const pAsync = fifo(tmp, 'async', children);
  const pAsync4k = fifo(tmp, 'async4k', children);
  const pSock = fifo(tmp, 'socket', children);
  const syncDest = sonic(openSync(pSync, 'w'), true);
  const asyncDest = sonic(openSync(pAsync, 'w'), false);
  const async4k = sonic(openSync(pAsync4k, 'w'), false, 4096);
  const pSync4k = fifo(tmp, 'sync4k', children);
  const sync4k = sonic(openSync(pSync4k, 'w'), true, 4096);
  // What process.stdout is when fd 1 is a pipe: a net.Socket over a libuv pipe.
  const sock = new Socket({ fd: openSync(pSock, 'w'), readable: false, writable: true });
  add(G, 'bare, sync:false (pino() default kind)', bareLine(pino(opts, asyncDest)), asyncDest);
  add(G, 'keymux today: sync:false', keymuxLine(pino(opts, asyncDest)), asyncDest);
  add(G, 'keymux, sync:true', keymuxLine(pino(opts, syncDest)), syncDest);
  add(G, 'keymux, sync:false minLength 4096', keymuxLine(pino(opts, async4k)), async4k);
  add(G, 'keymux, sync:true minLength 4096', keymuxLine(pino(opts, sync4k)), sync4k);
  add(G, 'flat literal, sync:true minLength 4096', flatLine(pino(opts, sync4k)), sync4k);
  add(G, 'keymux, pino(process.stdout-like net.Socket)', keymuxLine(pino(opts, sock)), sock);
}

{
  // D: an idle server: one line per turn of the event loop, so async writes never coalesce.
  const G = 'D. one line per event-loop turn, /dev/null';
  const syncDest = sonic('/dev/null', true);
  const asyncDest = sonic('/dev/null', false);
  const async4k = sonic('/dev/null', false, 4096);
  const sync4k = sonic('/dev/null', true, 4096);
  const turnly = (name: string, line: (i: number) => void, dest?: DestinationStream) => add(G, name, line, dest, 1, LINES_PER_TURN);
  turnly('noop (a setImmediate per line)', () => {});
  turnly('bare, sync:false', bareLine(pino(opts, asyncDest)), asyncDest);
  turnly('bare, sync:true minLength 4096', bareLine(pino(opts, sync4k)), sync4k);
  turnly('keymux today: sync:false', keymuxLine(pino(opts, asyncDest)), asyncDest);
  turnly('keymux, sync:true', keymuxLine(pino(opts, syncDest)), syncDest);
  turnly('keymux, sync:false minLength 4096', keymuxLine(pino(opts, async4k)), async4k);
  turnly('keymux, sync:true minLength 4096', keymuxLine(pino(opts, sync4k)), sync4k);
  turnly('flat literal, sync:true minLength 4096', flatLine(pino(opts, sync4k)), sync4k);
}

// ---- run ------------------------------------------------------------------------------------------------------

const turn = () => new Promise((r) => setImmediate(r));

async function runOnce(v: Variant): Promise<{ cpuNs: number; wallNs: number }> {
  await settle(v.dest);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < v.lines; ) {
    const end = Math.min(v.lines, i + v.batch);
    for (; i < end; i++) v.line(i);
    await turn();
  }
  await settle(v.dest);
  const wallNs = Number(process.hrtime.bigint() - t0) / v.lines;
  const c = process.cpuUsage(c0);
  return { cpuNs: ((c.user + c.system) * 1000) / v.lines, wallNs };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const chosen = args.only ? variants.filter((v) => `${v.group} ${v.name}`.includes(args.only!)) : variants;
  await Promise.all(sonics.map((s) => (s.fd >= 0 ? undefined : once(s, 'ready'))));
  process.stderr.write(`node ${process.version}, pino ${pino.version}; ${chosen.length} variants × ${ROUNDS} rounds (+1 warm-up), ${LINES} lines each (${LINES_PER_TURN} one-per-turn), ${BATCH} lines per event-loop turn${args.pin !== undefined ? `, pinned to CPU ${args.pin}` : ''}\n`);
  const cpu = chosen.map(() => [] as number[]);
  const wall = chosen.map(() => [] as number[]);
  for (let r = -1; r < ROUNDS; r++) {
    const started = Date.now();
    for (let k = 0; k < chosen.length; k++) {
      const j = (k + Math.max(r, 0) * 7) % chosen.length; // each round starts elsewhere in the list
      const v = chosen[j]!;
      if (process.env.LOGLINE_TRACE) process.stderr.write(`  ${v.group} / ${v.name}\n`);
      const { cpuNs, wallNs } = await runOnce(v);
      if (r >= 0) {
        cpu[j]!.push(cpuNs);
        wall[j]!.push(wallNs);
      }
    }
    process.stderr.write(`${r < 0 ? 'warm-up' : `round ${r + 1}/${ROUNDS}`}: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }

  const rows: string[] = [];
  let group = '';
  const noopOf = new Map<string, number>();
  chosen.forEach((v, j) => {
    if (v.name.startsWith('noop')) noopOf.set(v.group, median(cpu[j]!));
  });
  for (let j = 0; j < chosen.length; j++) {
    const v = chosen[j]!;
    if (v.group !== group) {
      group = v.group;
      rows.push(`| **${group}** | | | | | |`);
    }
    const c = median(cpu[j]!);
    const lo = Math.min(...cpu[j]!);
    const hi = Math.max(...cpu[j]!);
    const w = median(wall[j]!);
    const net = c - (noopOf.get(v.group) ?? noopOf.get('A. formatting (null sink)') ?? 0);
    rows.push(`| ${v.name} | ${c.toFixed(0)} | ${lo.toFixed(0)}–${hi.toFixed(0)} | ${net.toFixed(0)} | ${w.toFixed(0)} | ${Math.round(1e9 / c).toLocaleString('en-US')} |`);
  }
  process.stdout.write(
    [
      '',
      `| variant | CPU ns/line (median) | min–max | minus noop | wall ns/line | lines/s of CPU |`,
      `|---|---:|---:|---:|---:|---:|`,
      ...rows,
      '',
    ].join('\n'),
  );
}

try {
  await main();
} finally {
  for (const s of sonics) s.destroy();
  for (const c of children) c.kill();
  rmSync(tmp, { recursive: true, force: true });
}
