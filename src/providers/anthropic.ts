import type { Outcome } from '../pool/outcome.js';
import { type Base, type Classifier, applyShouldRetry, out, statusDefault, tooLargeReason, transportOutcome, okOutcome } from './common.js';
import { getHeader, getHeaderNumber, retryAfterFromHeaders, retryHintFromText } from './headers.js';
import { parseAnthropicLimits } from './limits.js';
import { messageReason } from './redact.js';
import type { ClassifyContext, Headers } from './types.js';
import { anthropicUsageFromBody } from './usage.js';
import { rec, str } from './util.js';

/** "input tokens per min" from a rate-limit message, else from which budget the headers show as spent. */
function rateReason(msg: string, headers: Headers): string {
  const m = /(input tokens|output tokens|tokens|requests) per minute/i.exec(msg);
  if (m) return `${m[1]!.toLowerCase()} per min`;
  for (const fam of ['requests', 'input-tokens', 'output-tokens', 'tokens']) {
    if (getHeaderNumber(headers, `anthropic-ratelimit-${fam}-remaining`) === 0) return `${fam.replace('-', ' ')} per min`;
  }
  if (/concurren/i.test(msg)) return 'concurrency';
  return 'rate limit';
}

/** "You will regain access on 2025-12-01 at 00:00 UTC." in the usage-limit 400. */
function regainAccess(msg: string, now: number): number | undefined {
  const m = /regain access on (\d{4}-\d{2}-\d{2})(?: at (\d{2}:\d{2}))? UTC/i.exec(msg);
  if (!m) return undefined;
  const t = Date.parse(`${m[1]}T${m[2] ?? '00:00'}:00Z`);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

function classifyError(status: number, body: unknown, headers: Headers, ctx: ClassifyContext, base: Base): Outcome {
  // {"type":"error","error":{"type":"rate_limit_error","message":"…","details":{"error_code":"…"}},"request_id":"req_…"}
  const e = rec(rec(body)?.['error']);
  const type = str(e?.['type']) ?? '';
  const msg = str(e?.['message']) ?? (typeof body === 'string' ? body : '');
  const errorCode = str(rec(e?.['details'])?.['error_code']);
  const retry = (): number | undefined => retryAfterFromHeaders(headers, ctx.now);

  // The monthly spend cap arrives as a 429 without retry-after: quota, not a cooldown.
  if (errorCode === 'enforced_spend_limit_reached') {
    return out({ ...base, kind: 'quota_exhausted', scope: 'group', reason: errorCode });
  }
  if (type === 'billing_error' || status === 402) {
    return out({ ...base, kind: 'quota_exhausted', scope: 'group', reason: 'billing_error' });
  }
  // Usage limits and an empty credit balance come as invalid_request_error 400s.
  if (/specified API usage limits|credit balance is too low/i.test(msg)) {
    return out({ ...base, kind: 'quota_exhausted', scope: 'group', reason: 'usage limit reached', retryAfterMs: regainAccess(msg, ctx.now) });
  }
  if (type === 'authentication_error' || status === 401) return out({ ...base, kind: 'auth_failed', reason: type || 'unauthorized' });
  // permission_error is Anthropic's word for a forbidden key; a 403 without it (a page from something in front) is ambiguous.
  if (type === 'permission_error') return out({ ...base, kind: 'auth_failed', reason: type });
  if (type === 'rate_limit_error' || status === 429) {
    // The request alone over the limit: the client's to fix, not a cooldown (413 request_too_large says it too).
    const tooLarge = tooLargeReason(msg);
    if (tooLarge) return out({ ...base, kind: 'client_error', reason: tooLarge });
    const scope = ctx.model && msg.includes(ctx.model) ? 'model' : 'group';
    const retryAfterMs = retry() ?? retryHintFromText(msg);
    return out({ ...base, kind: 'rate_limited', scope, reason: rateReason(msg, headers), retryAfterMs, limits: parseAnthropicLimits(headers, ctx.now) });
  }
  // 529 is Anthropic's own load.
  if (type === 'overloaded_error' || status === 529) return out({ ...base, kind: 'overloaded', reason: 'overloaded_error', retryAfterMs: retry() });
  if (type === 'api_error' || type === 'timeout_error') return out({ ...base, kind: 'server_error', reason: type, retryAfterMs: retry() });
  // request_too_large (413), not_found_error (404), invalid_request_error (400): the request's fault.
  const reason = status >= 400 && status < 500 ? (type && type !== 'invalid_request_error' ? type : messageReason(msg) ?? type) : type;
  return statusDefault(status, headers, ctx.now, base, reason || undefined);
}

/** Anthropic's classifier: its error `type` first, then the status; limits from its own headers. */
export const anthropicClassifier: Classifier = (result, ctx) => {
  if ('error' in result) return transportOutcome(result.error);
  const { status, headers, body } = result;
  const base: Base = { status, group: getHeader(headers, 'anthropic-organization-id') };
  if (status >= 200 && status < 300) {
    return okOutcome(base, anthropicUsageFromBody(body), parseAnthropicLimits(headers, ctx.now));
  }
  return applyShouldRetry(classifyError(status, body, headers, ctx, base), headers);
};
