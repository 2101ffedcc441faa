// Shared setup of the end-to-end tests: a provider simulator, a keymux whose pools point at it, and the
// official SDKs as clients. Every stack is built from a real config (loadConfig) with an explicit env.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { loadConfig } from '../../src/config/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type KeyBehaviour, type RecordedRequest, type Simulator, type SimulatorOptions } from '../sim/index.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface StackOptions {
  /** The simulator's keys; the env below must name the same secrets. */
  keys: Record<string, KeyBehaviour>;
  sim?: Omit<SimulatorOptions, 'keys'>;
  /** Environment for loadConfig, given the simulator's URL (KEYMUX_LOG_LEVEL=silent is added). */
  env: (simUrl: string) => Record<string, string>;
  /** Optional keymux.yaml text, given the simulator's URL. */
  file?: (simUrl: string) => string;
}

export interface Stack {
  sim: Simulator;
  server: KeymuxServer;
  /** keymux's base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
}

/** A simulator and an in-process keymux in front of it. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const sim = await startSimulator({ ...opts.sim, keys: opts.keys });
  const dir = mkdtempSync(join(tmpdir(), 'keymux-e2e-'));
  try {
    const configPath = opts.file ? join(dir, 'keymux.yaml') : undefined;
    if (configPath && opts.file) writeFileSync(configPath, opts.file(sim.url));
    const config = loadConfig({
      cwd: dir,
      env: { KEYMUX_LOG_LEVEL: 'silent', ...opts.env(sim.url) },
      ...(configPath ? { configPath } : {}),
    });
    const server = createServer(config);
    const url = await server.listen(0, '127.0.0.1');
    return {
      sim,
      server,
      url,
      async close() {
        await server.close(1_000);
        await sim.close();
      },
    };
  } catch (err) {
    await sim.close();
    throw err;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Official clients pointed at keymux. `maxRetries: 0` unless a test wants the SDK's own retries. */
export function openaiClient(url: string, apiKey = 'unused', maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries });
}

export function anthropicClient(url: string, apiKey = 'unused', maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey, baseURL: url, maxRetries });
}

export function geminiClient(url: string, apiKey = 'unused'): GoogleGenAI {
  return new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url, retryOptions: { attempts: 1 } } });
}

/** The simulator's requests whose path contains `pathPart`, in arrival order. */
export function upstream(sim: Simulator, pathPart: string): RecordedRequest[] {
  return sim.requests.filter((r) => r.path.includes(pathPart));
}

/** Distinct keys the simulator saw on requests matching pred. */
export function keysSeen(sim: Simulator, pred: (r: RecordedRequest) => boolean = () => true): string[] {
  return [...new Set(sim.requests.filter(pred).map((r) => r.key ?? ''))].sort();
}

/** What a promise rejected with (fails the test if it resolved). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

// ───────────── the real CLI as a child process ─────────────

export interface CliProcess {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Every stdout line so far (JSON log lines). */
  lines: string[];
  stderr(): string;
  /** SIGTERM, then the exit code (or signal name). */
  stop(): Promise<number | string | null>;
}

/**
 * `node --import tsx src/cli/main.ts serve --port 0` in `cwd` with exactly the given env (no provider keys of the
 * host leak in); resolves with the URL from its JSON startup log line. tsx is resolved from the repository, so
 * `cwd` may be an empty directory.
 */
export async function startCli(env: Record<string, string>, cwd: string, args: string[] = [], timeoutMs = 15_000): Promise<CliProcess> {
  const tsx = pathToFileURL(createRequire(join(ROOT, 'package.json')).resolve('tsx')).href;
  const child = spawn(process.execPath, ['--import', tsx, join(ROOT, 'src/cli/main.ts'), 'serve', '--port', '0', ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', KEYMUX_LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const rl = createInterface({ input: child.stdout });
  const exited = new Promise<number | string | null>((res) => child.once('exit', (code, signal) => res(code ?? signal)));
  const url = await new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`keymux did not log its URL within ${timeoutMs}ms; stderr:\n${err}\nstdout:\n${lines.join('\n')}`)), timeoutMs);
    rl.on('line', (line) => {
      lines.push(line);
      try {
        const o = JSON.parse(line) as { url?: unknown };
        if (typeof o.url === 'string') {
          clearTimeout(t);
          res(o.url);
        }
      } catch {
        /* not a JSON line */
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      rej(new Error(`keymux exited (${String(code)}) before listening; stderr:\n${err}`));
    });
  });
  return {
    child,
    url,
    lines,
    stderr: () => err,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
