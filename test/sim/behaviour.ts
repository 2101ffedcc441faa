// Per-key behaviour of the simulated provider and the admission gate every request passes.
import { QuotaModel, type HeaderStyle, type QuotaKind, type QuotaSpec } from './quota-model.js';

export type Dialect = 'openai' | 'anthropic' | 'gemini';
/** Which OpenAI-compatible provider the OpenAI dialect imitates (headers, 429 and error shapes). */
export type Flavor = 'openai' | 'nvidia_nim' | 'openrouter' | 'groq' | 'gemini_openai' | 'mistral' | 'deepseek';

export interface KeyBehaviour {
  rpm?: number;
  tpm?: number;
  /** The window of rpm/tpm when it is not a minute (QuotaSpec.windowMs). */
  windowMs?: number;
  rpd?: number;
  maxConcurrent?: number;
  /** Keys of one group share one QuotaModel (the first key of the group to be used supplies the limits). */
  group?: string;
  /** Quota is per (group, model), as Gemini's per-project-per-model limits. */
  perModel?: boolean;
  /** Shift of the daily reset boundary; default UTC midnight, Gemini dialects midnight PST (8h). */
  dayOffsetMs?: number;
  /** Rejected requests also consume the per-minute request bucket (OpenAI counts failed requests). */
  countRejected?: boolean;
  /** → the dialect's invalid-key error. */
  revoked?: boolean;
  /**
   * → the dialect's quota/billing error. `true` = the default variant; a string picks one:
   * OpenAI a code (`insufficient_quota`, `credit_balance_exhausted`, `organization_spend_limit_exceeded`, …);
   * Anthropic `billing` (402, default), `spend_limit` (429 enforced_spend_limit_reached), `usage_limits` (400).
   */
  quotaExhausted?: boolean | string;
  /** 5xx with this probability (seeded RNG). */
  failRate?: number;
  /** Provider-load error with this probability: OpenAI 503, Anthropic 529, Gemini 429 without QuotaFailure. */
  overloadRate?: number;
  /** Delay before the response headers (after admission: counts as in flight). */
  latencyMs?: number;
  /** Delay between stream events. */
  chunkDelayMs?: number;
  /** Streams: end with the dialect's error event after this many content chunks. */
  breakAfterChunks?: number;
  /** How a broken stream ends: 'error' = an error event, then end (default); 'reset' = destroy the socket. */
  breakMode?: 'error' | 'reset';
  /** No response at all for that long (before anything else, even auth). */
  hangMs?: number;
  /** OpenAI dialect (DeepSeek under load): send 200 then `: keep-alive` comments / blank lines for that long. */
  keepAliveMs?: number;
}

export type Verdict =
  | { type: 'ok'; b: KeyBehaviour; headers: Record<string, string>; release: () => void }
  | { type: 'invalid_key'; reason: 'missing' | 'unknown' | 'revoked' }
  | { type: 'quota'; b: KeyBehaviour; variant: string | undefined }
  | {
      type: 'rate_limited';
      b: KeyBehaviour;
      kind: QuotaKind;
      retryAfterMs: number;
      headers: Record<string, string>;
      limit: number;
      requested: number;
    }
  | { type: 'server_error'; b: KeyBehaviour; headers: Record<string, string> }
  | { type: 'overloaded'; b: KeyBehaviour; headers: Record<string, string> };

export type InvalidKey = Extract<Verdict, { type: 'invalid_key' }>;

/** Rate-limit header style of each flavor (PROVIDERS.md). */
export function headerStyleFor(dialect: Dialect, flavor: Flavor): HeaderStyle {
  if (dialect === 'anthropic') return 'anthropic';
  if (dialect === 'gemini') return 'none';
  if (flavor === 'openai') return 'openai';
  if (flavor === 'groq') return 'groq';
  return 'none'; // NIM, DeepSeek, Gemini's OpenAI endpoint; OpenRouter puts them in the 429 body; Mistral: not modelled
}

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;
const noop = (): void => {};

function hasLimits(b: KeyBehaviour): boolean {
  return b.rpm !== undefined || b.tpm !== undefined || b.rpd !== undefined || b.maxConcurrent !== undefined;
}

export class KeyRegistry {
  private readonly keys = new Map<string, KeyBehaviour>();
  private quotas = new Map<string, QuotaModel>();
  private random: () => number;

  constructor(
    keys: Record<string, KeyBehaviour>,
    private readonly now: () => number,
    private readonly seed: number,
  ) {
    for (const [k, b] of Object.entries(keys)) this.keys.set(k, { ...b });
    this.random = rng(seed);
  }

  get(key: string): KeyBehaviour | undefined {
    return this.keys.get(key);
  }

  /** Replace a key's behaviour (or add a key). Its group's quota state (old and new group) starts afresh. */
  set(key: string, b: KeyBehaviour): void {
    const old = this.keys.get(key);
    this.keys.set(key, { ...b });
    const scopes = new Set([this.scopeOf(key, old), this.scopeOf(key, b)]);
    for (const id of [...this.quotas.keys()]) {
      const scope = id.split('\0')[1];
      if (scope !== undefined && scopes.has(scope)) this.quotas.delete(id);
    }
  }

  delete(key: string): void {
    this.keys.delete(key);
  }

  list(): string[] {
    return [...this.keys.keys()];
  }

  /** Forget all quota state and restart the RNG. */
  reset(): void {
    this.quotas = new Map();
    this.random = rng(this.seed);
  }

  /** The invalid-key verdict for a key that is missing, unknown or revoked; undefined for a usable key. */
  auth(key: string | undefined): InvalidKey | undefined {
    if (key === undefined || key === '') return { type: 'invalid_key', reason: 'missing' };
    const b = this.keys.get(key);
    if (!b) return { type: 'invalid_key', reason: 'unknown' };
    if (b.revoked) return { type: 'invalid_key', reason: 'revoked' };
    return undefined;
  }

  /** Decide what happens to one request of `key` for `model` costing `tokens`. */
  gate(key: string | undefined, dialect: Dialect, style: HeaderStyle, model: string, tokens: number): Verdict {
    const invalid = this.auth(key);
    if (invalid) return invalid;
    const b = this.keys.get(key as string) as KeyBehaviour;
    if (b.quotaExhausted) {
      return { type: 'quota', b, variant: typeof b.quotaExhausted === 'string' ? b.quotaExhausted : undefined };
    }
    let headers = NO_HEADERS;
    let release = noop;
    if (hasLimits(b)) {
      const q = this.quota(key as string, b, dialect, style, model);
      const r = q.admit(tokens);
      if (!r.ok) {
        const limit =
          r.kind === 'requests' ? b.rpm : r.kind === 'tokens' ? b.tpm : r.kind === 'day' ? b.rpd : b.maxConcurrent;
        return {
          type: 'rate_limited',
          b,
          kind: r.kind,
          retryAfterMs: r.retryAfterMs,
          headers: r.headers,
          limit: limit ?? 0,
          requested: r.kind === 'tokens' ? tokens : 1,
        };
      }
      headers = r.headers;
      let done = false;
      release = () => {
        if (!done) {
          done = true;
          q.release();
        }
      };
    }
    if (b.overloadRate && this.random() < b.overloadRate) {
      release();
      return { type: 'overloaded', b, headers };
    }
    if (b.failRate && this.random() < b.failRate) {
      release();
      return { type: 'server_error', b, headers };
    }
    return { type: 'ok', b, headers, release };
  }

  private scopeOf(key: string, b: KeyBehaviour | undefined): string {
    return b?.group !== undefined ? `g:${b.group}` : `k:${key}`;
  }

  private quota(key: string, b: KeyBehaviour, dialect: Dialect, style: HeaderStyle, model: string): QuotaModel {
    const id = `${style}\0${this.scopeOf(key, b)}\0${b.perModel ? model : ''}`;
    let q = this.quotas.get(id);
    if (!q) {
      const spec: QuotaSpec = {
        rpm: b.rpm,
        tpm: b.tpm,
        windowMs: b.windowMs,
        rpd: b.rpd,
        maxConcurrent: b.maxConcurrent,
        headers: style,
        dayOffsetMs: b.dayOffsetMs ?? (dialect === 'gemini' ? 8 * 3_600_000 : 0),
        countRejected: b.countRejected,
      };
      q = new QuotaModel(spec, this.now);
      this.quotas.set(id, q);
    }
    return q;
  }
}
