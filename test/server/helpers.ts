// Shared setup for the server integration tests: a simulator, a keymux server built from a config loaded with
// an explicit env (never process.env), an in-memory pino log, and small fetch helpers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, type Config } from '../../src/config/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type Simulator, type SimulatorOptions } from '../sim/index.js';

export type Env = Record<string, string>;

/** A pino logger writing JSON lines into memory. */
export interface LogCapture {
  logger: Logger;
  lines: string[];
  /** Parsed lines. */
  entries(): Array<Record<string, unknown>>;
  /** Parsed `request` lines (one per HTTP request). */
  requests(): Array<Record<string, unknown>>;
}

export function captureLogs(level = 'debug'): LogCapture {
  const lines: string[] = [];
  const logger = pino({ level, base: undefined }, { write: (s: string) => void lines.push(s) });
  const entries = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, entries, requests: () => entries().filter((e) => e.msg === 'request') };
}

/** A scratch directory (no keymux.yaml, no .env unless written): loadConfig's cwd. */
export function scratchDir(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'keymux-server-test-'));
  return {
    dir,
    write(name, text) {
      const p = join(dir, name);
      writeFileSync(p, text);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A directory that does not exist: no keymux.yaml or .env of the checkout (or of anyone) is picked up. */
const NOWHERE = join(tmpdir(), 'keymux-server-test-no-such-dir');

/** loadConfig with an explicit env (never process.env) and, by default, no config file at all. */
export function configFrom(env: Env, opts: { cwd?: string; configPath?: string } = {}): Config {
  return loadConfig({ cwd: opts.cwd ?? NOWHERE, env: { KEYMUX_LOG_LEVEL: 'silent', ...env }, ...(opts.configPath ? { configPath: opts.configPath } : {}) });
}

export interface Harness {
  sim: Simulator;
  server: KeymuxServer;
  url: string;
  logs: LogCapture;
  config: Config;
  close(): Promise<void>;
}

/**
 * Starts a simulator (unless one is given) and a keymux server in front of it. `env(sim)` builds the env;
 * `file` is the text of a keymux.yaml written to a fresh directory (loadConfig's cwd).
 */
export async function start(opts: {
  sim?: SimulatorOptions | Simulator;
  env: (sim: Simulator) => Env;
  file?: string;
  configPath?: string;
  cwd?: string;
}): Promise<Harness> {
  const sim = opts.sim && 'url' in opts.sim ? opts.sim : await startSimulator((opts.sim as SimulatorOptions | undefined) ?? { keys: { 'sk-a': {}, 'sk-b': {} } });
  const dir = opts.file !== undefined ? scratchDir() : undefined;
  const configPath = dir ? dir.write('keymux.yaml', opts.file!) : opts.configPath;
  const cwd = dir?.dir ?? opts.cwd;
  const config = configFrom(opts.env(sim), { ...(cwd ? { cwd } : {}), ...(configPath ? { configPath } : {}) });
  const logs = captureLogs();
  const server = createServer(config, { logger: logs.logger });
  const url = await server.listen(0, '127.0.0.1');
  return {
    sim,
    server,
    url,
    logs,
    config,
    async close() {
      await server.close(1_000);
      await sim.close();
      dir?.remove();
    },
  };
}

/** OpenAI-dialect env for a simulator: `OPENAI_API_KEYS` etc. */
export const openaiEnv =
  (keys = 'sk-a,sk-b', extra: Env = {}) =>
  (sim: Simulator): Env => ({ OPENAI_API_KEYS: keys, OPENAI_BASE_URL: `${sim.url}/v1`, ...extra });

/**
 * A server in front of a simulator holding one key at each of OpenAI (`sk-a`), Anthropic (`sk-ant-a`) and Gemini
 * (`AIza-a`), each provider configured with its key; `file`: a keymux.yaml.
 */
export function startThreeProviders(file?: string): Promise<Harness> {
  return start({
    sim: { keys: { 'sk-a': {}, 'sk-ant-a': {}, 'AIza-a': {} } },
    ...(file !== undefined ? { file } : {}),
    env: (s) => ({
      OPENAI_API_KEYS: 'sk-a',
      OPENAI_BASE_URL: `${s.url}/v1`,
      ANTHROPIC_API_KEYS: 'sk-ant-a',
      ANTHROPIC_BASE_URL: s.url,
      GEMINI_API_KEYS: 'AIza-a',
      GEMINI_BASE_URL: s.url,
    }),
  });
}

export type { Reply } from '../sim/helpers.js';
import type { Reply } from '../sim/helpers.js';

export async function call(
  base: string,
  path: string,
  body?: unknown,
  opts: { headers?: Record<string, string>; method?: string; raw?: string; signal?: AbortSignal } = {},
): Promise<Reply> {
  const method = opts.method ?? (body === undefined && opts.raw === undefined ? 'GET' : 'POST');
  const res = await fetch(base + path, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
    ...(opts.raw !== undefined ? { body: opts.raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  return readReply(res);
}

export { dataJson, chatBody, anthropicBody, geminiBody } from '../sim/helpers.js';
import { readReply } from '../sim/helpers.js';

/**
 * A streaming request read chunk by chunk: `next()` resolves with the next text received; `abort()` leaves
 * mid-stream like a client that goes away.
 */
export async function openStream(base: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const ac = new AbortController();
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: ac.signal,
  });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  return {
    res,
    get text() {
      return text;
    },
    /** Reads until `pred(text)` holds (or the stream ends); returns the text so far. */
    async readUntil(pred: (t: string) => boolean): Promise<string> {
      while (!pred(text)) {
        const r = await reader.read();
        if (r.done) break;
        text += decoder.decode(r.value, { stream: true });
      }
      return text;
    },
    async readAll(): Promise<string> {
      for (;;) {
        const r = await reader.read();
        if (r.done) return text;
        text += decoder.decode(r.value, { stream: true });
      }
    },
    abort() {
      ac.abort();
      reader.cancel().catch(() => {});
    },
  };
}

/** Polls a condition on real time (for HTTP-side effects like a released lease); fails after timeoutMs. */
export async function eventually(pred: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > until) throw new Error(`eventually: ${what} did not hold within ${timeoutMs}ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Sum of in-flight leases over a provider's keys. */
export function inFlight(server: KeymuxServer, provider = 'openai'): number {
  return server.runtime.providers.get(provider)!.pool.snapshot().keys.reduce((n, k) => n + k.inFlight, 0);
}

export function keySnapshots(server: KeymuxServer, provider = 'openai') {
  return server.runtime.providers.get(provider)!.pool.snapshot().keys;
}

/**
 * A port with no listener, for "the provider cannot be reached": port 1 (tcpmux) is not served on these machines.
 * A port freed by closing a test server is no good: another test file running in parallel may take it first.
 */
export const DEAD_PORT = 1;
