import type { Dialect } from '../dialects/index.js';
import type { Outcome } from '../pool/outcome.js';
import type { ProviderProfile } from './profile.js';
import type { RouteKind } from './request.js';

/**
 * How a provider puts requests on the wire: one of the three dialects, or `azure`, OpenAI's dialect inside
 * Azure's envelope (deployment paths, `api-version`, an `api-key` header). Only src/providers tells them apart.
 */
export type Wire = Dialect | 'azure';

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
  dialect: Wire;
  /** Default base URL. For openai-dialect providers it includes the version path (`https://api.openai.com/v1`). */
  baseUrl: string;
  /** Whether the provider's limits are per (group, model) rather than per group. */
  limitsPerModel: boolean;
  /**
   * The provider's own model ids are `vendor/name` (NVIDIA NIM, OpenRouter, Together). Then `nvidia/x`, with no
   * second slash, is the model `nvidia/x` itself and not the prefix `nvidia/` before a model `x`.
   */
  vendorModels?: boolean;
  /**
   * Some of the provider's own ids contain a slash without being `vendor/name` throughout (Groq's
   * `openai/gpt-oss-120b`, Fireworks' `accounts/fireworks/models/…`): a `head/…` that names no provider may be one.
   */
  slashIds?: boolean;
  /** Collections that prefix the provider's own ids (Gemini's `models/x`, `tunedModels/x`): never a provider name. */
  idPrefixes?: readonly string[];
  /** It serves OpenAI's Responses API (`/responses`) itself; the others get Responses translated to their chat route. */
  responsesApi?: boolean;
  /** Display name. */
  label: string;
  /** Azure: the api-version query parameter its data-plane URLs need (default in request.ts). */
  apiVersion?: string;
  /** Models are deployments with names of their own, behind an `api-version` (Azure): `deployments` and `apiVersion` apply. */
  deployments?: boolean;
  /** A variable the provider's own SDKs read its endpoint from, besides `<NAME>_BASE_URL` (`AZURE_OPENAI_ENDPOINT`). */
  endpointEnv?: string;
}

/** One upstream HTTP call, built before a key is chosen: only the headers wait for the key. */
export interface PreparedCall {
  /** Shared between calls to the same URL: never to be changed. */
  url: URL;
  /** `url`'s origin and path with query, as the dispatcher takes them. */
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  /** JSON text, or the client's own bytes when they go through unchanged. */
  body?: string | Buffer;
  /** The request headers with `key` in its dialect's auth header (the secret goes here and nowhere else). */
  headers(key: string): Record<string, string>;
}

export interface CallOptions {
  model: string;
  /** A streamed generateContent becomes streamGenerateContent (SSE); other dialects stream by body flag. */
  stream?: boolean;
  body?: string | Buffer;
  /** Client headers to pass on (the dialect's own, such as anthropic-beta). */
  headers?: Record<string, string>;
}

/** How a stream ended, as the relay saw it. The adapter turns it into the attempt's outcome. */
export type StreamEnd = { kind: 'complete' } | { kind: 'broken'; message: string } | { kind: 'cancelled' };

/**
 * Follows one streamed response's events and keeps what the pool needs at the end: the usage, and whether the
 * provider reported an error after the first byte.
 */
export interface StreamTracker {
  /**
   * Whether an event's data must be parsed for this tracker (most chunks carry nothing it reads). Given the
   * bytes of several whole events, whether any of them might be.
   */
  wants(data: string | Buffer, event?: string): boolean;
  /**
   * In the bytes of whole events (names, data, comments), where the next thing this tracker reads may be, at or
   * after `from`; -1 if nowhere. An event holding such a position must be parsed and given to onEvent; one
   * without need not be.
   */
  wanted(bytes: Buffer, from: number): number;
  onEvent(data: unknown, event?: string): void;
  /** The attempt's outcome: `atHeaders` (what the 2xx head said: limits, group) completed by what the stream said. */
  finish(end: StreamEnd, atHeaders: Outcome): Outcome;
}

/** A read answer's verdict, and its body parsed on demand (JSON when it parses, else the raw text). */
export interface ReadAnswer {
  outcome: Outcome;
  /** The whole body parsed (JSON when it parses, else the text), once, on first call. */
  body(): unknown;
  /** The whole body as text, decoded once, on first call. */
  text(): string;
}

/** Everything the server does with a provider goes through its adapter: one door per provider. */
export interface ProviderAdapter {
  readonly profile: ProviderProfile;
  /** Builds a call. Throws UnsupportedRouteError for a route the provider lacks, InvalidModelError for an id unfit for its URL. */
  call(route: RouteKind, o: CallOptions): PreparedCall;
  /** The route that carries a chat request in this provider's dialect. */
  readonly chatRoute: RouteKind;
  /**
   * The body for this provider: a copy with its documented incompatibilities fixed (see sanitize.ts), and the
   * names of what changed. The input is never mutated; an unchanged body is returned as is.
   */
  prepare(route: RouteKind, body: object): { body: object; changed: string[] };
  /** Whether prepare() may change a body of this route (sanitising rules apply): if not, nobody need build one for it. */
  sanitizes(route: RouteKind): boolean;
  /** Exactly one outcome for an attempt's result. For a 2xx, usage is read from the body when present. */
  classify(result: UpstreamResult, ctx: ClassifyContext): Outcome;
  /**
   * The same verdict from a read (buffered) answer's text or its bytes, without parsing (or decoding) more of it
   * than the verdict needs; `body()` parses and `text()` decodes the whole body (once) for whoever needs it.
   */
  classifyText(status: number, headers: Headers, text: string | Buffer, ctx: ClassifyContext): ReadAnswer;
  /** A tracker for one streamed response. */
  trackStream(): StreamTracker;
  /** The upstream request id for the request log (`x-request-id`, Anthropic `request-id` / body `request_id`). */
  requestId(headers: Headers, body?: unknown): string | undefined;
}
