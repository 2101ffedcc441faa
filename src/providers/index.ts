/**
 * The providers module's only door: one profile per configured provider (who it is, how it is reached, what
 * sets it apart) and one adapter over it that the server uses for everything provider-specific: building the
 * call, preparing the body, classifying the result, following a stream, reading the request id.
 */
import { createAdapter } from './adapter.js';
import { findProvider } from './catalog.js';
import { resolveProfile } from './profile.js';
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
 * name), with the catalog's settings. Configured providers get theirs from createAdapter(resolveProfile(…)).
 */
export function adapterFor(provider: ProviderInfo | string): ProviderAdapter {
  const info = typeof provider === 'string' ? findProvider(provider) : provider;
  if (!info) throw new UnknownProviderError(String(provider));
  let a = cache.get(info);
  if (!a) {
    a = createAdapter(resolveProfile(info));
    cache.set(info, a);
  }
  return a;
}

export { createAdapter } from './adapter.js';
export { resolveProfile, SANITIZE_RULES, type ProfileSettings, type ProviderProfile, type Quirks } from './profile.js';
export type {
  CallOptions, ClassifyContext, Headers, PreparedCall, ProviderAdapter, ProviderInfo, ReadAnswer, StreamEnd, StreamTracker, UpstreamResult, Wire,
} from './types.js';
export { CATALOG, envPrefixes, findProvider } from './catalog.js';
export {
  ANTHROPIC_VERSION, AZURE_DEFAULT_API_VERSION, InvalidModelError, UnsupportedRouteError, upstreamUrl,
  type AnthropicRoute, type GeminiRoute, type OpenAIRoute, type RouteKind, type UrlOptions,
} from './request.js';
export type { SanitizeRule } from './sanitize.js';
export {
  MAX_HINT_MS, clampDelay, getHeader, parseGoDuration, parseResetValue, parseRetryAfter, retryAfterFromHeaders,
  retryHintFromText, parseProtoDuration,
} from './headers.js';
export { redactSecrets } from './redact.js';
export { parseMaybeJson } from './json-tail.js';
export { containsText, earlierOf, indexOfText } from './search.js';
export { isUsageOnlyChunk, isUsageOnlyEvent } from './usage-chunk.js';
export { openRouterKeyInfo, type OpenRouterKeyInfo } from './checks.js';
export { msUntilPacificMidnight, nextMidnight } from './time.js';
