import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../pool/clock.js';
import type { Config } from '../config/index.js';
import { ANONYMOUS, ProxyAuth, presentedKey } from './auth.js';
import { seedSpend } from './clients.js';
import { RequestGuard, refuseOpenReload } from './guard.js';
import { letGo } from './body.js';
import type { Dialect } from '../dialects/index.js';
import { ClientGone } from './attempt.js';
import { HttpError, errorBody } from './errors.js';
import { Runtime } from './runtime.js';
import { capConnections, clientSocketOptions } from './sockets.js';
import { TranslationError } from '../translate/index.js';
import type { ProxyLog } from './proxy.js';
import { route, type RouteContext } from './routes/index.js';
import { Admin, isAdminPath } from './admin/index.js';
import { Metrics } from './metrics.js';
import { KeyEventLog } from './events-log.js';
import { defaultLogger } from './events-logger.js';
import { Recovery } from './recovery.js';
import { RequestLog } from './request-log.js';
import { serveMetrics } from './metrics-route.js';
import { Dashboard, isDashboardPath } from './dashboard.js';

export interface ServerOptions {
  clock?: Clock;
  logger?: Logger;
}

export interface KeymuxServer {
  readonly http: Server;
  readonly runtime: Runtime;
  readonly logger: Logger;
  /** Base URL once listening, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Applies a new config: keys, limits, strategy, providers. In-flight requests are untouched. Throws (and
   * changes nothing) when the config has no proxy keys while the socket is reachable from other hosts.
   */
  reload(config: Config): void;
  /** Stops accepting, waits for in-flight requests (up to graceMs), then closes upstream connections. */
  close(graceMs?: number): Promise<void>;
  /** Requests being served now. */
  readonly inFlight: number;
}

/** Builds a proxy server from a config. No globals: tests start many in one process. */
export function createServer(config: Config, opts: ServerOptions = {}): KeymuxServer {
  // JSON lines to a pipe or file, each turn's lines in one synchronous write (events-logger.ts, bench:logline);
  // readable lines on a terminal. A full pipe slows the server rather than filling memory.
  const logger = opts.logger ?? defaultLogger(config.logLevel);
  const runtime = new Runtime(config, { ...(opts.clock ? { clock: opts.clock } : {}), log: (level, msg, fields) => logger[level](fields ?? {}, msg) });
  let auth = new ProxyAuth(config.proxyKeys, config.clients);
  let guard = new RequestGuard(config.proxyKeys, config.server.cors);
  const admin = new Admin(runtime, config, logger);
  const metrics = new Metrics(runtime);
  const keyEvents = new KeyEventLog(runtime, logger);
  const recovery = new Recovery(runtime, config.recovery.recheckMs, (r) => keyEvents.checked(r.provider, r.id, r.valid, r.outcome, r.reason));
  const requestLog = config.requestLog.path !== undefined
    ? new RequestLog(runtime, { path: config.requestLog.path, maxBytes: config.requestLog.maxBytes, keep: config.requestLog.keep, prices: config.prices })
    : undefined;
  admin.recheck = () => recovery.recheck();
  admin.onChecked = (r) => keyEvents.checked(r.provider, r.id, r.valid, r.outcome, r.reason);
  runtime.observer = metrics;
  let metricsAuth = new ProxyAuth(config.admin.keys);
  const dashboard = new Dashboard();
  let inFlight = 0;
  let closing = false;
  let url = '';
  const idle: Array<() => void> = [];
  let closed: Promise<void> | undefined;

  const http = createHttpServer(clientSocketOptions(config.server), (req, res) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) for (const f of idle.splice(0)) f();
    });
    void handle(req, res);
  });
  capConnections(http, config.server);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    const query = q < 0 ? undefined : new URLSearchParams(req.url!.slice(q + 1));
    const log: ProxyLog = {};
    let dialect: Dialect = dialectOf(path, req);
    try {
      if (closing) throw new HttpError('KMX_ERR_SHUTTING_DOWN', undefined, { headers: { connection: 'close' } });
      if (guard.check(req, res, path)) return;
      // The admin API has keys of its own: a proxy key does not open it.
      if (isAdminPath(path)) return await admin.handle(req, res, path, query);
      if (path === '/metrics') return await serveMetrics(req, res, metrics, metricsAuth);
      // Static files holding no data: served without a key; the page asks for the admin key to call /admin.
      if (isDashboardPath(path)) return await dashboard.handle(req, res, path);
      // Who is asking: a client's name (a plain proxy key's id), for limits, fair share, logs and metrics.
      log.client = auth.identify(presentedKey(req, query), req.socket);
      if (path !== '/healthz' && path !== '/readyz' && log.client === undefined) {
        throw new HttpError('KMX_ERR_UNAUTHORIZED', auth.enabled ? 'Missing or invalid proxy key' : 'Unauthorized');
      }
      const ctx: RouteContext = { req, res, path, query, runtime, config: runtime.config, log, logger };
      const d = await route(ctx);
      if (d) dialect = d;
    } catch (err) {
      // A client that left (mid-upload, mid-wait) is nobody's error: there is no one to answer.
      if (err instanceof ClientGone || res.destroyed || (req.destroyed && !req.complete)) logger.debug({ err: (err as Error).message, route: path }, 'client went away');
      else sendError(res, dialect, err, logger);
    } finally {
      letGo(req);
      // One flat literal (a spread of `log` costs pino more to serialise); undefined members are left out of the line.
      const fields = {
        method: req.method,
        route: path,
        // 499 (nginx's "client closed request") when the client left before an answer could be sent.
        status: res.headersSent || !res.destroyed ? res.statusCode : 499,
        latencyMs: Math.round((performance.now() - started) * 10) / 10,
        provider: log.provider,
        model: log.model,
        group: log.group,
        keyId: log.keyId,
        attempts: log.attempts,
        upstreamStatus: log.upstreamStatus,
        upstreamRequestId: log.upstreamRequestId,
        outcome: log.outcome,
        usage: log.usage,
        ttfbMs: log.ttfbMs,
        client: log.client,
      } satisfies Record<keyof ProxyLog, unknown> & Record<string, unknown>;
      if (res.statusCode >= 500) logger.warn(fields, 'request');
      else logger.info(fields, 'request');
      // The client's name, or its proxy key's id (computed once per configured key by ProxyAuth): never the key.
      const client = log.client ?? ANONYMOUS;
      admin.recordClient(client, log.provider, log.model, log.outcome, log.usage);
      if (path !== '/metrics') metrics.request(log.provider, log.model, fields.status, client);
      requestLog?.request({ ...fields, client, keyId: log.keyId, attempts: log.attempts, outcome: log.outcome, usage: log.usage, ttfbMs: log.ttfbMs });
    }
  }

  return {
    http,
    runtime,
    logger,
    get url() {
      return url;
    },
    get inFlight() {
      return inFlight;
    },
    async listen(port = config.server.port, host = config.server.host) {
      // Serve nothing before the stored state is in: a restart must not re-try a key it knows is dead.
      await runtime.ready;
      await admin.start();
      await seedSpend(runtime).catch((err: unknown) => logger.warn({ err: String(err) }, "clients: this month's spend could not be read; budgets count from now"));
      recovery.start();
      return new Promise<string>((resolve, reject) => {
        http.once('error', reject);
        http.listen(port, host, () => {
          http.off('error', reject);
          const a = http.address() as AddressInfo;
          url = `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
          resolve(url);
        });
      });
    },
    reload(next: Config) {
      const refused = refuseOpenReload(http.address(), next.proxyKeys);
      if (refused) throw new Error(refused);
      runtime.apply(next);
      admin.reload(next);
      recovery.setInterval(next.recovery.recheckMs);
      metricsAuth = new ProxyAuth(next.admin.keys);
      auth = new ProxyAuth(next.proxyKeys, next.clients);
      guard = new RequestGuard(next.proxyKeys, next.server.cors);
    },
    close(graceMs = 30_000) {
      closed ??= shutdown(graceMs);
      return closed;
    },
  };

  /** Stops accepting, waits for in-flight requests (up to graceMs), then closes upstream connections. */
  async function shutdown(graceMs: number): Promise<void> {
    closing = true;
    http.close();
    http.closeIdleConnections();
    if (inFlight > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, graceMs);
        idle.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    http.closeAllConnections();
    admin.stop();
    recovery.stop();
    requestLog?.close();
    await runtime.close();
  }
}

/** Which dialect the client speaks, from the route (Anthropic's /v1/models is told by its version header). */
function dialectOf(path: string, req: IncomingMessage): Dialect {
  if (isAdminPath(path)) return 'openai';
  if (path.startsWith('/v1beta/')) return 'gemini';
  if (path.startsWith('/v1/messages')) return 'anthropic';
  if (req.headers['anthropic-version'] !== undefined && !path.startsWith('/v1/chat')) return 'anthropic';
  return 'openai';
}

function sendError(res: ServerResponse, dialect: Dialect, err: unknown, logger: Logger): void {
  let http: HttpError;
  if (err instanceof HttpError) http = err;
  else if (err instanceof TranslationError) http = new HttpError(err.code, err.message, { status: err.status });
  else {
    logger.error({ err }, 'unexpected error');
    http = new HttpError('KMX_ERR_INTERNAL', 'Internal error in keymux');
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(dialect, http.status, http.code, http.message));
  res.writeHead(http.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...http.headers });
  res.end(body);
}
