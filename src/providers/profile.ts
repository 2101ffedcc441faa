import type { Dialect } from '../dialects/index.js';
import { findProvider } from './catalog.js';
import { GROQ_FAMILIES, type HeaderFamily, MISTRAL_FAMILIES, OPENAI_FAMILIES } from './limits.js';
import { drop, dropMessageField, rename, type SanitizeRule } from './sanitize.js';
import type { ProviderInfo, Wire } from './types.js';

/**
 * What sets one provider apart from others of its dialect. Each flag is a behaviour, named for what it does,
 * so the classifier asks "are limits in the 429 body?" and never "is this OpenRouter?".
 */
export interface Quirks {
  /** Which rate-limit header table it speaks (Groq's request limit is per day; Mistral counts by size). */
  families: readonly HeaderFamily[];
  /** A 429's X-RateLimit-* arrive inside the body, at `error.metadata.headers`, reset in epoch ms (OpenRouter). */
  limitsInBody: boolean;
  /** A 429 that names an upstream `provider_name` is that upstream's load, relayed, not this key's quota (OpenRouter). */
  relayed429IsOverload: boolean;
  /** A 403 is moderation flagging the input: the request's fault, not the key's (OpenRouter). */
  moderation403: boolean;
  /** Every rate limit belongs to a model: quotas are per deployment (Azure). */
  rateLimitsPerModel: boolean;
  /** Rate limits also arrive as error code `1300` / type `rate_limited`, whatever the status (Mistral). */
  rateLimitCode: boolean;
  /** Request-parameter fixes for OpenAI-dialect chat bodies (sanitize.ts). */
  sanitize: readonly SanitizeRule[];
}

const PLAIN: Quirks = {
  families: OPENAI_FAMILIES,
  limitsInBody: false,
  relayed429IsOverload: false,
  moderation403: false,
  rateLimitsPerModel: false,
  rateLimitCode: false,
  sanitize: [],
};

const MISTRAL_422 = 'Mistral forbids extra inputs (422 extra_forbidden): eca#231, openclaude#739';
const NIM_SCHEMA = 'NIM schema additionalProperties false; OpenAI-platform only';

/**
 * One row per provider that differs from its dialect's plain behaviour (the rest get PLAIN). A sanitising rule
 * exists only where a provider is documented or reported to reject (or silently ignore) a parameter that OpenAI
 * clients send; each cites its source. What cannot be fixed (Groq's n > 1) is left for the provider to refuse.
 */
const QUIRKS: Readonly<Record<string, Partial<Quirks>>> = {
  groq: {
    families: GROQ_FAMILIES,
    sanitize: [
      // console.groq.com/docs/openai: "not supported and will result in a 400 error".
      drop('logprobs', 'console.groq.com/docs/openai'),
      drop('top_logprobs', 'console.groq.com/docs/openai'),
      drop('logit_bias', 'console.groq.com/docs/openai'),
      dropMessageField('name', 'console.groq.com/docs/openai: messages[].name'),
    ],
  },
  mistral: {
    families: MISTRAL_FAMILIES,
    rateLimitCode: true,
    sanitize: [
      rename('max_completion_tokens', 'max_tokens', MISTRAL_422),
      // Mistral's name for the sampling seed (docs.mistral.ai/api; LiteLLM's Mistral mapping).
      rename('seed', 'random_seed', 'docs.mistral.ai/api: random_seed'),
      // Mistral streams usage in the last chunk by default (avante.nvim#2347, litellm#8978).
      drop('stream_options', 'Mistral 422 on stream_options.include_usage: avante.nvim#2347'),
      drop('store', MISTRAL_422),
      // OpenAI-platform bookkeeping with no meaning at Mistral; its schema rejects unknown fields.
      drop('metadata', MISTRAL_422),
      drop('service_tier', MISTRAL_422),
      drop('user', MISTRAL_422),
    ],
  },
  nvidia_nim: {
    sanitize: [
      // NIM model schemas name max_tokens and set additionalProperties: false (can1357/oh-my-pi#2299).
      rename('max_completion_tokens', 'max_tokens', 'NIM schema: max_tokens, additionalProperties false'),
      drop('store', NIM_SCHEMA),
      drop('metadata', NIM_SCHEMA),
      drop('service_tier', NIM_SCHEMA),
    ],
  },
  deepseek: {
    // DeepSeek's API reference documents max_tokens only; an unknown max_completion_tokens would not cap output.
    sanitize: [rename('max_completion_tokens', 'max_tokens', 'api-docs.deepseek.com: max_tokens')],
  },
  cerebras: {
    // Cerebras OpenAI-compatibility notes list these as 400s. Its penalties are left alone: newer docs accept them.
    sanitize: [
      drop('logit_bias', 'inference-docs.cerebras.ai/resources/openai'),
      drop('parallel_tool_calls', 'inference-docs.cerebras.ai/resources/openai'),
      drop('service_tier', 'inference-docs.cerebras.ai/resources/openai'),
    ],
  },
  openrouter: { limitsInBody: true, relayed429IsOverload: true, moderation403: true },
  /**
   * Azure OpenAI speaks OpenAI's bodies in its own envelope (request.ts: `api-key`, deployment paths,
   * `api-version`). A 429 reads `{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation
   * … have exceeded token rate limit … Please retry after 6 seconds."}}` with `retry-after(-ms)`; its quota
   * belongs to a deployment, i.e. one model.
   */
  azure_openai: { rateLimitsPerModel: true },
};

/** The sanitising rules of every provider that has some, by identity. */
export const SANITIZE_RULES: Readonly<Record<string, readonly SanitizeRule[]>> = Object.fromEntries(
  Object.entries(QUIRKS).flatMap(([name, q]) => (q.sanitize?.length ? [[name, q.sanitize]] : [])),
);

/** Hosts that identify a provider when it is configured under another name: a custom `fastllama` at api.groq.com is Groq. */
const HOSTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/(^|\.)groq\.com$/, 'groq'],
  [/(^|\.)openrouter\.ai$/, 'openrouter'],
  [/(^|\.)mistral\.ai$/, 'mistral'],
  [/(^|\.)nvidia\.com$/, 'nvidia_nim'],
  [/(^|\.)deepseek\.com$/, 'deepseek'],
  [/(^|\.)cerebras\.ai$/, 'cerebras'],
];

/** Per-provider settings from the configuration that change how it is reached. */
export interface ProfileSettings {
  label?: string;
  baseUrl?: string;
  apiVersion?: string;
  deployments?: Readonly<Record<string, string>>;
  headers?: Readonly<Record<string, string>>;
  limitsPerModel?: boolean;
}

/** One configured provider, resolved once: everything provider-specific is read from here. */
export interface ProviderProfile {
  /** The configured name (canonical for catalog providers). */
  readonly name: string;
  readonly label: string;
  readonly aliases: readonly string[];
  /** The dialect clients and translation see: Azure speaks OpenAI's. */
  readonly dialect: Dialect;
  /** How requests are put on the wire (request.ts). */
  readonly wire: Wire;
  readonly baseUrl: string;
  readonly apiVersion?: string;
  readonly deployments?: Readonly<Record<string, string>>;
  /** Extra upstream headers from the configuration. */
  readonly headers: Readonly<Record<string, string>>;
  readonly limitsPerModel: boolean;
  /** Model ids are `vendor/name` (see ProviderInfo.vendorModels). */
  readonly vendorModels: boolean;
  /** Whether `head/rest`, with a head that names no provider, may be one of its own ids (vendor ids, slash ids, id collections). */
  ownsId(head: string): boolean;
  /** Serves `/responses` natively (OpenAI, Azure); for every other provider keymux translates Responses to chat. */
  readonly responsesApi: boolean;
  /** Whose quirks apply: the catalog name, else the provider its base URL's host betrays. */
  readonly identity: string;
  readonly quirks: Quirks;
}

function identityOf(info: ProviderInfo, baseUrl: string): string {
  if (info.dialect === 'azure') return 'azure_openai';
  if (findProvider(info.name)?.name === info.name) return info.name;
  let host = '';
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return info.name;
  }
  return HOSTS.find(([re]) => re.test(host))?.[1] ?? info.name;
}

/** Resolves a provider's profile from its catalog entry (or a custom one) and its configured settings. */
export function resolveProfile(info: ProviderInfo, s: ProfileSettings = {}): ProviderProfile {
  const baseUrl = s.baseUrl || info.baseUrl;
  const identity = identityOf(info, baseUrl);
  const row = QUIRKS[identity] ?? {};
  const quirks: Quirks = { ...PLAIN, ...row };
  const apiVersion = s.apiVersion ?? info.apiVersion;
  return Object.freeze({
    name: info.name,
    label: s.label ?? info.label,
    aliases: info.aliases,
    dialect: info.dialect === 'azure' ? 'openai' : info.dialect,
    wire: info.dialect,
    baseUrl,
    ...(apiVersion !== undefined && { apiVersion }),
    ...(s.deployments !== undefined && { deployments: s.deployments }),
    headers: s.headers ?? {},
    limitsPerModel: s.limitsPerModel ?? info.limitsPerModel,
    vendorModels: info.vendorModels ?? false,
    ownsId: (head: string) => info.vendorModels === true || info.slashIds === true || (info.idPrefixes?.includes(head) ?? false),
    responsesApi: info.responsesApi === true,
    identity,
    quirks,
  });
}
