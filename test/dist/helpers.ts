// What the distribution tests share: running a shipped `keymux` (the npm package's bin, the single executable)
// as a child process with only the environment a test gives it, and following its JSON log lines.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface Proc {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  stdout(): string;
  stderr(): string;
  /** The first log line (past or future) matching pred. */
  waitForLog(pred: (l: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(sig: NodeJS.Signals): void;
  stop(): Promise<void>;
}

/** PATH without any directory that holds a `node`: what runs must not need one. */
export function pathWithoutNode(): string {
  return (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d && !existsSync(join(d, 'node')))
    .join(delimiter);
}

export function run(cmd: string, args: string[], opts: { cwd: string; env: Record<string, string> }): Proc {
  // Only what the test says: no provider keys or npm settings leak in from the parent environment.
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { HOME: opts.cwd, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Array<Record<string, unknown>> = [];
  const watchers = new Set<() => void>();
  let out = '';
  let all = '';
  let err = '';
  let ended = false;
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (c: string) => {
    out += c;
    all += c;
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
  child.stderr!.on('data', (c: string) => (err += c));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
    child.on('error', (e) => {
      err += String(e);
      ended = true;
      res({ code: -1, signal: null });
      for (const w of watchers) w();
    });
    child.on('exit', (code, signal) => {
      ended = true;
      res({ code, signal });
      for (const w of watchers) w();
    });
  });
  return {
    child,
    logs,
    stdout: () => all,
    stderr: () => err,
    waitForLog(pred, timeoutMs = 20_000) {
      return new Promise((res, rej) => {
        const check = (): boolean => {
          const hit = logs.find(pred);
          if (!hit && !ended) return false;
          watchers.delete(check);
          clearTimeout(t);
          if (hit) res(hit);
          else rej(new Error(`${cmd} exited before the expected log line; stderr: ${err}\nstdout: ${all}`));
          return true;
        };
        const t = setTimeout(() => {
          watchers.delete(check);
          rej(new Error(`no matching log line within ${timeoutMs} ms; stderr: ${err}\nstdout: ${all}`));
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

export const listening = (l: Record<string, unknown>): boolean => typeof l.url === 'string' && String(l.msg).startsWith('keymux listening');

/** One chat completion through keymux; the status and the provider keymux says it used. */
export async function chat(url: string, text: string): Promise<{ status: number; provider: string | null; body: string }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: text }] }),
  });
  return { status: res.status, provider: res.headers.get('x-keymux-provider'), body: await res.text() };
}
