// The provider simulator: a real HTTP server on 127.0.0.1 speaking the OpenAI, Anthropic and Gemini dialects,
// driven by per-key behaviour, recording every exchange.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { anthropicError, handleAnthropic } from './anthropic.js';
import { KeyRegistry, type Dialect, type Flavor, type KeyBehaviour } from './behaviour.js';
import { sendJson, sleep, type Body, type Ctx, type RecordedRequest } from './common.js';
import { handleGemini } from './gemini.js';
import { googleError } from './gemini-errors.js';
import { handleOpenAI } from './openai.js';
import { openaiClientError } from './openai-errors.js';

export interface SimulatorOptions {
  /** Which dialects to serve; default 'all'. */
  dialect?: 'all' | Dialect;
  /** The OpenAI-compatible provider the OpenAI dialect imitates; default 'openai'. */
  flavor?: Flavor;
  /** Known keys and their behaviour; any other key gets the dialect's invalid-key error. */
  keys: Record<string, KeyBehaviour>;
  /** Models served (and listed); when given, other models get the dialect's 404. Default: a few per dialect, none enforced. */
  models?: string[];
  /** Clock for quotas, `at` and `created` fields; default Date.now. Delays always use real timers. */
  now?: () => number;
  /** Seed of the RNG behind failRate/overloadRate; default 1. */
  seed?: number;
  /** Keep `requests` records (default true). Off for long benchmarks: countsByKey() without pred still counts. */
  record?: boolean;
  /** Port on 127.0.0.1; default 0 (a free one). */
  port?: number;
}

export interface Simulator {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** Every request so far, in arrival order (entries are updated in place when they end). */
  readonly requests: RecordedRequest[];
  /** Add a key or replace its behaviour; its quota group starts afresh. */
  setKey(key: string, behaviour: KeyBehaviour): void;
  removeKey(key: string): void;
  /** The current behaviour of a key. */
  getKey(key: string): KeyBehaviour | undefined;
  /** Requests per key (missing key → ''), optionally only recorded ones matching `pred`. */
  countsByKey(pred?: (r: RecordedRequest) => boolean): Record<string, number>;
  /** Forget recorded requests and all quota state; restart the RNG. */
  reset(): void;
  /** Resolves with the first recorded request (past or future) satisfying pred; rejects after timeoutMs (default 5000). */
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  close(): Promise<void>;
}

export type { RecordedRequest } from './common.js';
export type { Dialect, Flavor, KeyBehaviour } from './behaviour.js';

const OPENAI_PREFIXES = ['/v1beta/openai', '/api/v1', '/openai/v1', '/v1'];
const OPENAI_ROUTES = new Set(['/chat/completions', '/completions', '/embeddings', '/responses', '/models', '/key']);

interface Route {
  dialect: Dialect;
  rest: string;
}

function route(path: string, req: IncomingMessage, url: URL, allowed: 'all' | Dialect): Route | undefined {
  const ok = (d: Dialect): boolean => allowed === 'all' || allowed === d;
  const gem = /^\/v1(?:beta|alpha)?(\/models(?:\/.*)?)$/.exec(path);
  if (path.startsWith('/v1/messages') && ok('anthropic')) return { dialect: 'anthropic', rest: path };
  if (gem && !path.startsWith('/v1beta/openai') && ok('gemini')) {
    const rest = gem[1] as string;
    const geminiish =
      path.startsWith('/v1beta') || path.startsWith('/v1alpha') || rest.includes(':') ||
      req.headers['x-goog-api-key'] !== undefined || url.searchParams.has('key') || !(ok('openai') || ok('anthropic'));
    if (geminiish) return { dialect: 'gemini', rest };
  }
  if (path === '/v1/models' && ok('anthropic') && (req.headers['anthropic-version'] || req.headers['x-api-key'] || !ok('openai'))) {
    return { dialect: 'anthropic', rest: path };
  }
  if (!ok('openai')) return undefined;
  for (const p of OPENAI_PREFIXES) {
    if (path.startsWith(p + '/') && OPENAI_ROUTES.has(path.slice(p.length))) return { dialect: 'openai', rest: path.slice(p.length) };
  }
  if (OPENAI_ROUTES.has(path)) return { dialect: 'openai', rest: path }; // DeepSeek's base has no /v1
  return undefined;
}

function keyOf(d: Dialect, req: IncomingMessage, url: URL): string | undefined {
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (d === 'openai') return bearer;
  if (d === 'anthropic') return (req.headers['x-api-key'] as string | undefined) ?? bearer;
  return (req.headers['x-goog-api-key'] as string | undefined) ?? url.searchParams.get('key') ?? undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
    req.on('close', () => resolve(req.complete ? Buffer.concat(chunks) : undefined));
  });
}

function badJson(ctx: Ctx, d: Dialect): void {
  if (d === 'openai') {
    return openaiClientError(ctx, 400, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)", null);
  }
  if (d === 'anthropic') return anthropicError(ctx, 400, 'invalid_request_error', 'There was an issue with your request body: invalid JSON');
  sendJson(ctx, 400, googleError(400, 'Invalid JSON payload received.', 'INVALID_ARGUMENT'), {}, 'application/json; charset=UTF-8');
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const now = opts.now ?? Date.now;
  const reg = new KeyRegistry(opts.keys, now, opts.seed ?? 1);
  const requests: RecordedRequest[] = [];
  const watchers = new Set<(r: RecordedRequest) => void>();
  const allowed = opts.dialect ?? 'all';
  const flavor = opts.flavor ?? 'openai';
  const models = opts.models ?? [];
  const recording = opts.record !== false;
  let counts: Record<string, number> = {};
  let seq = 0;
  const nextId = (): string => `sim${(++seq).toString(36).padStart(6, '0')}`;
  const notify = (r: RecordedRequest): void => {
    for (const w of watchers) w(r);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const r = route(url.pathname, req, url, allowed);
    const key = r ? keyOf(r.dialect, req, url) : undefined;
    const rec: RecordedRequest = {
      at: now(),
      method: req.method ?? 'GET',
      path: url.pathname,
      dialect: r?.dialect,
      key,
      model: undefined,
      stream: false,
      status: 0,
      body: undefined,
      aborted: false,
      done: false,
      durationMs: 0,
    };
    const ctx: Ctx = { req, res, url, body: {}, key, rec, reg, flavor, models, now, nextId, closed: false, serverReset: false };
    res.on('close', () => {
      ctx.closed = true;
      rec.aborted = !res.writableFinished && !ctx.serverReset;
      rec.status = res.headersSent ? res.statusCode : 0;
      rec.durationMs = performance.now() - started;
      rec.done = true;
      notify(rec);
    });
    if (recording) requests.push(rec);
    counts[key ?? ''] = (counts[key ?? ''] ?? 0) + 1;

    const raw = await readBody(req);
    if (raw === undefined || ctx.closed) return;
    if (!r) {
      sendJson(ctx, 404, { error: { message: `No route for ${req.method} ${url.pathname}`, type: 'not_found' } });
      return;
    }
    if (raw.length) {
      try {
        ctx.body = JSON.parse(raw.toString('utf8')) as Body;
        rec.body = ctx.body;
      } catch {
        rec.body = raw.toString('utf8');
        return badJson(ctx, r.dialect);
      }
    }
    if (typeof ctx.body.model === 'string') rec.model = ctx.body.model;
    rec.stream = ctx.body.stream === true;
    if (r.dialect === 'gemini') {
      const m = /^\/models\/([^:/]+)(?::(\w+))?/.exec(r.rest);
      rec.model = m?.[1];
      rec.stream = m?.[2] === 'streamGenerateContent';
    }
    notify(rec);

    const hang = key !== undefined ? reg.get(key)?.hangMs : undefined;
    const p = sleep(ctx, hang);
    if (p) await p;
    if (ctx.closed) return;

    if (r.dialect === 'openai') return handleOpenAI(ctx, r.rest);
    if (r.dialect === 'anthropic') return handleAnthropic(ctx, r.rest);
    return handleGemini(ctx, r.rest);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `simulator bug: ${String(err)}`, type: 'sim_error' } }));
      } else res.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setKey: (key, b) => reg.set(key, b),
    removeKey: (key) => reg.delete(key),
    getKey: (key) => reg.get(key),
    countsByKey(pred) {
      if (!pred) return { ...counts };
      const out: Record<string, number> = {};
      for (const q of requests) if (pred(q)) out[q.key ?? ''] = (out[q.key ?? ''] ?? 0) + 1;
      return out;
    },
    reset() {
      requests.length = 0;
      counts = {};
      reg.reset();
    },
    waitFor(pred, timeoutMs = 5000) {
      const hit = requests.find(pred);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          watchers.delete(w);
          reject(new Error(`sim.waitFor: no matching request within ${timeoutMs}ms (${requests.length} recorded)`));
        }, timeoutMs);
        const w = (q: RecordedRequest): void => {
          if (pred(q)) {
            clearTimeout(t);
            watchers.delete(w);
            resolve(q);
          }
        };
        watchers.add(w);
      });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
