import type { LearnedLimits, Outcome } from '../pool/outcome.js';
import { type Base, type Classifier, applyShouldRetry, out, statusDefault, tooLargeReason, transportOutcome, okOutcome } from './common.js';
import { classifyGoogle, googleError } from './google.js';
import { getHeader, parseResetValue, clampDelay, retryAfterFromHeaders, retryHintFromText } from './headers.js';
import { readFamilies } from './limits.js';
import {
  BILLING_CODES, type OpenAIError, openaiError, organizationIn, rateLimitedModel, rateReason,
} from './openai-errors.js';
import { messageReason } from './redact.js';
import type { Quirks } from './profile.js';
import type { ClassifyContext, Headers } from './types.js';
import { openaiUsageFromBody } from './usage.js';
import { num, rec } from './util.js';

/** OpenRouter puts a 429's X-RateLimit-* inside the body, at `error.metadata.headers`, reset in epoch ms. */
function openRouterBodyLimits(e: OpenAIError | undefined, now: number): { limits?: LearnedLimits; resetMs?: number } {
  const h = rec(e?.metadata?.['headers']);
  if (!h) return {};
  const get = (n: string): unknown => h[n] ?? h[n.toLowerCase()];
  const limit = num(get('X-RateLimit-Limit'));
  const remaining = num(get('X-RateLimit-Remaining'));
  const rawReset = get('X-RateLimit-Reset');
  const resetMs = clampDelay(rawReset === undefined ? undefined : parseResetValue(String(rawReset), now));
  if (limit === undefined && remaining === undefined && resetMs === undefined) return {};
  const reading = { ...(limit !== undefined && { limit }), ...(remaining !== undefined && { remaining }), ...(resetMs !== undefined && { resetMs }) };
  const daily = /per-day/i.test(e?.message ?? '');
  return { limits: daily ? { requestsPerDay: reading } : { requests: reading }, resetMs };
}

/** "Project `proj_…` does not have access to model `o1`", "You are not allowed to sample from this model". */
const MODEL_ACCESS = /does not have access to (?:the )?model|not allowed to (?:sample from|use) this model/i;
/** OpenAI's restricted keys: "You have insufficient permissions for this operation. Missing scopes: api.model.read." */
const MISSING_SCOPES = /Missing scopes?:|insufficient permissions for this operation/i;

interface Env {
  quirks: Quirks;
  headers: Headers;
  ctx: ClassifyContext;
  base: Base;
  limits?: LearnedLimits;
}

function rateLimited(e: OpenAIError | undefined, env: Env): Outcome {
  const { quirks, headers, ctx } = env;
  const msg = e?.message ?? '';
  const inBody = quirks.limitsInBody ? openRouterBodyLimits(e, ctx.now) : {};
  const retryAfterMs = retryAfterFromHeaders(headers, ctx.now) ?? inBody.resetMs ?? retryHintFromText(msg);
  const reason = rateReason(msg, e?.type) ?? (quirks.rateLimitCode ? 'rate_limited' : undefined) ?? messageReason(msg, 60) ?? 'rate limit';
  // Azure quotas belong to a deployment, i.e. a model; elsewhere only a message that names the model says so.
  const perModel = quirks.rateLimitsPerModel || rateLimitedModel(msg) !== undefined || (!!ctx.model && msg.includes(ctx.model));
  const scope = perModel ? 'model' : 'group';
  const base = { ...env.base, group: env.base.group ?? organizationIn(msg) };
  const limitSource = String(e?.metadata?.['limit_source'] ?? '');
  if (/ per day$|per-day/.test(reason) || /daily/i.test(limitSource)) {
    return out({ ...base, kind: 'quota_exhausted', scope, reason, retryAfterMs });
  }
  const limits = inBody.limits || env.limits ? { ...env.limits, ...inBody.limits } : undefined;
  return out({ ...base, kind: 'rate_limited', scope, reason, retryAfterMs, limits });
}

/** An OpenAI-dialect error response → one outcome; the provider's quirks refine it. */
function classifyOpenAIError(status: number, e: OpenAIError | undefined, env: Env): Outcome {
  const { quirks, headers, ctx, base } = env;
  const msg = e?.message ?? '';
  const code = e?.code ?? '';
  const type = e?.type ?? '';
  const retry = (): number | undefined => retryAfterFromHeaders(headers, ctx.now);

  // NVIDIA NIM's per-worker concurrency cap: transient load, whatever status carries it.
  if (/Worker local total request limit reached/i.test(msg)) {
    return out({ ...base, kind: 'overloaded', reason: 'worker local request limit', retryAfterMs: retry() });
  }
  // Requested > Limit: the request alone is over a rate limit. Returned to its client; the pool is not cooled.
  const tooLarge = status < 500 ? tooLargeReason(msg) : undefined;
  if (tooLarge) return out({ ...base, kind: 'client_error', reason: tooLarge });
  if (BILLING_CODES.has(code) || BILLING_CODES.has(type)) {
    return out({ ...base, kind: 'quota_exhausted', scope: 'group', reason: BILLING_CODES.has(code) ? code : type });
  }
  // Traffic ramped up too fast for the whole organization: back off globally, not per key.
  if (code === 'slow_down') return out({ ...base, kind: 'overloaded', reason: 'slow_down', retryAfterMs: retry() });
  if (code === 'invalid_api_key') return out({ ...base, kind: 'auth_failed', reason: code });
  if (code === 'unsupported_country_region_territory' || /country, region, or territory not supported/i.test(msg)) {
    return out({ ...base, kind: 'client_error', reason: 'unsupported_country_region_territory' });
  }
  // Model access (OpenAI answers 403 model_not_found for a project without the model): that request's model.
  if (code === 'model_not_found') return out({ ...base, kind: 'client_error', reason: code });
  if (MODEL_ACCESS.test(msg)) return out({ ...base, kind: 'client_error', reason: 'no access to the model' });
  // A restricted key lacks the scope of this route (401 "Missing scopes: api.model.read" on /models while chat
  // works): the key is alive, the request is not one it may make.
  if (MISSING_SCOPES.test(msg)) return out({ ...base, kind: 'client_error', reason: 'missing scopes' });
  if (code === 'server_is_overloaded' || code === 'engine_overloaded' || type === 'server_is_overloaded') {
    return out({ ...base, kind: 'overloaded', reason: code || type, retryAfterMs: retry() });
  }
  if (quirks.rateLimitCode && (code === '1300' || type === 'rate_limited')) return rateLimited(e, env);

  switch (status) {
    case 429: {
      const upstream = e?.metadata?.['provider_name'];
      if (quirks.relayed429IsOverload && typeof upstream === 'string') {
        // The upstream provider's 429, relayed: its load, not this key's quota.
        return out({ ...base, kind: 'overloaded', reason: `upstream rate limited (${upstream})`, retryAfterMs: retry() });
      }
      return rateLimited(e, env);
    }
    case 401:
      return out({ ...base, kind: 'auth_failed', reason: code || type || 'unauthorized' });
    case 402:
      // DeepSeek "Insufficient Balance", OpenRouter out of credits (even on :free models with a negative balance).
      return out({ ...base, kind: 'quota_exhausted', scope: 'group', reason: code || 'payment required' });
    case 403:
      // OpenRouter's 403 is moderation flagging the input: the request's fault.
      if (quirks.moderation403) return out({ ...base, kind: 'client_error', reason: 'moderation' });
      // NVIDIA NIM's dead key: {"status":403,"title":"Forbidden","detail":"Authorization failed"}.
      if (/Authorization failed/i.test(msg)) return out({ ...base, kind: 'auth_failed', reason: 'Authorization failed' });
      // Any other 403 may be the key's or the request's (a firewall, a policy): suspect the key, don't drop it.
      return out({ ...base, kind: 'auth_suspect', reason: code || type || messageReason(msg, 60) || 'forbidden' });
    case 404:
    case 410:
      // Unknown or retired model (NVIDIA NIM returns 410 Gone for retired ones): drop the model, not the key.
      return out({ ...base, kind: 'client_error', reason: code || (status === 410 ? 'model retired' : 'not found') });
    default: {
      const reason = status >= 400 && status < 500 ? messageReason(msg) ?? (code || undefined) : code || type || undefined;
      return statusDefault(status, headers, ctx.now, base, reason);
    }
  }
}

/** An error carried inside a 2xx body (OpenRouter relays upstream failures as 200 + `error`). */
function errorIn2xx(body: unknown): OpenAIError | undefined {
  const b = rec(body);
  if (!b || !rec(b['error'])) return undefined;
  const e = openaiError(body);
  return e?.status !== undefined && e.status >= 400 ? e : undefined;
}

/** The classifier for an OpenAI-dialect provider (Azure too): status and body first, then its quirks. */
export function openaiClassifier(quirks: Quirks): Classifier {
  const limitsOf = (headers: Headers, now: number): LearnedLimits | undefined => readFamilies(headers, quirks.families, now);
  return (result, ctx) => {
    if ('error' in result) return transportOutcome(result.error);
    const { status, headers, body } = result;
    const base: Base = { status, group: getHeader(headers, 'openai-organization') };
    const env: Env = { quirks, headers, ctx, base, limits: limitsOf(headers, ctx.now) };
    if (status >= 200 && status < 300) {
      const inBody = errorIn2xx(body);
      if (inBody) return classifyOpenAIError(inBody.status!, inBody, env);
      return okOutcome(base, openaiUsageFromBody(body), env.limits);
    }
    // Gemini's OpenAI-compatible endpoint answers errors in Google's shape, inside a JSON array.
    const g = googleError(body);
    const o = g ? classifyGoogle(status, g, headers, ctx, base) : classifyOpenAIError(status, openaiError(body), env);
    return applyShouldRetry(o, headers);
  };
}
