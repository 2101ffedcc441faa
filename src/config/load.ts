import { statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { findProvider } from '../providers/catalog.js';
import { ConfigError, formatIssue, type ConfigIssue } from './errors.js';
import { resolveAliases } from './aliases.js';
import { redactKeys } from './redact.js';
import { proxyKeysFromEnv, type Env } from './env.js';
import { readDotenv } from './dotenv.js';
import { TooLargeError, parseConfigText, readBoundedText, type ConfigFile } from './file.js';
import { envLayer, flagLayer, getAt, resolveSettings, type Layer } from './layers.js';
import { resolveProviders } from './providers.js';
import { DEFAULTS, type Config, type DeepReadonly, type Flags, type ResolvedConfig, type Settings } from './schema.js';
import { dedupe, formatPath } from './util.js';
import { isKeyFile, validateFile, type Locate } from './validate.js';
import { checkClients } from './clients.js';

export interface LoadOptions {
  /** Where `keymux.yaml`/`.yml`/`.json` and `.env` are looked for, and relative paths resolve. Default process.cwd(). */
  cwd?: string;
  /** The config file; else `KEYMUX_CONFIG`; else the first of keymux.yaml, keymux.yml, keymux.json in cwd. */
  configPath?: string;
  /** The environment. Default process.env; never modified (`.env` values are merged into a copy). */
  env?: Record<string, string | undefined>;
  /** Command-line flags: the highest layer (FLAG_SETTINGS in schema.ts). */
  flags?: Flags;
  /** A program's own defaults over the built-in ones, below the file (`keymux serve` keeps state in SQLite). */
  defaults?: SettingsDefaults;
}

export type SettingsDefaults = { [K in keyof Settings]?: Settings[K] extends Record<string, unknown> ? Partial<Settings[K]> : Settings[K] };

const CANDIDATES = ['keymux.yaml', 'keymux.yml', 'keymux.json'];

/**
 * Loads the configuration: defaults < file < env < flags. Every problem is collected and thrown at once as a
 * ConfigError; the returned config is deeply frozen.
 */
export function loadConfig(opts: LoadOptions = {}): Config {
  const cwd = resolve(opts.cwd ?? process.cwd());
  const shown = (p: string) => {
    const r = relative(cwd, p);
    return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
  };
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const files: string[] = [];

  // ---- environment: the real one wins over .env ----
  const env: Record<string, string | undefined> = { ...(opts.env ?? process.env) };
  const dotenv = readDotenv(join(cwd, '.env'), shown, issues, warnings);
  const fromDotenv = new Set<string>();
  if (dotenv) {
    files.push(dotenv.path);
    for (const [name, value] of Object.entries(dotenv.values)) {
      if (env[name] === undefined && value !== undefined) {
        env[name] = value;
        fromDotenv.add(name);
      }
    }
  }
  const envAt = (name: string) => (dotenv && fromDotenv.has(name) ? { file: shown(dotenv.path), ...dotenv.lineOf(name) } : {});

  // ---- the file ----
  const configPath = findConfigFile(cwd, opts.configPath, env, shown, issues, warnings);
  let parsed: ConfigFile | undefined;
  if (configPath) {
    try {
      parsed = parseConfigText(readBoundedText(configPath), shown(configPath), env);
      files.unshift(configPath);
      issues.push(...parsed.issues);
    } catch (err) {
      const message = err instanceof TooLargeError ? err.message : `cannot read: ${(err as Error).message}`;
      issues.push({ file: shown(configPath), path: '', message });
    }
  }
  const keyFile = isKeyFile(parsed?.value);
  const locate: Locate = (path) => {
    if (!parsed) return { path: formatPath(path) };
    return { file: parsed.file, ...parsed.locate(keyFile && path[0] === 'providers' ? path.slice(1) : path) };
  };
  const substituted = new Set(issues.map((i) => i.path).filter(Boolean));
  const fileIssues: ConfigIssue[] = [];
  const layer = validateFile(keyFile ? { providers: parsed?.value } : parsed?.value, locate, fileIssues);
  // A missing ${VAR} already explains why its value is then empty or wrong.
  issues.push(...fileIssues.filter((i) => ![...substituted].some((p) => i.path === p || i.path.startsWith(`${p}.`) || i.path.startsWith(`${p}[`))));

  // ---- env and flags over the file; the providers' env variables are read with the providers ----
  const fromEnv = envLayer(env, envAt, issues);
  const fromFlags = flagLayer(opts.flags ?? {}, issues);
  const providers = resolveProviders(layer.providers, { env, envAt, locate, issues, warnings });
  warnings.push(...unknownProviderKeys(fromDotenv, providers.map((p) => p.name), envAt));
  const plainKeys = dedupe([...layer.proxyKeys, ...proxyKeysFromEnv(env)]);
  const clients = checkClients(layer.clients, plainKeys, locate, issues);
  // Every key that opens the proxy, for what depends on there being any (the host default, the open-port guard).
  const proxyKeys = [...plainKeys, ...clients.map((c) => c.key)];

  // Proxy keys make it safe to listen beyond localhost, so they move the host's default (and only the default).
  const { hostWithProxyKeys, ...server } = DEFAULTS.server;
  const defaults: Layer = { ...DEFAULTS, server: { ...server, host: proxyKeys.length > 0 ? hostWithProxyKeys : server.host } };
  const settings = resolveSettings([defaults, opts.defaults ?? {}, layer.settings, fromEnv, fromFlags]);
  settings.storage.dataDir = resolve(cwd, settings.storage.dataDir);
  const config: ResolvedConfig = { ...settings, proxyKeys, clients, providers, aliases: {}, groups: {}, source: { files }, warnings };

  if (config.cooldown.defaultMs > config.cooldown.maxMs) {
    const at = getAt(layer.settings, ['cooldown', 'maxMs']) !== undefined ? 'maxMs' : 'defaultMs';
    issues.push({ ...locate(['cooldown', at]), message: 'cooldown.defaultMs is above cooldown.maxMs' });
  }
  if (config.server.headersTimeoutMs > config.server.requestTimeoutMs) {
    warnings.push(formatIssue({ ...locate(['server', 'headersTimeoutMs']), message: 'above server.requestTimeoutMs, which cuts it short' }));
  }
  Object.assign(config, resolveAliases(layer.aliases, config.providers.map((p) => p.name), locate, issues, warnings));

  if (issues.length > 0) throw new ConfigError(sortIssues(issues, parsed?.file));
  // Warnings repeat what the user wrote, as errors do: mask a key typed where a name belongs.
  config.warnings = warnings.map(redactKeys);
  return deepFreeze(config);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function findConfigFile(
  cwd: string,
  explicit: string | undefined,
  env: Env,
  shown: (p: string) => string,
  issues: ConfigIssue[],
  warnings: string[],
): string | undefined {
  const named = explicit || env.KEYMUX_CONFIG?.trim();
  if (named) {
    const path = resolve(cwd, named);
    if (isFile(path)) return path;
    issues.push({ file: shown(path), path: '', message: `config file not found${explicit ? '' : ' (named by KEYMUX_CONFIG)'}` });
    return undefined;
  }
  const found = CANDIDATES.map((name) => join(cwd, name)).filter(isFile);
  if (found.length > 1) warnings.push(`several config files: using ${shown(found[0] ?? '')}, ignoring ${found.slice(1).map(shown).join(', ')}`);
  return found[0];
}

/** The config file's problems by line first, then .env's and the environment's, each group in its own order. */
function sortIssues(issues: ConfigIssue[], configFile: string | undefined): ConfigIssue[] {
  const rank = (i: ConfigIssue) => (i.file === undefined ? 2 : i.file === configFile ? 0 : 1);
  return issues
    .map((issue, n) => ({ issue, n }))
    .sort((a, b) => rank(a.issue) - rank(b.issue) || (a.issue.line ?? Infinity) - (b.issue.line ?? Infinity) || a.n - b.n)
    .map((x) => x.issue);
}

function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  // Frozen all the way down: the readonly view is now the truth.
  return value as DeepReadonly<T>;
}

/**
 * Keys in the .env for a provider keymux does not know (LLM-API-Key-Proxy's `.env` may hold `COHERE_API_KEY_1`):
 * said at start, so they are not silently unused. Only the .env is looked at: the process environment holds
 * other tools' `*_API_KEY` variables too.
 */
function unknownProviderKeys(fromDotenv: ReadonlySet<string>, configured: readonly string[], envAt: (name: string) => { file?: string; line?: number }): string[] {
  const known = new Set(['PROXY', 'KEYMUX', ...configured.map((n) => n.toUpperCase().replace(/-/g, '_'))]);
  const out: string[] = [];
  for (const name of fromDotenv) {
    const m = /^([A-Z][A-Z0-9_]*?)_API_KEYS?(?:_\d+)?$/.exec(name);
    if (!m || known.has(m[1]!) || findProvider(m[1]!)) continue;
    const provider = m[1]!.toLowerCase();
    out.push(
      formatIssue({
        ...envAt(name),
        path: name,
        message: `keymux knows no provider "${provider}", so these keys are unused; for an OpenAI-compatible one, add it to keymux.yaml under providers.${provider} with dialect: openai and baseUrl`,
      }),
    );
  }
  return out;
}
