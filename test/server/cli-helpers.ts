// Runs the real CLI (`node --import tsx src/cli/main.ts …`) as a child process and follows its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader as a file URL, so the child can run from a scratch directory without node_modules. */
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface Cli {
  child: ChildProcess;
  /** Parsed stdout lines (non-JSON lines kept as `{ text }`). */
  logs: Array<Record<string, unknown>>;
  stderr(): string;
  /** The first log line (past or future) matching pred. */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal's name) once the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends a signal to this child (by its pid). */
  signal(sig: NodeJS.Signals): void;
  /** Kills the child if it still runs. */
  stop(): Promise<void>;
}

export function runCli(args: string[], opts: { cwd: string; env: Record<string, string> }): Cli {
  const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], {
    cwd: opts.cwd,
    // Only what the test says: no provider keys leak in from the parent environment.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? opts.cwd, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Array<Record<string, unknown>> = [];
  const watchers = new Set<() => void>();
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    out += c;
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ text: line });
      }
      for (const w of watchers) w();
    }
  });
  child.stderr!.on('data', (c: string) => {
    err += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      resolve({ code, signal });
      for (const w of watchers) w();
    });
  });
  let ended = false;
  void exited.then(() => (ended = true));
  return {
    child,
    logs,
    stderr: () => err,
    waitForLog(pred, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const hit = logs.find(pred);
          if (hit) {
            watchers.delete(check);
            clearTimeout(t);
            resolve(hit);
            return true;
          }
          if (ended) {
            watchers.delete(check);
            clearTimeout(t);
            reject(new Error(`the CLI exited before the expected log line; stderr: ${err}\nstdout: ${JSON.stringify(logs)}`));
            return true;
          }
          return false;
        };
        const t = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no matching CLI log line within ${timeoutMs}ms; stderr: ${err}\nstdout: ${JSON.stringify(logs)}`));
        }, timeoutMs);
        if (!check()) watchers.add(check);
      });
    },
    exited,
    signal(sig) {
      if (child.pid !== undefined && !ended) process.kill(child.pid, sig);
    },
    async stop() {
      if (!ended && child.pid !== undefined) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    },
  };
}
