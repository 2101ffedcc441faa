import { watch, type FSWatcher } from 'node:fs';
import { loadConfig, type Config } from '../config/index.js';
import { createServer } from '../server/index.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  configPath?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** `keymux serve`: loads the config, listens, reloads on change or SIGHUP, drains on SIGTERM. */
export async function serve(opts: ServeOptions): Promise<number> {
  const load = (): Config =>
    loadConfig({
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
      flags: { ...(opts.port !== undefined ? { port: opts.port } : {}), ...(opts.host !== undefined ? { host: opts.host } : {}) },
    });
  const config = load();
  const server = createServer(config);
  const log = server.logger;
  let host = config.server.host;
  if (config.proxyKeys.length === 0 && !LOOPBACK.has(host)) {
    log.warn({ host }, 'no proxy keys configured (KEYMUX_PROXY_KEYS): binding to 127.0.0.1 only, so nobody else can spend your keys');
    host = '127.0.0.1';
  }
  const url = await server.listen(config.server.port, host);
  for (const w of config.warnings) log.warn(w);
  log.info(
    {
      url,
      providers: config.providers.map((p) => `${p.name} (${p.keys.length} key${p.keys.length === 1 ? '' : 's'})`),
      auth: config.proxyKeys.length > 0 ? 'proxy keys required' : 'open on loopback (no proxy keys configured)',
      files: config.source.files,
    },
    `keymux listening on ${url}`,
  );
  if (config.providers.length === 0) log.warn('no provider keys found: set e.g. OPENAI_API_KEYS=sk-a,sk-b or write a keymux.yaml');

  const reload = (why: string) => {
    try {
      const next = load();
      server.reload(next);
      log.info({ why, providers: next.providers.map((p) => `${p.name} (${p.keys.length})`) }, 'configuration reloaded');
    } catch (err) {
      log.error({ why, error: (err as Error).message }, 'configuration not reloaded: the running one stays');
    }
  };
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  for (const file of config.source.files) {
    try {
      // Editors save by rename or by several writes: settle, then reload once.
      const w = watch(file, () => {
        clearTimeout(timer);
        timer = setTimeout(() => reload(`${file} changed`), 150);
      });
      w.unref();
      watchers.push(w);
    } catch {
      log.warn({ file }, 'cannot watch the config file; SIGHUP still reloads it');
    }
  }
  process.on('SIGHUP', () => reload('SIGHUP'));

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, inFlight: server.inFlight }, 'draining in-flight requests, then exiting');
      for (const w of watchers) w.close();
      clearTimeout(timer);
      server.close(30_000).then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
