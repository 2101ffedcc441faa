// Starting the benchmark's processes: the simulator upstream, the bare pass-through, keymux (the compiled CLI)
// and the Portkey gateway (installed into bench/.scratch/portkey, never a dependency of the package).
import { spawn, execFileSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');
export const SCRATCH = join(ROOT, 'bench/.scratch');

/** Portkey's published build, and the @hono/node-server it works with on Node (see installPortkey). */
export const PORTKEY_VERSION = process.env.PORTKEY_VERSION ?? '1.15.2';
const HONO_NODE_SERVER = '1.13.8';

export interface Pinning {
  enabled: boolean;
  loadCpu?: number;
  serverCpu?: number;
  note: string;
}

/** The load generator on CPU 0, every server on CPU 1, when taskset exists and both CPUs are ours. */
export function pinning(disabled: boolean): Pinning {
  if (disabled) return { enabled: false, note: 'pinning disabled (--no-pin)' };
  if (availableParallelism() < 2) return { enabled: false, note: 'one CPU only: nothing pinned' };
  try {
    const mask = execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' });
    const hex = parseInt(/:\s*([0-9a-f]+)\s*$/i.exec(mask)?.[1] ?? '0', 16);
    if ((hex & 3) !== 3) return { enabled: false, note: `affinity mask ${hex.toString(16)} lacks CPUs 0 and 1: nothing pinned` };
  } catch {
    return { enabled: false, note: 'taskset (util-linux) not found: nothing pinned' };
  }
  return { enabled: true, loadCpu: 0, serverCpu: 1, note: 'taskset: load generator (autocannon) on CPU 0; upstream simulator and the server under test on CPU 1' };
}

/**
 * Moves this process to `cpu`, every thread of it. `taskset -p` moves the thread it names only: V8's and libuv's
 * threads stayed where they were, and `perf sched` showed the idle probe's client threads running on the servers'
 * CPU for up to 2 ms at a time, in the middle of the requests it timed.
 */
export function pinSelf(cpu: number | undefined): void {
  if (cpu !== undefined) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

export function spawnNode(cpu: number | undefined, args: string[], opts: SpawnOptions): ChildProcess {
  if (cpu === undefined) return spawn(process.execPath, args, opts);
  return spawn('taskset', ['-c', String(cpu), process.execPath, ...args], opts);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A started server process: its URL, and the tail of its stderr for when it fails. */
export interface Proc {
  name: string;
  url: string;
  child: ChildProcess;
  stderr(): string;
  stop(): Promise<void>;
}

function tailOf(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  return () => tail;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Waits for the child's first stdout line of the form {"url": …}. */
function urlLine(child: ChildProcess, name: string, stderr: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error(`${name}: no URL within 30 s\n${stderr()}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /^\{"url":"([^"]+)"\}$/m.exec(buf);
      if (m) {
        clearTimeout(t);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`${name} exited (${code}) before listening\n${stderr()}`));
    });
  });
}

/** Polls url until it answers (any status). */
async function ready(url: string, name: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode})\n${stderr()}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${name}: not answering at ${url} within 30 s\n${stderr()}`);
}

const tsx = ['--import', 'tsx'];

export async function startSimulator(cpu: number | undefined, keys: string[]): Promise<Proc> {
  const config = JSON.stringify({ keys: Object.fromEntries(keys.map((k) => [k, {}])), record: false });
  const child = spawnNode(cpu, [...tsx, 'test/sim/main.ts', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = tailOf(child);
  const url = await urlLine(child, 'simulator', stderr);
  return { name: 'simulator', url, child, stderr, stop: stopper(child) };
}

export async function startBare(cpu: number | undefined, upstream: string, keys: string[], cpuProfDir?: string): Promise<Proc> {
  const port = await freePort();
  const prof = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`] : [];
  const child = spawnNode(cpu, [...prof, ...tsx, 'bench/proxy/bare.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...baseEnv(), UPSTREAM: upstream, KEYS: keys.join(','), PORT: String(port) },
  });
  const stderr = tailOf(child);
  const url = await urlLine(child, 'bare pass-through', stderr);
  return { name: 'bare', url, child, stderr, stop: stopper(child) };
}

/** Only what node needs: no provider keys or keymux settings leak in from the caller's environment. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) env[k] = process.env[k]!;
  return env;
}

export interface KeymuxOptions {
  cpu: number | undefined;
  upstream: string;
  keys: string[];
  proxyKey: string;
  logLevel: 'info' | 'warn';
  /** Where stdout (one JSON line per request at info) goes: /dev/null by default. */
  logFile?: string;
  cpuProfDir?: string;
  /** Another build's dist/cli/main.js (an A/B baseline); default this checkout's dist. */
  cli?: string;
  /** Shared state in this Redis, under this prefix (KEYMUX_REDIS_URL, KEYMUX_REDIS_PREFIX). */
  redis?: { url: string; prefix: string };
}

/**
 * `keymux serve` from dist (npm run bench:proxy builds first), in an empty folder of its own so no keymux.yaml or
 * .env is read, and no two of them share a data dir (serve keeps its state in SQLite there).
 */
export async function startKeymux(name: string, o: KeymuxOptions): Promise<Proc> {
  const cli = resolve(ROOT, o.cli ?? 'dist/cli/main.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` (npm run bench:proxy does)`);
  const port = await freePort();
  const cwd = join(SCRATCH, 'keymux-cwd', name);
  mkdirSync(cwd, { recursive: true });
  const out = openSync(o.logFile ?? '/dev/null', 'w');
  const args = [...(o.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfDir}`] : []), cli, 'serve', '--port', String(port), '--host', '127.0.0.1'];
  const child = spawnNode(o.cpu, args, {
    cwd,
    stdio: ['ignore', out, 'pipe'],
    env: {
      ...baseEnv(),
      OPENAI_API_KEYS: o.keys.join(','),
      OPENAI_BASE_URL: `${o.upstream}/v1`,
      KEYMUX_PROXY_KEYS: o.proxyKey,
      KEYMUX_LOG_LEVEL: o.logLevel,
      ...(o.redis ? { KEYMUX_REDIS_URL: o.redis.url, KEYMUX_REDIS_PREFIX: o.redis.prefix } : {}),
    },
  });
  const stderr = tailOf(child);
  const url = `http://127.0.0.1:${port}`;
  await ready(`${url}/healthz`, name, child, stderr);
  return { name, url, child, stderr, stop: stopper(child) };
}

/** Installs the pinned Portkey gateway into bench/.scratch/portkey; returns its start script or why it cannot. */
export function installPortkey(log: (s: string) => void): { script: string; version: string } | { error: string } {
  const dir = join(SCRATCH, 'portkey');
  const script = join(dir, 'node_modules/@portkey-ai/gateway/build/start-server.js');
  const pkgFile = join(dir, 'node_modules/@portkey-ai/gateway/package.json');
  const installed = (): string | undefined => (existsSync(pkgFile) ? (JSON.parse(readFileSync(pkgFile, 'utf8')) as { version: string }).version : undefined);
  if (installed() !== PORTKEY_VERSION || !existsSync(script)) {
    mkdirSync(dir, { recursive: true });
    // @hono/node-server ≥ 1.14 hands a streamed Response the upstream's immutable headers, and the gateway's
    // streaming path then fails with "TypeError: immutable" on Node (Portkey-AI/gateway#1389, #1550);
    // 1.13.8 (inside the gateway's ^1.3.3 range) copies them, so streaming works.
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name: 'keymux-bench-portkey', private: true, dependencies: { '@portkey-ai/gateway': PORTKEY_VERSION }, overrides: { '@hono/node-server': HONO_NODE_SERVER } }, null, 2)}\n`,
    );
    log(`installing @portkey-ai/gateway@${PORTKEY_VERSION} into bench/.scratch/portkey …`);
    try {
      execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
    } catch (e) {
      const msg = String((e as { stderr?: Buffer }).stderr ?? (e as Error).message).trim().split('\n').slice(-3).join(' ');
      return { error: `npm install @portkey-ai/gateway@${PORTKEY_VERSION} failed: ${msg}` };
    }
  }
  const v = installed();
  if (!v || !existsSync(script)) return { error: `@portkey-ai/gateway@${PORTKEY_VERSION} installed without build/start-server.js` };
  return { script, version: v };
}

export function portkeyConfig(upstream: string, keys: string[]): string {
  return JSON.stringify({
    strategy: { mode: 'loadbalance' },
    targets: keys.map((k) => ({ provider: 'openai', api_key: k, custom_host: `${upstream}/v1` })),
  });
}

export async function startPortkey(cpu: number | undefined, script: string): Promise<Proc> {
  const port = await freePort();
  const child = spawnNode(cpu, [script, `--port=${port}`, '--headless'], {
    cwd: join(SCRATCH, 'portkey'),
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...baseEnv(), NODE_ENV: 'production' },
  });
  const stderr = tailOf(child);
  const url = `http://127.0.0.1:${port}`;
  await ready(url, 'portkey', child, stderr);
  return { name: 'portkey', url, child, stderr, stop: stopper(child) };
}

export function versionOf(pkgJson: string): string {
  try {
    return (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** CPU time (user + system, all threads) a process has used so far, in ms; undefined when /proc has none. */
export function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return undefined;
  }
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
