// Shared by test/forms: run keymux the way a new user does — a command line typed into a shell, in the
// directory holding their .env or key file — against the provider simulator, and talk to it over HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach } from 'vitest';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MAIN = join(ROOT, 'src/cli/main.ts');

/**
 * The user's shell. bash runs a lone command (`VAR=x keymux serve`) by exec, so the process signalled and
 * waited for is keymux itself and its exit code is keymux's (dash forks and would die of the signal instead).
 */
const SHELL = existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';

/** Flags the tests add to the user's command: a free port, and loopback even when proxy keys would open 0.0.0.0. */
export const TEST_FLAGS = '--port 0 --host 127.0.0.1';

// ---- temp dirs and cleanup ----

const dirs: string[] = [];
const children = new Set<ChildProcess>();
const servers = new Set<KeymuxServer>();
const sims = new Set<Simulator>();

afterEach(async () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  children.clear();
  await Promise.all([...servers].map((s) => s.close(1_000)));
  servers.clear();
  await Promise.all([...sims].map((s) => s.close()));
  sims.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory holding exactly these files (name → text, written byte for byte). */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'keymux-forms-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

// ---- the `keymux` command on PATH ----

let binDir: string | undefined;
afterAll(() => {
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

/** A directory with a `keymux` executable that runs this checkout's CLI (what `npm i -g keymux` puts on PATH). */
function keymuxBin(): string {
  if (binDir) return binDir;
  binDir = mkdtempSync(join(tmpdir(), 'keymux-bin-'));
  const script = `#!/bin/sh\nexec '${process.execPath}' --import '${TSX}' '${MAIN}' "$@"\n`;
  writeFileSync(join(binDir, 'keymux'), script);
  chmodSync(join(binDir, 'keymux'), 0o755);
  return binDir;
}

/**
 * The environment a child starts with: PATH (with `keymux` first) and TMPDIR only, then `env`. Nothing else
 * leaks in from the test runner's environment: no real provider key, no KEYMUX_* setting.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: Record<string, string> = { PATH: `${keymuxBin()}:${process.env.PATH ?? '/usr/bin:/bin'}` };
  if (process.env.TMPDIR) base.TMPDIR = process.env.TMPDIR;
  return { ...base, ...env };
}

function killGroup(c: ChildProcess, signal: NodeJS.Signals): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal); // the shell and the keymux it started: one process group, ours
  } catch {
    // already gone
  }
}

export interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

export interface RunningKeymux {
  /** `http://127.0.0.1:PORT`, from the startup log line. */
  url: string;
  /** The startup log line (`keymux listening on …`). */
  started: LogLine;
  /** Every JSON log line so far. */
  readonly logs: LogLine[];
  readonly stderr: string;
  /** SIGTERM the process group; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs a shell command line (`NVIDIA_NIM_API_KEY="a,b" keymux serve`) with `bash -c` in `cwd`, plus TEST_FLAGS
 * appended, and resolves once keymux logs that it listens. Rejects with its stderr if it exits first.
 */
export function startKeymux(commandLine: string, opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<RunningKeymux> {
  const child = spawn(SHELL, ['-c', `${commandLine} ${TEST_FLAGS}`], {
    cwd: opts.cwd,
    env: childEnv(opts.env ?? {}),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const logs: LogLine[] = [];
  let stderr = '';
  let buffered = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise<RunningKeymux>((resolveStart, rejectStart) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      rejectStart(new Error(`keymux did not start within ${opts.timeoutMs ?? 45_000}ms\nstdout: ${JSON.stringify(logs)}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (!line) continue;
        let entry: LogLine;
        try {
          entry = JSON.parse(line) as LogLine;
        } catch {
          continue; // not a log line
        }
        logs.push(entry);
        if (typeof entry.url === 'string' && entry.msg.startsWith('keymux listening')) {
          clearTimeout(timer);
          resolveStart({
            url: entry.url,
            started: entry,
            logs,
            get stderr() {
              return stderr;
            },
            async stop() {
              killGroup(child, 'SIGTERM');
              const code = await exited;
              children.delete(child);
              return code;
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      rejectStart(new Error(`keymux exited (${code}) before listening\nstderr: ${stderr}`));
    });
  });
}

/** Runs a command line to its end (for configurations keymux must refuse). */
export function runKeymux(commandLine: string, opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(SHELL, ['-c', `${commandLine} ${TEST_FLAGS}`], { cwd: opts.cwd, env: childEnv(opts.env ?? {}), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => {
      killGroup(child, 'SIGKILL');
      rej(new Error(`keymux did not exit within ${opts.timeoutMs ?? 45_000}ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, opts.timeoutMs ?? 45_000);
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      res({ code, stdout, stderr });
    });
  });
}

// ---- in-process keymux (for the forms that need no CLI) ----

/** loadConfig from a temp dir with these files and exactly this env, then createServer on 127.0.0.1:0. */
export async function startInProcess(files: Record<string, string>, env: Record<string, string>, extra: { configPath?: string } = {}): Promise<{ server: KeymuxServer; url: string; config: Config; cwd: string }> {
  const cwd = tempDir(files);
  const config = loadConfig({ cwd, env, ...extra });
  const server = createServer(config, { logger: pino({ level: 'silent' }) });
  servers.add(server);
  const url = await server.listen(0, '127.0.0.1');
  return { server, url, config, cwd };
}

// ---- the simulator ----

/** A simulator that knows exactly these keys (any other key is refused as invalid, so a mangled key shows). */
export async function simulator(keys: readonly string[], opts: Omit<SimulatorOptions, 'keys'> = {}): Promise<Simulator> {
  const sim = await startSimulator({ ...opts, keys: Object.fromEntries(keys.map((k) => [k, {}])) });
  sims.add(sim);
  return sim;
}

/** Keys the simulator saw, with counts; only requests matching `pred` (default: all). */
export function seenKeys(sim: Simulator, pred: (r: Simulator['requests'][number]) => boolean = () => true): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of sim.requests.filter(pred)) out[r.key ?? '(none)'] = (out[r.key ?? '(none)'] ?? 0) + 1;
  return out;
}

// ---- HTTP ----

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // Client-facing JSON, read loosely by the assertions.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
}

export async function request(url: string, init: { method?: string; body?: string | object; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (typeof init.body === 'string') body = init.body;
  else if (init.body !== undefined) {
    body = JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** An OpenAI-dialect chat request, as every OpenAI SDK sends it. */
export function chat(base: string, model: string, content: string, headers: Record<string, string> = {}, extra: object = {}): Promise<Reply> {
  return request(`${base}/v1/chat/completions`, { body: { model, messages: [{ role: 'user', content }], ...extra }, headers });
}

/** Sends `n` requests one after another (rotation is about the order keys are picked in); all must succeed. */
export async function sequential(n: number, send: (i: number) => Promise<Reply>): Promise<Reply[]> {
  const out: Reply[] = [];
  for (let i = 0; i < n; i++) {
    const r = await send(i);
    if (r.status !== 200) throw new Error(`request ${i} failed: ${r.status} ${r.text}`);
    out.push(r);
  }
  return out;
}

export interface ProviderRow {
  name: string;
  label: string;
  dialect: string;
  aliases: string[];
  keys: number;
  status: Record<string, number>;
}

export async function providers(base: string, headers: Record<string, string> = {}): Promise<ProviderRow[]> {
  const r = await request(`${base}/v1/providers`, { headers });
  if (r.status !== 200) throw new Error(`/v1/providers: ${r.status} ${r.text}`);
  return (r.json as { data: ProviderRow[] }).data;
}

// ---- curl command lines, as documented ----

/** The address the README's "Coming from …" section uses; the tests swap in their keymux's. */
export const DOC_URL = 'http://127.0.0.1:8080';
export const CURL = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));

/** Words of a command line: spaces split, '…' and "…" quote (no escapes: the documented lines need none). */
function words(line: string): string[] {
  const out: string[] = [];
  const re = /'([^']*)'|"([^"]*)"|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3] ?? '');
  return out;
}

/**
 * Runs a documented `curl …` line against `base` (in place of DOC_URL): with curl itself when it is installed,
 * else by sending what curl would send with fetch (`-d` without a Content-Type is application/x-www-form-urlencoded,
 * several `-d` are joined with `&`).
 */
export async function curl(line: string, base: string): Promise<Reply & { via: 'curl' | 'fetch' }> {
  const cmd = line.replaceAll(DOC_URL, base);
  if (CURL) {
    const out = await new Promise<string>((resolveOut, rejectOut) => {
      const c = spawn('/bin/sh', ['-c', `${cmd} -s -w '\\n%{http_code}'`], { env: { PATH: `${dirname(CURL)}:/usr/bin:/bin` }, stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      c.on('close', (code) => (code === 0 ? resolveOut(text) : rejectOut(new Error(`curl exited ${code}: ${text}`))));
    });
    const nl = out.lastIndexOf('\n');
    const text = out.slice(0, nl);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: Number(out.slice(nl + 1)), headers: new Headers(), text, json, via: 'curl' };
  }
  const w = words(cmd);
  if (w[0] !== 'curl') throw new Error(`not a curl line: ${line}`);
  const headers: Record<string, string> = {};
  const data: string[] = [];
  let url = '';
  for (let i = 1; i < w.length; i++) {
    const a = w[i]!;
    if (a === '-H') {
      const h = w[++i] ?? '';
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
    } else if (a === '-d' || a === '--data') data.push(w[++i] ?? '');
    else if (a.startsWith('http')) url = a;
    else if (a !== '-s' && a !== '-sS') throw new Error(`the fetch stand-in for curl does not know ${a}`);
  }
  if (data.length > 0) headers['content-type'] ??= 'application/x-www-form-urlencoded';
  const r = await request(url, { method: data.length > 0 ? 'POST' : 'GET', headers, ...(data.length > 0 ? { body: data.join('&') } : {}) });
  return { ...r, via: 'fetch' };
}
