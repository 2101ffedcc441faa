import { Agent } from 'undici';
import type { Dialect } from '../dialects/index.js';
import { KeyPool, systemClock, type Clock, type KeyConfig } from '../pool/index.js';
import { createAdapter, findProvider, resolveProfile } from '../providers/index.js';
import type { ProviderAdapter, ProviderInfo, ProviderProfile } from '../providers/index.js';
import type { Config, ProviderConfig } from '../config/index.js';
import { openStore, PriceTable, type Store } from '../store/index.js';
import { ClientLimiter } from '../clients/index.js';
import { openRedis, type Log, type SharedState } from '../store/redis-open.js';
import { HttpError } from './errors.js';

/** One configured provider, live: its adapter (over its profile) and key pool. A reload replaces the adapter. */
export interface ProviderRuntime {
  readonly name: string;
  adapter: ProviderAdapter;
  readonly pool: KeyPool;
  config: ProviderConfig;
}

export interface ResolvedModel {
  provider: ProviderRuntime;
  /** The model name the provider knows (prefix stripped, alias applied). */
  model: string;
}

/** A fallback group: the name clients ask for, and its targets (`provider/model`) in the order they are tried. */
export interface Group {
  readonly name: string;
  readonly targets: readonly string[];
}

/** Timings only the attempt sees, for metrics (metrics.ts); absent, they cost nothing. */
export interface UpstreamObserver {
  ttfb(provider: string, model: string, ms: number): void;
  queueWait(provider: string, ms: number): void;
}

/**
 * The live state built from a config: pools per provider, the upstream connection pools, model aliases.
 * reload() applies a new config in place: pools that stay keep their keys' state and in-flight leases.
 */
export class Runtime {
  readonly providers = new Map<string, ProviderRuntime>();
  #dispatcher: Agent;
  #aliases: Record<string, string> = {};
  #groups = new Map<string, Group>();
  /** The one clock of the server: pools, classification and retry hints all read it. */
  readonly clock: Clock;
  config: Config;
  /** Where every pool's state and usage go (config.storage), kept across reloads. */
  readonly store: Store;
  /** Settles once the store is open and the first pools loaded their state from it; rejects if it cannot open. */
  readonly ready: Promise<void>;
  readonly #ownsStore: boolean;
  /** Keys added through the admin API, per provider: served beside the configured ones, across reloads. */
  readonly #added = new Map<string, readonly KeyConfig[]>();

  /** With redis.url: the admission every pool asks, shared with the other replicas. */
  readonly #admission: SharedState['admission'] | undefined;
  /** Set by the server when it keeps metrics. */
  observer: UpstreamObserver | undefined;
  /** The clients' own limits (config.clients), checked before a key is acquired; kept across reloads. */
  readonly clients: ClientLimiter;
  /** The usage price table (config.prices): what a client's spend is counted in. */
  #prices: PriceTable;
  #pricesFrom: Config['prices'];
  /** Told of every pool the runtime makes, at start and on reloads (see eachPool). */
  readonly #poolWatchers: Array<(provider: string, pool: KeyPool) => void> = [];

  /** `store` replaces the one config.storage names (the caller then closes it). `log` hears of Redis going and coming. */
  constructor(config: Config, opts: { clock?: Clock; store?: Store; log?: Log } = {}) {
    this.clock = opts.clock ?? systemClock;
    this.config = config;
    this.#dispatcher = newAgent(config);
    const s = opts.store ? { store: opts.store, opened: Promise.resolve() } : openStore({ ...config.storage, prices: config.prices });
    // Several replicas as one pool: live state in Redis and admissions decided there; usage stays in storage
    // unless redis.usage says otherwise. A reload does not move a running server to or from Redis.
    const { url, ...redis } = config.redis;
    const clock = this.clock;
    const shared = url !== undefined && !opts.store
      ? openRedis({ ...redis, url }, s.store, { now: () => clock.now(), retentionDays: config.storage.retentionDays, prices: config.prices, ...(opts.log ? { log: opts.log } : {}) })
      : undefined;
    if (shared) s.opened = Promise.all([s.opened, shared.opened]).then(() => undefined);
    this.store = shared?.store ?? s.store;
    this.#admission = shared?.admission;
    this.#ownsStore = !opts.store;
    this.#pricesFrom = config.prices;
    this.#prices = new PriceTable(config.prices);
    this.clients = new ClientLimiter(config.clients, this.clock, (provider, model, u) =>
      this.#prices.cost(provider, model, { inputTokens: u.inputTokens ?? 0, outputTokens: u.outputTokens ?? 0, cachedTokens: u.cachedTokens ?? 0 }).usd,
    );
    this.apply(config);
    const pools = [...this.providers.values()].map((p) => p.pool.ready);
    this.ready = s.opened.then(() => Promise.all(pools)).then(() => undefined);
    this.ready.catch(() => {}); // listen() reports it; a runtime nobody listens with must not crash the process
  }

  /** The upstream connection pools. Taken per attempt: a reload that changes timeouts swaps it for new requests. */
  get dispatcher(): Agent {
    return this.#dispatcher;
  }

  apply(config: Config): void {
    const was = this.config.server;
    if (was.headersTimeoutMs !== config.server.headersTimeoutMs || was.requestTimeoutMs !== config.server.requestTimeoutMs) {
      const old = this.#dispatcher;
      this.#dispatcher = newAgent(config);
      // close() lets the requests already on the old agent (streams included) finish first.
      old.close().catch(() => {});
    }
    this.config = config;
    this.#aliases = { ...config.aliases };
    if (config.prices !== this.#pricesFrom) this.#prices = new PriceTable((this.#pricesFrom = config.prices));
    this.clients.setClients(config.clients);
    this.#groups = new Map(Object.entries(config.groups).map(([name, targets]) => [name, { name, targets }]));
    const seen = new Set<string>();
    for (const pc of config.providers) {
      seen.add(pc.name);
      const existing = this.providers.get(pc.name);
      const strategy = pc.strategy ?? config.strategy;
      const adapter = createAdapter(profileOf(pc));
      if (existing && existing.adapter.profile.wire === adapter.profile.wire) {
        existing.pool.setKeys(this.keysOf(pc));
        existing.pool.setStrategy(strategy);
        existing.config = pc;
        existing.adapter = adapter;
        continue;
      }
      const pool = new KeyPool({
        provider: pc.name,
        keys: this.keysOf(pc),
        strategy,
        limitsPerModel: pc.limitsPerModel,
        queueTimeoutMs: config.queue.timeoutMs,
        maxQueue: config.queue.maxWaiting,
        tierWaitMs: config.queue.tierWaitMs,
        ...(config.cooldown.defaultMs !== undefined ? { defaultCooldownMs: config.cooldown.defaultMs } : {}),
        ...(config.cooldown.maxMs !== undefined ? { maxCooldownMs: config.cooldown.maxMs } : {}),
        ...(config.cooldown.quotaMs !== undefined ? { quotaCooldownMs: config.cooldown.quotaMs } : {}),
        clock: this.clock,
        store: this.store,
        ...(this.#admission ? { admission: this.#admission } : {}),
      });
      this.providers.set(pc.name, { name: pc.name, adapter, pool, config: pc });
      for (const w of this.#poolWatchers) w(pc.name, pool);
      existing?.pool.close();
    }
    for (const [name, p] of this.providers) {
      if (!seen.has(name)) {
        this.providers.delete(name);
        p.pool.close();
      }
    }
  }

  /** A provider's keys: the configured ones, then those added at run time. */
  keysOf(pc: ProviderConfig): ReadonlyArray<ProviderConfig['keys'][number] | KeyConfig> {
    const added = this.#added.get(pc.name);
    return added && added.length > 0 ? [...pc.keys, ...added] : pc.keys;
  }

  /** Replaces the keys added at run time to a provider (the admin API) and hands the whole list to its pool. */
  setAdded(provider: string, keys: readonly KeyConfig[]): void {
    this.#added.set(provider, keys);
    const p = this.providers.get(provider);
    if (p) p.pool.setKeys(this.keysOf(p.config));
  }

  /**
   * Calls `watch` for every pool there is now and for every pool a reload makes later, once each: listeners on
   * pool events (metrics, logs, stats) need no re-arming after a reload.
   */
  eachPool(watch: (provider: string, pool: KeyPool) => void): void {
    this.#poolWatchers.push(watch);
    for (const p of this.providers.values()) watch(p.name, p.pool);
  }

  /** Providers of one wire dialect (for dialect-native routes with bare model names). */
  ofDialect(dialect: Dialect): ProviderRuntime[] {
    return [...this.providers.values()].filter((p) => p.adapter.profile.dialect === dialect);
  }

  /** The fallback group a model name names, if it names one (one map lookup: the plain path's only cost). */
  group(model: unknown): Group | undefined {
    return typeof model === 'string' ? this.#groups.get(model) : undefined;
  }

  /** Every fallback group, in config order. */
  groups(): IterableIterator<Group> {
    return this.#groups.values();
  }

  /** Whether a group's target has its provider configured now (keys, after the last reload). */
  hasProviderOf(target: string): boolean {
    const slash = target.indexOf('/');
    return slash > 0 && this.providers.has(target.slice(0, slash));
  }

  /**
   * A group's target, `provider/model` with a canonical provider name (the config checked that): unlike a
   * client's model name it never falls to the only provider, so a target whose provider has no keys now is
   * refused (the group skips it) rather than sent somewhere else.
   */
  resolveTarget(target: string): ResolvedModel {
    const slash = target.indexOf('/');
    const p = slash > 0 ? this.providers.get(target.slice(0, slash)) : undefined;
    if (!p) throw new HttpError('KMX_ERR_UNKNOWN_MODEL', `"${target}": its provider is not configured (no keys)`);
    return { provider: p, model: ownModel(p, target, target.slice(slash + 1)) };
  }

  /**
   * `provider/model` (split at the first slash; provider by canonical name or alias), an alias from the
   * config, or a bare model when exactly one provider (of the preferred dialect, for dialect-native routes) is there.
   */
  resolve(model: unknown, prefer?: Dialect): ResolvedModel {
    if (typeof model !== 'string' || !model) {
      throw new HttpError('KMX_ERR_BAD_REQUEST', 'The request has no "model"; address models as provider/model');
    }
    const aliased = this.#aliases[model];
    if (aliased !== undefined && aliased !== model) return this.resolve(aliased, prefer);
    // A group where one target is wanted (counting tokens, routes that do not fall over): its first live one.
    const group = this.#groups.get(model);
    if (group !== undefined) {
      const first = group.targets.find((t) => this.hasProviderOf(t));
      if (first === undefined) throw new HttpError('KMX_ERR_NO_KEYS', `${model}: no target of the group has a configured provider`);
      return this.resolveTarget(first);
    }
    const slash = model.indexOf('/');
    const head = slash > 0 ? model.slice(0, slash) : undefined;
    if (head !== undefined) {
      const p = this.providers.get(head) ?? this.providers.get(findProvider(head)?.name ?? '');
      if (p) {
        return { provider: p, model: ownModel(p, model, model.slice(slash + 1)) };
      }
    }
    const candidates = prefer ? this.ofDialect(prefer) : [];
    const pool = candidates.length > 0 ? candidates : [...this.providers.values()];
    const only = pool.length === 1 ? pool[0]! : undefined;
    if (only && (head === undefined || mayOwn(only, model, head))) return { provider: only, model };
    if (only) {
      // `opnai/gpt-4o` or `nosuch/x`: a typo'd or unconfigured provider, not a model id of this one.
      throw new HttpError(
        'KMX_ERR_UNKNOWN_MODEL',
        `Unknown model "${model}": "${head}" is not a configured provider, and ${only.name}'s model ids carry no such prefix; address models as provider/model, one of the configured providers: ${[...this.providers.keys()].join(', ')}`,
      );
    }
    throw new HttpError(
      'KMX_ERR_UNKNOWN_MODEL',
      this.providers.size === 0
        ? `Unknown model "${model}": no provider is configured (set e.g. OPENAI_API_KEYS)`
        : `Unknown model "${model}": address it as provider/model, one of the configured providers: ${[...this.providers.keys()].join(', ')}`,
    );
  }

  async close(): Promise<void> {
    for (const p of this.providers.values()) p.pool.close();
    await this.#dispatcher.close();
    // After the pools: their last usage and learned limits are handed over first, and written on close.
    if (this.#ownsStore) await this.store.close();
  }
}

/** The provider's id for `head/rest`: NIM's `nvidia/llama-…` is its own whole id when nothing follows another slash. */
function ownModel(p: ProviderRuntime, whole: string, rest: string): string {
  return p.adapter.profile.vendorModels && !rest.includes('/') ? whole : rest;
}

/**
 * Whether `head/…` may be one of the provider's own model ids, so goes to it whole. OpenAI's and Anthropic's ids
 * never have a slash (and Gemini's only its collections'), so there it is a mistyped or unconfigured provider; a
 * custom provider's ids are unknown to keymux (vLLM serves `meta-llama/…`), and a listed model is the provider's.
 */
function mayOwn(p: ProviderRuntime, model: string, head: string): boolean {
  return p.adapter.profile.ownsId(head) || p.config.custom || (p.config.models?.includes(model) ?? false);
}

/** A configured provider's profile: its catalog entry (or the custom one the config describes) with its settings. */
function profileOf(pc: ProviderConfig): ProviderProfile {
  const catalog = findProvider(pc.name);
  const info: ProviderInfo = catalog && catalog.dialect === pc.dialect
    ? catalog
    : { name: pc.name, label: pc.label, aliases: [], dialect: pc.dialect, baseUrl: pc.baseUrl, limitsPerModel: pc.limitsPerModel };
  return resolveProfile(info, {
    label: pc.label,
    baseUrl: pc.baseUrl,
    limitsPerModel: pc.limitsPerModel,
    ...(pc.apiVersion !== undefined && { apiVersion: pc.apiVersion }),
    ...(pc.deployments !== undefined && { deployments: pc.deployments }),
    ...(pc.headers !== undefined && { headers: pc.headers }),
  });
}

function newAgent(config: Config): Agent {
  return new Agent({
    connections: 256,
    keepAliveTimeout: 30_000,
    headersTimeout: config.server.headersTimeoutMs,
    bodyTimeout: config.server.requestTimeoutMs,
  });
}
