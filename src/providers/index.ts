/**
 * The providers module's only door: adapters that translate each provider's world (URLs, auth headers,
 * rate-limit headers, error bodies, usage) into keymux's closed vocabulary, and the catalog they serve.
 */
import { createAnthropicAdapter } from './anthropic.js';
import { createAzureAdapter } from './azure.js';
import { findProvider } from './catalog.js';
import { createGeminiAdapter } from './gemini.js';
import { createOpenAIAdapter } from './openai.js';
import type { ProviderAdapter, ProviderInfo } from './types.js';

export class UnknownProviderError extends Error {
  readonly code = 'KMX_ERR_UNKNOWN_PROVIDER';
  constructor(readonly provider: string) {
    super(`unknown provider: ${provider}`);
    this.name = 'UnknownProviderError';
  }
}

const cache = new WeakMap<ProviderInfo, ProviderAdapter>();

/**
 * The adapter for a catalog entry, or for a provider name/alias (throws UnknownProviderError for an unknown
 * name). Adapters are stateless; one per ProviderInfo is kept.
 */
export function adapterFor(provider: ProviderInfo | string): ProviderAdapter {
  const info = typeof provider === 'string' ? findProvider(provider) : provider;
  if (!info) throw new UnknownProviderError(String(provider));
  let a = cache.get(info);
  if (!a) {
    a = build(info);
    cache.set(info, a);
  }
  return a;
}

function build(info: ProviderInfo): ProviderAdapter {
  switch (info.dialect) {
    case 'anthropic':
      return createAnthropicAdapter(info);
    case 'gemini':
      return createGeminiAdapter(info);
    case 'azure':
      return createAzureAdapter(info);
    default:
      return createOpenAIAdapter(info);
  }
}

export type { ClassifyContext, Dialect, Headers, ProviderAdapter, ProviderInfo, UpstreamResult } from './types.js';
export { CATALOG, envPrefixes, findProvider } from './catalog.js';
export { createUsageTracker, type UsageTracker } from './stream-usage.js';
export {
  ANTHROPIC_VERSION, AZURE_DEFAULT_API_VERSION, UnsupportedRouteError, authHeadersFor, buildUpstreamRequest, upstreamHeaders,
  upstreamUrl, type AnthropicRoute, type UpstreamRequestOptions, type GeminiRoute, type OpenAIRoute, type RouteKind, type UrlOptions,
} from './request.js';
export { SANITIZE_RULES, rulesFor, sanitizeBody, type SanitizeRule } from './sanitize.js';
export {
  MAX_HINT_MS, clampDelay, getHeader, parseGoDuration, parseResetValue, parseRetryAfter, retryAfterFromHeaders,
  retryHintFromText, parseProtoDuration,
} from './headers.js';
export { redactSecrets } from './redact.js';
export { requestIdFrom } from './common.js';
export { openRouterKeyInfo, type OpenRouterKeyInfo } from './checks.js';
export { msUntilPacificMidnight, nextMidnight } from './time.js';
