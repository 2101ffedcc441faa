import { Agent } from 'undici';
import { KeyPool } from '../pool/index.js';
import type { Clock } from '../pool/clock.js';
import { adapterFor, findProvider } from '../providers/index.js';
import type { Dialect, ProviderAdapter, ProviderInfo } from '../providers/index.js';
import type { Config, ProviderConfig } from '../config/index.js';
import { HttpError } from './errors.js';

/** One configured provider, live: its catalog entry, adapter and key pool. */
export interface ProviderRuntime {
  readonly name: string;
  readonly info: ProviderInfo;
  readonly adapter: ProviderAdapter;
  readonly pool: KeyPool;
  config: ProviderConfig;
}

export interface ResolvedModel {
  provider: ProviderRuntime;
  /** The model name the provider knows (prefix stripped, alias applied). */
  model: string;
}

/**
 * The live state built from a config: pools per provider, the upstream connection pools, model aliases.
 * reload() applies a new config in place: pools that stay keep their keys' state and in-flight leases.
 */
export class Runtime {
  readonly providers = new Map<string, ProviderRuntime>();
  #dispatcher: Agent;
  #aliases: Record<string, string> = {};
  #clock: Clock | undefined;
  config: Config;

  constructor(config: Config, opts: { clock?: Clock } = {}) {
    this.#clock = opts.clock;
    this.config = config;
    this.#dispatcher = newAgent(config);
    this.apply(config);
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
    const seen = new Set<string>();
    for (const pc of config.providers) {
      seen.add(pc.name);
      const existing = this.providers.get(pc.name);
      const strategy = pc.strategy ?? config.strategy;
      if (existing && existing.info.dialect === pc.dialect) {
        existing.pool.setKeys(pc.keys);
        existing.pool.setStrategy(strategy);
        existing.config = pc;
        continue;
      }
      const info: ProviderInfo = findProvider(pc.name) ?? {
        name: pc.name,
        label: pc.label,
        aliases: [],
        dialect: pc.dialect,
        baseUrl: pc.baseUrl,
        limitsPerModel: pc.limitsPerModel,
      };
      const pool = new KeyPool({
        provider: pc.name,
        keys: pc.keys,
        strategy,
        limitsPerModel: pc.limitsPerModel,
        queueTimeoutMs: config.queue.timeoutMs,
        maxQueue: config.queue.maxWaiting,
        ...(config.cooldown.defaultMs !== undefined ? { defaultCooldownMs: config.cooldown.defaultMs } : {}),
        ...(config.cooldown.maxMs !== undefined ? { maxCooldownMs: config.cooldown.maxMs } : {}),
        ...(config.cooldown.quotaMs !== undefined ? { quotaCooldownMs: config.cooldown.quotaMs } : {}),
        ...(this.#clock ? { clock: this.#clock } : {}),
      });
      this.providers.set(pc.name, { name: pc.name, info: { ...info, dialect: pc.dialect }, adapter: adapterFor({ ...info, dialect: pc.dialect }), pool, config: pc });
      existing?.pool.close();
    }
    for (const [name, p] of this.providers) {
      if (!seen.has(name)) {
        this.providers.delete(name);
        p.pool.close();
      }
    }
  }

  /** Providers of one wire dialect (for dialect-native routes with bare model names). */
  ofDialect(dialect: Dialect): ProviderRuntime[] {
    return [...this.providers.values()].filter((p) => p.info.dialect === dialect);
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
    const slash = model.indexOf('/');
    if (slash > 0) {
      const head = model.slice(0, slash);
      const p = this.providers.get(head) ?? this.providers.get(findProvider(head)?.name ?? '');
      if (p) {
        const rest = model.slice(slash + 1);
        return { provider: p, model: p.info.vendorModels && !rest.includes('/') ? model : rest };
      }
    }
    const candidates = prefer ? this.ofDialect(prefer) : [];
    const pool = candidates.length > 0 ? candidates : [...this.providers.values()];
    if (pool.length === 1) return { provider: pool[0]!, model };
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
  }
}

function newAgent(config: Config): Agent {
  return new Agent({
    connections: 256,
    keepAliveTimeout: 30_000,
    headersTimeout: config.server.headersTimeoutMs,
    bodyTimeout: config.server.requestTimeoutMs,
  });
}
