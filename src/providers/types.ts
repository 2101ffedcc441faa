import type { LearnedLimits, Outcome, Usage } from '../pool/outcome.js';

/** The wire dialects keymux speaks to providers. */
export type Dialect = 'openai' | 'anthropic' | 'gemini' | 'azure';

/** Response headers as undici and node:http give them: lower-case names. */
export type Headers = Record<string, string | string[] | undefined>;

/** What came back from one upstream attempt, as the adapter sees it. */
export type UpstreamResult =
  | {
      status: number;
      headers: Headers;
      /** Parsed JSON body when it parsed, else the raw text (possibly empty); undefined when not read (a 2xx stream). */
      body?: unknown;
    }
  | { error: Error & { code?: string } };

export interface ClassifyContext {
  /** Epoch ms of the response, from the pool's clock (HTTP-date retry-after and RFC 3339 resets need it). */
  now: number;
  model?: string;
}

/** A provider entry in the catalog. */
export interface ProviderInfo {
  /** Canonical name, lower-case with underscores: `openai`, `nvidia_nim`. Model prefix and env prefix derive from it. */
  name: string;
  /** Other names users type (`google` for gemini, `nvidia` for nvidia_nim): env prefixes and model prefixes. */
  aliases: readonly string[];
  dialect: Dialect;
  /** Default base URL. For openai-dialect providers it includes the version path (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** Whether the provider's limits are per (group, model) rather than per group. */
  limitsPerModel: boolean;
  /**
   * The provider's own model ids are `vendor/name` (NVIDIA NIM, OpenRouter, Together). Then `nvidia/x`, with no
   * second slash, is the model `nvidia/x` itself and not the prefix `nvidia/` before a model `x`.
   */
  vendorModels?: boolean;
  /** Display name. */
  label: string;
  /** Azure: the api-version query parameter its data-plane URLs need (default in request.ts). */
  apiVersion?: string;
}

/** Translates one provider's world (auth, limit headers, error bodies) into keymux's vocabulary. */
export interface ProviderAdapter {
  readonly dialect: Dialect;
  /** The catalog entry this adapter was built for (its quirks are chosen by it). */
  readonly provider?: ProviderInfo;
  /** Headers that carry the key (and any fixed headers the dialect needs, like anthropic-version). */
  authHeaders(key: string): Record<string, string>;
  /** Exactly one outcome for an attempt's result. For a 2xx, usage is read from the body when present. */
  classify(result: UpstreamResult, ctx: ClassifyContext): Outcome;
  /** Limits learned from a response's headers, or undefined when it carried none. */
  parseLimits(headers: Headers, ctx: ClassifyContext): LearnedLimits | undefined;
  /** Usage from a complete (non-streaming) success body. */
  usageFromBody(body: unknown): Usage | undefined;
  /** The quota group (organization/project) the response names, when it names one. */
  groupFromHeaders(headers: Headers): string | undefined;
  /** The upstream request id for the request log (`x-request-id`, Anthropic `request-id` / body `request_id`). */
  requestIdFrom?(headers: Headers, body?: unknown): string | undefined;
}
