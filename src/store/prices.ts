/**
 * Approximate cost of usage: list prices in USD per million tokens, per provider and model.
 *
 * Source: the providers' public pricing pages (openai.com/api/pricing, anthropic.com/pricing,
 * ai.google.dev/gemini-api/docs/pricing, api-docs.deepseek.com/quick_start/pricing), as read on PRICES_AS_OF:
 * standard (not batch) tier, Gemini's shortest-context tier, cache writes priced as plain input. Prices change:
 * a config's `prices` section overrides or extends this table, and a model found in neither costs nothing and
 * is flagged unpriced rather than guessed.
 */
export const PRICES_AS_OF = '2025-06-01';

export interface Price {
  /** Input (prompt) tokens, per million. */
  input: number;
  /** Output (completion, reasoning included) tokens, per million. */
  output: number;
  /** Input tokens read from the provider's prompt cache, per million; default: the input price. */
  cachedInput?: number;
}

/** `provider/model` → price, as a config writes overrides: `openai/gpt-4o: { input: 2.5, output: 10 }`. */
export type PriceOverrides = Readonly<Record<string, Readonly<Price>>>;

const BUILTIN: Readonly<Record<string, Readonly<Record<string, Price>>>> = {
  openai: {
    'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 },
    'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 },
    'gpt-4.1': { input: 2, output: 8, cachedInput: 0.5 },
    'gpt-4.1-mini': { input: 0.4, output: 1.6, cachedInput: 0.1 },
    'gpt-4.1-nano': { input: 0.1, output: 0.4, cachedInput: 0.025 },
    'o4-mini': { input: 1.1, output: 4.4, cachedInput: 0.275 },
    'o3-mini': { input: 1.1, output: 4.4, cachedInput: 0.55 },
  },
  anthropic: {
    'claude-opus-4': { input: 15, output: 75, cachedInput: 1.5 },
    'claude-sonnet-4': { input: 3, output: 15, cachedInput: 0.3 },
    'claude-3-7-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
    'claude-3-5-sonnet': { input: 3, output: 15, cachedInput: 0.3 },
    'claude-3-5-haiku': { input: 0.8, output: 4, cachedInput: 0.08 },
    'claude-3-haiku': { input: 0.25, output: 1.25, cachedInput: 0.03 },
  },
  gemini: {
    'gemini-2.5-pro': { input: 1.25, output: 10, cachedInput: 0.31 },
    'gemini-2.5-flash': { input: 0.3, output: 2.5, cachedInput: 0.075 },
    'gemini-2.0-flash': { input: 0.1, output: 0.4, cachedInput: 0.025 },
    'gemini-2.0-flash-lite': { input: 0.075, output: 0.3 },
    'gemini-1.5-flash': { input: 0.075, output: 0.3, cachedInput: 0.01875 },
  },
  deepseek: {
    'deepseek-chat': { input: 0.27, output: 1.1, cachedInput: 0.07 },
    'deepseek-reasoner': { input: 0.55, output: 2.19, cachedInput: 0.14 },
  },
};

/** Tokens of some usage, by Usage's conventions: `cachedTokens` is part of `inputTokens`. */
export interface Tokens {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
}

export class PriceTable {
  readonly #overrides = new Map<string, Map<string, Price>>();
  /** Lookups are per (provider, model) and few: remember each answer. */
  readonly #cache = new Map<string, Price | null>();

  constructor(overrides: PriceOverrides = {}) {
    for (const [name, price] of Object.entries(overrides)) {
      const slash = name.indexOf('/');
      if (slash <= 0) continue;
      const provider = name.slice(0, slash);
      let m = this.#overrides.get(provider);
      if (!m) this.#overrides.set(provider, (m = new Map()));
      m.set(name.slice(slash + 1), { ...price });
    }
  }

  /**
   * The price of a model: the config's first, then the built-in table; the exact name, else the longest
   * listed name it starts with followed by `-`, `@` or `:` (dated snapshots: `gpt-4o-2024-08-06` → `gpt-4o`).
   */
  priceOf(provider: string, model: string): Price | undefined {
    const id = `${provider}\u0000${model}`;
    const hit = this.#cache.get(id);
    if (hit !== undefined) return hit ?? undefined;
    const bare = model.startsWith('models/') ? model.slice('models/'.length) : model;
    const found = lookup(this.#overrides.get(provider), bare) ?? lookup(mapOf(BUILTIN[provider]), bare);
    this.#cache.set(id, found ?? null);
    return found;
  }

  /** Cost in USD, and whether the model had a price at all (unpriced usage costs 0). */
  cost(provider: string, model: string, t: Tokens): { usd: number; priced: boolean } {
    const p = this.priceOf(provider, model);
    if (!p) return { usd: 0, priced: false };
    const cached = Math.min(t.cachedTokens, t.inputTokens);
    const usd = ((t.inputTokens - cached) * p.input + cached * (p.cachedInput ?? p.input) + t.outputTokens * p.output) / 1e6;
    return { usd, priced: true };
  }
}

const maps = new WeakMap<object, Map<string, Price>>();
function mapOf(r: Readonly<Record<string, Price>> | undefined): Map<string, Price> | undefined {
  if (!r) return undefined;
  let m = maps.get(r);
  if (!m) maps.set(r, (m = new Map(Object.entries(r))));
  return m;
}

function lookup(table: ReadonlyMap<string, Price> | undefined, model: string): Price | undefined {
  if (!table) return undefined;
  const exact = table.get(model);
  if (exact) return exact;
  let best: string | undefined;
  for (const name of table.keys()) {
    if (model.length > name.length && model.startsWith(name) && '-@:'.includes(model[name.length]!) && (!best || name.length > best.length)) best = name;
  }
  return best === undefined ? undefined : table.get(best);
}
