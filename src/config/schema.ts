import { z } from 'zod';
import type { ProviderInfo } from '../providers/types.js';
import type { KeyConfig, StrategyName } from '../pool/index.js';
import { closest, splitList } from './util.js';
import { clientsSection, resolvedClientSchema } from './clients.js';

/** Dialects a custom provider may declare (Azure needs the catalog's azure_openai entry). */
export const CUSTOM_DIALECTS = ['openai', 'anthropic', 'gemini'] as const;
const DIALECTS = ['openai', 'anthropic', 'gemini', 'azure'] as const;

// The lists above must stay equal to the domain types they mirror.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type StrategiesMatch = Assert<Same<(typeof STRATEGIES)[number], StrategyName>>;
// A catalog entry's dialect, whatever src/providers names that type.
export type DialectsMatch = Assert<Same<(typeof DIALECTS)[number], ProviderInfo['dialect']>>;

export * from './leaves.js';
import {
  STRATEGIES, int, positive, durationMs, bodyLimit, port, bool, text, host, strategy, logLevel, url, webOrigin, list, stringMap, section, unknownFields, strict, redisUrl, USAGE_PLACES, storageType, prices, aliasMap,
} from './leaves.js';

// ---- the plain settings: one tree, layered defaults < file < env < flags by one generic merge ----

/**
 * Every plain setting, once. Adding one (`queue.foo`) is a field here and its value in DEFAULTS: the file then
 * accepts it (with unknown-field hints), the layers merge it, Config carries it. An env variable or a flag for it
 * is a row in ENV_SETTINGS / FLAG_SETTINGS. Each leaf is the one schema every layer's value goes through.
 */
export const settingsSchema = z.object({
  server: z.object({
    host,
    port,
    bodyLimit,
    requestTimeoutMs: durationMs(1),
    headersTimeoutMs: durationMs(1),
    /** Web origins allowed to call keymux from a browser (CORS); none by default. */
    cors: z.preprocess((v) => (typeof v === 'string' ? splitList(v) : v), z.array(webOrigin).readonly()),
    clientHeadersTimeoutMs: durationMs(1),
    clientRequestTimeoutMs: durationMs(1),
    keepAliveTimeoutMs: durationMs(1),
    maxConnections: int(1),
    maxUpstreamBodyBytes: bodyLimit,
  }),
  strategy,
  /**
   * maxAttempts: upstream attempts per request, across a fallback group's targets too (each target still gets
   * one). spillWaitMs: how long a group's target (all but the last) may make a request wait for a key before
   * it goes to the next target. `queue.tierWaitMs`: how long a request waits for a lower-tier key about to be
   * free before it spills to a higher tier.
   */
  retry: z.object({ maxAttempts: int(1, 100), spillWaitMs: durationMs(0) }),
  queue: z.object({ timeoutMs: durationMs(0), maxWaiting: int(0), tierWaitMs: durationMs(0) }),
  cooldown: z.object({ defaultMs: durationMs(0), maxMs: durationMs(0), quotaMs: durationMs(0) }),
  logLevel,
  /** Disabled keys are re-checked against their provider this often (0: never); a key that passes comes back half-open. */
  recovery: z.object({ recheckMs: durationMs(0) }),
  /** One JSON line per request and per upstream attempt in `path` (off without one), rotated at `maxBytes`, `keep` files. */
  requestLog: z.object({ path: text.optional(), maxBytes: bodyLimit, keep: int(1, 1_000) }),
  /**
   * Where pool state and usage live: `sqlite` (`<dataDir>/keymux.db`; the default of `keymux serve`) or `memory`
   * (nothing survives a restart; the library's default). `retentionDays` bounds the usage history.
   */
  storage: z.object({ type: storageType, dataDir: text, retentionDays: int(1, 36_500) }),
  prices,
  /**
   * The admin API (/admin): off while `keys` is empty. Keys added through it are stored sealed with AES-256-GCM
   * under a key derived from `encryptionKey`; without one they are refused unless `allowPlaintextKeys`.
   */
  admin: z.object({ keys: z.preprocess((v) => (typeof v === 'string' ? splitList(v) : v), z.array(text).readonly()), encryptionKey: text.optional(), allowPlaintextKeys: bool }),
  /**
   * Several replicas as one pool: with `url`, live pool state (cooldowns, disabled keys, learned budgets, windows,
   * in-flight counts) is shared in Redis and each admission is decided there atomically. `usage`: `local` (each
   * replica's storage) or `redis`. `leaseTtlMs`: how long the in-flight slots of a replica that died stay taken.
   * `timeoutMs`: a Redis slower than this cannot help now, and the request is decided on local state.
   */
  redis: z.object({
    url: redisUrl.optional(),
    prefix: text,
    usage: z.enum(USAGE_PLACES, { error: `expected one of ${USAGE_PLACES.join(', ')}` }),
    leaseTtlMs: durationMs(1_000),
    timeoutMs: durationMs(1),
  }),
});
export type Settings = z.output<typeof settingsSchema>;

/**
 * Defaults, the lowest layer; `satisfies` makes a setting without a default a compile error. Port 8080; host
 * 127.0.0.1, or 0.0.0.0 once proxy keys guard the endpoint (the one default that depends on another setting).
 */
export const DEFAULTS = {
  server: {
    port: 8080,
    host: '127.0.0.1',
    hostWithProxyKeys: '0.0.0.0',
    bodyLimit: 32 * 1024 * 1024,
    requestTimeoutMs: 600_000,
    /** Time to the first upstream byte. A non-streaming completion sends nothing until it is done, so this is long. */
    headersTimeoutMs: 300_000,
    cors: [],
    /** A client's whole request head; below Node's 60 s, since a socket that has not said who it is holds a slot. */
    clientHeadersTimeoutMs: 30_000,
    /** A client's whole request (head and body, never the answer): a 32 MB body at ~1 Mbit/s still fits. */
    clientRequestTimeoutMs: 300_000,
    /** Idle keep-alive: above the 60 s idle timeout of common load balancers, so keymux never closes a socket one of them is about to reuse. */
    keepAliveTimeoutMs: 65_000,
    /** Client sockets, idle ones included: beyond it new connections are closed at once (health checks too). */
    maxConnections: 4_096,
    /**
     * A non-streamed upstream body (answer or error) is buffered whole, so it is capped. The largest legitimate
     * ones are embedding batches: 2,048 inputs of 3,072 dimensions are ~34 MB as base64 (the OpenAI SDK's default)
     * — 64 MiB holds that with room; a longer body is a broken provider, answered 502.
     */
    maxUpstreamBodyBytes: 64 * 1024 * 1024,
  },
  strategy: 'default',
  retry: { maxAttempts: 3, spillWaitMs: 300 },
  queue: { timeoutMs: 30_000, maxWaiting: 1_000, tierWaitMs: 300 },
  cooldown: { defaultMs: 1_000, maxMs: 600_000, quotaMs: 3_600_000 },
  logLevel: 'info',
  recovery: { recheckMs: 3_600_000 },
  requestLog: { maxBytes: 100 * 1024 * 1024, keep: 5 },
  storage: { type: 'memory', dataDir: './data', retentionDays: 90 },
  prices: {},
  admin: { keys: [], allowPlaintextKeys: false },
  redis: { prefix: 'keymux:', usage: 'local', leaseTtlMs: 60_000, timeoutMs: 100 },
} as const satisfies Settings & { server: { hostWithProxyKeys: string } };

/** A path to one setting: `['server', 'port']`; typed so a table row cannot name a setting that does not exist. */
type PathsOf<T> = {
  [K in keyof T & string]: T[K] extends Record<string, unknown> ? readonly [K, ...PathsOf<T[K]>] : readonly [K];
}[keyof T & string];
export type SettingPath = PathsOf<Settings>;
/** The type of the setting at a path. */
export type SettingAt<P, T = Settings> = P extends readonly [infer H, ...infer R] ? (H extends keyof T ? SettingAt<R, T[H]> : never) : T;

/** Env variables over the file: the first of `vars` that is set wins; its text goes through the setting's schema. */
export const ENV_SETTINGS: readonly { vars: readonly string[]; path: SettingPath }[] = [
  { vars: ['KEYMUX_PORT', 'PORT'], path: ['server', 'port'] },
  { vars: ['KEYMUX_HOST'], path: ['server', 'host'] },
  { vars: ['KEYMUX_STRATEGY'], path: ['strategy'] },
  { vars: ['KEYMUX_LOG_LEVEL'], path: ['logLevel'] },
  { vars: ['KEYMUX_RECHECK_INTERVAL'], path: ['recovery', 'recheckMs'] },
  { vars: ['KEYMUX_REQUEST_LOG'], path: ['requestLog', 'path'] },
  { vars: ['KEYMUX_REQUEST_LOG_MAX_SIZE'], path: ['requestLog', 'maxBytes'] },
  { vars: ['KEYMUX_REQUEST_LOG_KEEP'], path: ['requestLog', 'keep'] },
  { vars: ['KEYMUX_STORAGE'], path: ['storage', 'type'] },
  { vars: ['KEYMUX_DATA_DIR'], path: ['storage', 'dataDir'] },
  { vars: ['KEYMUX_RETENTION_DAYS'], path: ['storage', 'retentionDays'] },
  { vars: ['KEYMUX_ADMIN_KEYS', 'KEYMUX_ADMIN_KEY'], path: ['admin', 'keys'] },
  { vars: ['KEYMUX_ENCRYPTION_KEY'], path: ['admin', 'encryptionKey'] },
  { vars: ['KEYMUX_ALLOW_PLAINTEXT_KEYS'], path: ['admin', 'allowPlaintextKeys'] },
  { vars: ['KEYMUX_REDIS_URL'], path: ['redis', 'url'] },
  { vars: ['KEYMUX_REDIS_PREFIX'], path: ['redis', 'prefix'] },
  { vars: ['KEYMUX_USAGE'], path: ['redis', 'usage'] },
];

/** Command-line flags, the highest layer: `--port` → server.port. */
export const FLAG_SETTINGS = { port: ['server', 'port'], host: ['server', 'host'], allowPlaintextKeys: ['admin', 'allowPlaintextKeys'] } as const satisfies Record<string, SettingPath>;
export type Flags = { [F in keyof typeof FLAG_SETTINGS]?: SettingAt<(typeof FLAG_SETTINGS)[F]> };

/** A settings node as the file writes it: every field optional, unknown fields named, an empty group absent. */
function fileSection(node: z.ZodType): z.ZodType {
  if (!(node instanceof z.ZodObject)) return node;
  const shape: Record<string, z.ZodType> = {};
  for (const [name, child] of Object.entries<z.ZodType>(node.shape)) {
    shape[name] = child instanceof z.ZodObject ? section(fileSection(child)) : child.optional();
  }
  return strict(shape);
}

/** The file's schema for each top-level setting (`server:`, `strategy:`), derived from settingsSchema. */
export const SETTING_SECTIONS: Readonly<Record<string, z.ZodType>> = Object.fromEntries(
  Object.entries<z.ZodType>(settingsSchema.shape).map(([name, node]) => [name, section(fileSection(node))]),
);

// ---- the file ----

const keyFields = {
  key: text,
  group: text.optional(),
  rpm: int(1).optional(),
  tpm: int(1).optional(),
  rpd: int(1).optional(),
  maxConcurrent: int(1).optional(),
  weight: positive.optional(),
  /** Spill order: tier 2 keys take what tier 1 keys cannot (pool/tiers.ts). */
  tier: int(1).optional(),
  label: text.optional(),
};
/** A key: the bare secret, or `{ key, rpm, tpm, rpd, maxConcurrent, weight, tier, group, label }`. */
export const keyItemSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { key: v } : v),
  z.strictObject(keyFields, {
    error: (iss) =>
      iss.code === 'invalid_type' ? 'expected a key, or { key: ..., rpm: ... }' : unknownFields(Object.keys(keyFields), true)(iss),
  }),
);

export const providerFields = {
  keys: list(keyItemSchema).optional(),
  baseUrl: url.optional(),
  /** Required for a provider name the catalog does not know. */
  dialect: z.enum(CUSTOM_DIALECTS, { error: `expected one of ${CUSTOM_DIALECTS.join(', ')}` }).optional(),
  strategy: strategy.optional(),
  label: text.optional(),
  /** A static model list, served by /v1/models instead of asking upstream. */
  models: list(text).optional(),
  /** Extra upstream headers. */
  headers: stringMap(z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), z.string())).optional(),
  /** Azure OpenAI: api-version query parameter. */
  apiVersion: text.optional(),
  /** Azure OpenAI: model name → deployment name. */
  deployments: stringMap(text).optional(),
  /** Whether limits are per (group, model); the catalog knows it for its providers, custom ones default to false. */
  limitsPerModel: z.boolean({ error: 'expected true or false' }).optional(),
};
/** One entry under `providers:`; `openai:` with nothing after it is an empty entry. */
export const providerSchema = z.preprocess((v) => v ?? {}, strict(providerFields));

/** The file's sections that are not plain settings: each has its own merge. */
export const sections = {
  /** Added to the env's proxy keys, not replaced by them. */
  proxyKeys: section(list(text)),
  /** Named proxy keys with limits (clients.ts). */
  clients: clientsSection,
  providers: section(z.record(z.string(), providerSchema, { error: 'expected a map of provider name: settings' })),
  /** Model aliases: `fast: groq/llama-3.1-8b-instant`, or a fallback group: `coder: [nvidia_nim/…, groq/…]`. */
  aliases: section(aliasMap),
  /** Same map under another name, for clients that hard-code model names; merged into `aliases`. */
  modelMap: section(aliasMap),
  /** Editors' JSON-schema pointer; ignored. */
  $schema: section(z.string()),
};
export const SECTION_NAMES = [...Object.keys(SETTING_SECTIONS), ...Object.keys(sections)];

export type ProviderEntry = z.output<typeof providerSchema>;

// ---- the resolved config ----

const resolvedKey = z.object({
  key: z.string(),
  group: z.string().optional(),
  rpm: z.number().optional(),
  tpm: z.number().optional(),
  rpd: z.number().optional(),
  maxConcurrent: z.number().optional(),
  weight: z.number().optional(),
  tier: z.number().optional(),
  label: z.string().optional(),
});
export type KeysMatch = Assert<Same<z.output<typeof resolvedKey>, KeyConfig>>;

export const resolvedProviderSchema = z.object({
  /** Canonical name (`gemini` even when the file says `google`); the custom name as written for custom providers. */
  name: z.string(),
  label: z.string(),
  dialect: z.enum(DIALECTS),
  baseUrl: z.string(),
  keys: z.array(resolvedKey),
  strategy: strategy.optional(),
  models: z.array(z.string()).optional(),
  headers: z.record(z.string(), z.string()).optional(),
  apiVersion: z.string().optional(),
  deployments: z.record(z.string(), z.string()).optional(),
  limitsPerModel: z.boolean(),
  custom: z.boolean(),
});

/** The shape of a loaded config; `loadConfig` builds it and `Config` is its frozen type. */
export const configSchema = settingsSchema.extend({
  /** Every key that opens the proxy: the `proxyKeys` (unlimited, unnamed) and the clients' keys. */
  proxyKeys: z.array(z.string()),
  /** The named clients, with their limits; their keys are in proxyKeys too. */
  clients: z.array(resolvedClientSchema),
  providers: z.array(resolvedProviderSchema),
  /** Model name → `provider/model` (aliases and modelMap merged). */
  aliases: z.record(z.string(), z.string()),
  /** Fallback groups: model name → its targets, in order, each `provider/model` (aliases among them resolved). */
  groups: z.record(z.string(), z.array(z.string())),
  /** Files read: the .env and the config file. */
  source: z.object({ files: z.array(z.string()) }),
  warnings: z.array(z.string()),
});

export type ResolvedConfig = z.output<typeof configSchema>;
export type ResolvedProvider = z.output<typeof resolvedProviderSchema>;

export type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The loaded configuration: validated, merged, deeply frozen. */
export type Config = DeepReadonly<ResolvedConfig>;
export type ProviderConfig = Config['providers'][number];
