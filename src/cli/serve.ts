import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/index.js';
import { findProvider } from '../providers/index.js';
import { createServer, redactText, shownUrl } from '../server/index.js';

export interface ServeOptions {
  port?: number;
  host?: string;
  configPath?: string;
  allowPlaintextKeys?: boolean;
  cwd?: string;
  env?: Record<string, string | undefined>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** How long a save must settle: editors save by several writes, or a write and a rename. */
const SETTLE_MS = 150;
const DRAIN_MS = 30_000;

/**
 * `keymux serve`: loads the config, listens, reloads on change or SIGHUP, drains on SIGTERM/SIGINT.
 * The startup line ("keymux listening on URL") comes last, once reloads and signals are armed: whoever waits
 * for it can rely on a config change or a signal being heard from then on.
 */
export async function serve(opts: ServeOptions): Promise<number> {
  const load = (): Config =>
    loadConfig({
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      ...(opts.configPath !== undefined ? { configPath: opts.configPath } : {}),
      flags: {
        ...(opts.port !== undefined ? { port: opts.port } : {}),
        ...(opts.host !== undefined ? { host: opts.host } : {}),
        ...(opts.allowPlaintextKeys !== undefined ? { allowPlaintextKeys: opts.allowPlaintextKeys } : {}),
      },
      // The server remembers: disabled keys, quota outs and usage survive a restart (storage: memory to forget).
      defaults: { storage: { type: 'sqlite' } },
    });
  const config = load();
  const server = createServer(config);
  const log = server.logger;
  let host = config.server.host;
  if (config.proxyKeys.length === 0 && !LOOPBACK.has(host)) {
    log.warn({ host }, 'no proxy keys configured (KEYMUX_PROXY_KEYS): binding to 127.0.0.1 only, so nobody else can spend your keys');
    host = '127.0.0.1';
  }
  for (const w of config.warnings) log.warn(redactText(w));

  let stopping = false;
  const reload = (why: string) => {
    if (stopping) return;
    try {
      const next = load();
      server.reload(next);
      for (const w of next.warnings) log.warn(redactText(w));
      log.info({ why, providers: next.providers.map((p) => `${p.name} (${p.keys.length})`) }, 'configuration reloaded');
    } catch (err) {
      log.error({ why, error: redactText((err as Error).message) }, 'configuration not reloaded: the running one stays');
    }
  };
  const unwatch = watchFiles(config.source.files, reload, log);
  const onHup = () => reload('SIGHUP');
  process.on('SIGHUP', onHup);

  const done = new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal, inFlight: server.inFlight }, 'draining in-flight requests, then exiting');
      unwatch();
      process.off('SIGHUP', onHup);
      server.close(DRAIN_MS).then(
        () => resolve(0),
        (err: unknown) => {
          log.error({ error: (err as Error).message }, 'error while shutting down');
          resolve(1);
        },
      );
    };
    // once: a second signal while draining gets the default action, so an impatient operator can force it.
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });

  const url = await server.listen(config.server.port, host);
  log.info(
    {
      url,
      providers: config.providers.map((p) => `${p.name} (${p.keys.length} key${p.keys.length === 1 ? '' : 's'})`),
      ...baseUrls(config),
      auth: config.proxyKeys.length > 0 ? 'proxy keys required' : 'open on loopback (no proxy keys configured)',
      // Names only: a client's key is never shown.
      ...(config.clients.length > 0 ? { clients: config.clients.map((c) => c.name) } : {}),
      files: config.source.files,
      storage: config.storage.type === 'sqlite' ? join(config.storage.dataDir, 'keymux.db') : 'memory',
      // Shared with the other replicas (its password never shown).
      ...(config.redis.url !== undefined ? { redis: `${shownUrl(config.redis.url)} (prefix ${config.redis.prefix}, usage ${config.redis.usage})` } : {}),
    },
    `keymux listening on ${url}`,
  );
  if (config.providers.length === 0) log.warn('no provider keys found: set e.g. OPENAI_API_KEYS=sk-a,sk-b or write a keymux.yaml');
  return done;
}

/** Base URLs that differ from the catalog's (where requests really go), without their credentials. */
function baseUrls(config: Config): { baseUrls?: Record<string, string> } {
  const moved = config.providers.filter((p) => p.baseUrl !== findProvider(p.name)?.baseUrl);
  return moved.length > 0 ? { baseUrls: Object.fromEntries(moved.map((p) => [p.name, shownUrl(p.baseUrl)])) } : {};
}

/**
 * Calls onChange (settled) when one of the files changes. Watches each file's directory, not the file: editors
 * save by writing a temp file and renaming it over the config, and a watch on the file itself follows the old
 * inode and goes deaf after the first such save. Returns a function that stops watching.
 */
function watchFiles(files: readonly string[], onChange: (why: string) => void, log: Logger): () => void {
  const byDir = new Map<string, Set<string>>();
  for (const file of files) {
    const names = byDir.get(dirname(file)) ?? new Set<string>();
    names.add(basename(file));
    byDir.set(dirname(file), names);
  }
  const watchers: FSWatcher[] = [];
  let timer: NodeJS.Timeout | undefined;
  for (const [dir, names] of byDir) {
    try {
      const w = watch(dir, (_event, name) => {
        if (name !== null && !names.has(String(name))) return;
        clearTimeout(timer);
        timer = setTimeout(() => onChange(`${name === null ? dir : join(dir, String(name))} changed`), SETTLE_MS);
      });
      w.on('error', (err) => log.warn({ dir, error: err.message }, 'config watcher failed; SIGHUP still reloads'));
      w.unref();
      watchers.push(w);
    } catch {
      log.warn({ files: [...names].map((n) => join(dir, n)) }, 'cannot watch the config file; SIGHUP still reloads it');
    }
  }
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
