import type { Dialect } from '../dialects/index.js';
import type { ProviderProfile } from './profile.js';
import type { CallOptions, PreparedCall, Wire } from './types.js';

/**
 * How to reach a provider: one declarative table of paths per dialect, one of auth headers.
 * The server picks the route kind; the body it sends is its own business.
 */
export type OpenAIRoute = 'chat' | 'completions' | 'embeddings' | 'responses' | 'models' | 'key';
export type AnthropicRoute = 'messages' | 'count_tokens' | 'models';
export type GeminiRoute = 'generateContent' | 'streamGenerateContent' | 'countTokens' | 'embedContent' | 'batchEmbedContents' | 'models';
export type RouteKind = OpenAIRoute | AnthropicRoute | GeminiRoute;

export interface UrlOptions {
  /** The provider's base URL override (`<PROVIDER>_BASE_URL`); default the catalog's. */
  baseUrl?: string;
  /** Azure: the deployment to call (default: the model). */
  deployment?: string;
  /** Azure: the api-version query parameter (default: the catalog's, else AZURE_DEFAULT_API_VERSION). */
  apiVersion?: string;
}

export const ANTHROPIC_VERSION = '2023-06-01';
export const AZURE_DEFAULT_API_VERSION = '2024-10-21';

type PathFn = (model: string, o: { apiVersion: string; deployment: string }) => string;
const enc = encodeURIComponent;

/** How an id is named in an error: printable ASCII only (it may reach a log line or a header), and short. */
function quoteId(id: string): string {
  const cut = id.length > 64 ? `${id.slice(0, 64)}...` : id;
  return JSON.stringify(cut).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A model id (or Azure deployment) that cannot be the path segment it must become: the request's fault. */
export class InvalidModelError extends Error {
  // A bad request, not a keymux fault: the server answers 400 under the same code.
  readonly code = 'KMX_ERR_BAD_REQUEST';
  constructor(readonly model: string, what = 'model id') {
    super(`the ${what} ${quoteId(model)} is not a valid model name (letters, digits, '.', '_', '-', '~' only)`);
    this.name = 'InvalidModelError';
  }
}

/**
 * RFC 3986's unreserved characters: a segment made of them reads the same to every URL parser and proxy on the
 * way, encoded or not, so no id can climb out of its collection (`..`, `%2e%2e`), add one (`/`, `%2F`, `\`),
 * cut the path short (`?`, `#`) or smuggle a header (control characters). An allow-list, because the set of
 * things that some server decodes or normalises (`%`, full-width dots) is not one keymux can enumerate.
 */
const SEGMENT = /^[A-Za-z0-9._~-]+$/;

function segment(id: string, whole: string, what?: string): string {
  if (!SEGMENT.test(id) || /^\.+$/.test(id)) throw new InvalidModelError(whole, what);
  return id;
}

/** Gemini accepts `models/x` or `x`; tuned models keep their own collection prefix: `tunedModels/x`, two segments. */
function geminiModel(m: string): string {
  if (m.startsWith('tunedModels/')) return `tunedModels/${segment(m.slice('tunedModels/'.length), m)}`;
  return `models/${segment(m.startsWith('models/') ? m.slice('models/'.length) : m, m)}`;
}

/** Azure's deployment is a segment of the path too. */
const deployment = (d: string): string => segment(d, d, 'deployment');

/** Paths appended to the versioned root of each dialect (see `root`). */
const ROUTES: { readonly [W in Wire]: Partial<Record<RouteKind, PathFn>> } = {
  openai: {
    chat: () => '/chat/completions',
    completions: () => '/completions',
    embeddings: () => '/embeddings',
    responses: () => '/responses',
    models: () => '/models',
    // OpenRouter only: GET {base}/key describes the key's credit and free-tier status (see checks.ts).
    key: () => '/key',
  },
  azure: {
    chat: (_m, o) => `/deployments/${deployment(o.deployment)}/chat/completions?api-version=${enc(o.apiVersion)}`,
    completions: (_m, o) => `/deployments/${deployment(o.deployment)}/completions?api-version=${enc(o.apiVersion)}`,
    embeddings: (_m, o) => `/deployments/${deployment(o.deployment)}/embeddings?api-version=${enc(o.apiVersion)}`,
    responses: (_m, o) => `/responses?api-version=${enc(o.apiVersion)}`,
    models: (_m, o) => `/models?api-version=${enc(o.apiVersion)}`,
  },
  anthropic: {
    messages: () => '/messages',
    count_tokens: () => '/messages/count_tokens',
    models: () => '/models',
  },
  gemini: {
    generateContent: (m) => `/${geminiModel(m)}:generateContent`,
    // Without alt=sse Gemini streams one JSON array, not SSE.
    streamGenerateContent: (m) => `/${geminiModel(m)}:streamGenerateContent?alt=sse`,
    countTokens: (m) => `/${geminiModel(m)}:countTokens`,
    embedContent: (m) => `/${geminiModel(m)}:embedContent`,
    batchEmbedContents: (m) => `/${geminiModel(m)}:batchEmbedContents`,
    models: () => '/models',
  },
};

/**
 * The versioned root a dialect's paths hang from. OpenAI-compatible bases already include their version
 * (`…/v1`, `…/openai/v1`); the others get theirs added unless the base already ends with one.
 */
function root(dialect: Wire, base: string): string {
  const b = base.replace(/\/+$/, '');
  if (dialect === 'anthropic') return /\/v1$/.test(b) ? b : `${b}/v1`;
  if (dialect === 'gemini') return /\/v1(beta|alpha)?$/.test(b) ? b : `${b}/v1beta`;
  if (dialect === 'azure') return /\/openai$/.test(b) ? b : `${b}/openai`;
  return b;
}

export class UnsupportedRouteError extends Error {
  readonly code = 'KMX_ERR_UNSUPPORTED_ROUTE';
  constructor(provider: string, route: string) {
    super(`provider ${provider} has no ${route} route`);
    this.name = 'UnsupportedRouteError';
  }
}

/** The route that carries a chat request in each dialect (a streamed generateContent becomes streamGenerateContent). */
export const CHAT_ROUTE: { readonly [D in Dialect]: RouteKind } = { openai: 'chat', anthropic: 'messages', gemini: 'generateContent' };

/** Where a provider is and how it is reached: the part of its profile that builds URLs. */
export type Endpoint = Pick<ProviderProfile, 'name' | 'wire' | 'baseUrl' | 'apiVersion'>;

/** The full upstream URL of one route. Throws UnsupportedRouteError for a route the dialect lacks. */
export function upstreamUrl(provider: Endpoint, route: RouteKind, model = '', opts: UrlOptions = {}): string {
  const base = opts.baseUrl || provider.baseUrl;
  if (!base) throw new UnsupportedRouteError(provider.name, `${route} (no base URL configured)`);
  // Azure's v1 API (`{endpoint}/openai/v1`) takes OpenAI's paths, the deployment named in the body.
  const wire = provider.wire === 'azure' && /\/openai\/v1\/*$/.test(base) ? 'openai' : provider.wire;
  const path = ROUTES[wire][route];
  if (!path) throw new UnsupportedRouteError(provider.name, route);
  const apiVersion = opts.apiVersion ?? provider.apiVersion ?? AZURE_DEFAULT_API_VERSION;
  return root(wire, base) + path(model, { apiVersion, deployment: opts.deployment ?? model });
}

/** OAuth access tokens (Claude subscriptions) go as a bearer token, with the oauth beta flag. */
export function isAnthropicOAuthToken(key: string): boolean {
  return key.startsWith('sk-ant-oat');
}

/** The headers that carry a key, plus the fixed ones a dialect requires. */
export function authHeadersFor(wire: Wire, key: string): Record<string, string> {
  switch (wire) {
    case 'anthropic':
      return isAnthropicOAuthToken(key)
        ? { authorization: `Bearer ${key}`, 'anthropic-beta': 'oauth-2025-04-20', 'anthropic-version': ANTHROPIC_VERSION }
        : { 'x-api-key': key, 'anthropic-version': ANTHROPIC_VERSION };
    case 'gemini':
      return { 'x-goog-api-key': key };
    case 'azure':
      return { 'api-key': key };
    default:
      return { authorization: `Bearer ${key}` };
  }
}

/** GET routes carry no body, hence no content-type. */
const BODYLESS: ReadonlySet<RouteKind> = new Set<RouteKind>(['models', 'key']);

/**
 * One upstream call to a provider, built before a key is chosen: a route the provider lacks fails here, as the
 * request's problem, before any key is spent on it. Header order: the configured extra headers, then auth and
 * content-type, then the client's passed ones (its anthropic-version and betas win over keymux's defaults;
 * none of them can carry a key).
 */
export function prepareCall(p: ProviderProfile, route0: RouteKind, o: CallOptions): PreparedCall {
  const route: RouteKind = o.stream && route0 === 'generateContent' ? 'streamGenerateContent' : route0;
  const { url, origin, path } = targetOf(p, route, o.model);
  const json = BODYLESS.has(route) ? undefined : 'application/json';
  const passed = o.headers ?? {};
  const call: PreparedCall = {
    url,
    origin,
    path,
    method: o.body === undefined ? 'GET' : 'POST',
    headers: (key) => {
      const h: Record<string, string> = { ...p.headers, ...authHeadersFor(p.wire, key) };
      if (json) h['content-type'] = json;
      return Object.assign(h, passed);
    },
  };
  // Set, not spread in: a conditional spread takes V8's slow path on every request.
  if (o.body !== undefined) call.body = o.body;
  return call;
}

interface Target {
  url: URL;
  origin: string;
  path: string;
}

/**
 * Each profile's parsed upstream URLs, by route and model: a provider has a handful (one per route, or per model for
 * Gemini and Azure). Building the text takes a regex or two and parsing it a URL: once per request, ~12 µs of a
 * request's ~150 µs at 200 req/s, where two map lookups cost ~1. A profile is fixed once resolved (a reload makes
 * new ones, and the old ones' entries go with them). Bounded, for providers with many models.
 */
const TARGETS = new WeakMap<ProviderProfile, Map<RouteKind, Map<string, Target>>>();
const MAX_MODELS = 1024;

function targetOf(p: ProviderProfile, route: RouteKind, model: string): Target {
  let routes = TARGETS.get(p);
  if (routes === undefined) TARGETS.set(p, (routes = new Map()));
  let models = routes.get(route);
  if (models === undefined) routes.set(route, (models = new Map()));
  let hit = models.get(model);
  if (hit === undefined) {
    // Throws for a route the provider lacks: nothing is kept.
    const url = new URL(upstreamUrl(p, route, model, { deployment: p.deployments?.[model] ?? model }));
    hit = { url, origin: url.origin, path: url.pathname + url.search };
    if (models.size >= MAX_MODELS) models.clear();
    models.set(model, hit);
  }
  return hit;
}
