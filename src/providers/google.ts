import type { Outcome } from '../pool/outcome.js';
import { type Base, out, statusDefault } from './common.js';
import { parseProtoDuration, retryAfterFromHeaders, retryHintFromText } from './headers.js';
import { messageReason } from './redact.js';
import { msUntilPacificMidnight } from './time.js';
import type { ClassifyContext, Headers } from './types.js';
import { type Json, isRecord, num, rec, str } from './util.js';

/**
 * Google's error shape (`{"error":{"code","message","status","details":[…]}}`), shared by Gemini's native
 * API and its OpenAI-compatible endpoint, where it arrives wrapped in a JSON array.
 */
export interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details: Json[];
}

/** The Google error in a body, or undefined when the body is not one (an OpenAI-shaped error, say). */
export function googleError(body: unknown): GoogleError | undefined {
  const first = Array.isArray(body) ? body[0] : body;
  const e = rec(rec(first)?.['error']);
  if (!e) return undefined;
  const status = str(e['status']);
  const details = Array.isArray(e['details']) ? e['details'].filter(isRecord) : undefined;
  // OpenAI's errors have `type`/`code` strings; Google's have an upper-case `status` and/or `details`.
  if (!(status && /^[A-Z_]+$/.test(status)) && !details) return undefined;
  return { code: num(e['code']), message: str(e['message']), status, details: details ?? [] };
}

function detail(g: GoogleError, type: string): Json | undefined {
  return g.details.find((d) => str(d['@type'])?.endsWith(`google.rpc.${type}`));
}

/** "requests per min", "input tokens per day" from a quotaId like GenerateRequestsPerMinutePerProjectPerModel-FreeTier. */
export function describeQuota(quotaId: string, metric = ''): string {
  const s = `${quotaId} ${metric}`;
  const what = /input.?tokens?/i.test(s) ? 'input tokens' : /output.?tokens?/i.test(s) ? 'output tokens'
    : /tokens?/i.test(s) ? 'tokens' : /requests?/i.test(s) ? 'requests' : 'quota';
  const per = /PerDay|per.?day/i.test(s) ? ' per day' : /PerMinute|per.?min/i.test(s) ? ' per min'
    : /PerSecond/i.test(s) ? ' per second' : '';
  return `${what}${per}`;
}

interface Violation {
  quotaId: string;
  metric: string;
  model?: string;
  daily: boolean;
  /** The quota's limit (quotaValue), when it is a count of requests per minute. */
  rpm?: number;
}

function violations(g: GoogleError): Violation[] {
  const qf = detail(g, 'QuotaFailure');
  const list = Array.isArray(qf?.['violations']) ? qf['violations'].filter(isRecord) : [];
  return list.map((v) => {
    const quotaId = str(v['quotaId']) ?? '';
    const metric = str(v['quotaMetric']) ?? '';
    // "GenerateRequestsPerMinutePerProjectPerModel-FreeTier", quotaValue "15": fifteen requests a minute. A
    // token quota (…InputTokens…) or a day's counts something else; a value that is no whole number, nothing.
    const value = Number(str(v['quotaValue']));
    const perMinuteRequests = /Requests/i.test(quotaId) && /PerMinute/i.test(quotaId) && Number.isSafeInteger(value) && value > 0;
    return {
      quotaId,
      metric,
      model: str(rec(v['quotaDimensions'])?.['model']),
      daily: /PerDay/i.test(quotaId) || /per.?day/i.test(metric),
      ...(perMinuteRequests && { rpm: value }),
    };
  });
}

/** A Google project named by ErrorInfo (`metadata.consumer: "projects/123"`): the quota group. */
function groupOf(g: GoogleError): string | undefined {
  const consumer = str(rec(detail(g, 'ErrorInfo')?.['metadata'])?.['consumer']);
  return consumer?.startsWith('projects/') ? consumer : undefined;
}

export function classifyGoogle(status: number, g: GoogleError, headers: Headers, ctx: ClassifyContext, base0: Base): Outcome {
  const base: Base = { ...base0, group: base0.group ?? groupOf(g) };
  const msg = g.message ?? '';
  const reasonCode = str(detail(g, 'ErrorInfo')?.['reason']);
  const gs = g.status ?? '';

  if (reasonCode === 'API_KEY_INVALID' || /API key (not valid|not found|expired)/i.test(msg)) {
    return out({ ...base, kind: 'auth_failed', reason: 'API_KEY_INVALID' });
  }
  if (status === 401 || gs === 'UNAUTHENTICATED') return out({ ...base, kind: 'auth_failed', reason: reasonCode ?? 'UNAUTHENTICATED' });
  if (status === 403 || gs === 'PERMISSION_DENIED') {
    // Suspended consumer, a key reported as leaked, a project denied access: the key is unusable.
    const reason = /leaked/i.test(msg) ? 'reported as leaked' : reasonCode ?? 'PERMISSION_DENIED';
    return out({ ...base, kind: 'auth_failed', reason });
  }
  if (status === 429 || gs === 'RESOURCE_EXHAUSTED') {
    const vs = violations(g);
    const retryInfo = parseProtoDuration(detail(g, 'RetryInfo')?.['retryDelay']);
    if (vs.length === 0) {
      // "Resource has been exhausted (e.g. check quota)." without QuotaFailure is Google's load, not the key's quota.
      const retryAfterMs = retryAfterFromHeaders(headers, ctx.now) ?? retryInfo ?? retryHintFromText(msg);
      return out({ ...base, kind: 'overloaded', retryAfterMs, reason: 'RESOURCE_EXHAUSTED without QuotaFailure' });
    }
    const v = vs.find((x) => x.daily) ?? vs[0]!;
    const scope = vs.some((x) => x.model !== undefined || /PerModel/i.test(x.quotaId)) ? 'model' : 'group';
    const reason = describeQuota(v.quotaId, v.metric);
    if (v.daily) {
      // A per-day quota is out until midnight Pacific, whatever RetryInfo says about the next minute.
      return out({ ...base, kind: 'quota_exhausted', scope, reason, retryAfterMs: msUntilPacificMidnight(ctx.now) });
    }
    const retryAfterMs = retryAfterFromHeaders(headers, ctx.now) ?? retryInfo ?? retryHintFromText(msg);
    return out({ ...base, kind: 'rate_limited', scope, reason, retryAfterMs, statedRpm: v.rpm });
  }
  // Region not supported, free tier unavailable in the country: the request's circumstances, not the key.
  if (gs === 'FAILED_PRECONDITION') return out({ ...base, kind: 'client_error', reason: 'FAILED_PRECONDITION' });
  if (gs === 'CANCELLED') return out({ ...base, kind: 'cancelled' });
  if (gs === 'UNAVAILABLE') return out({ ...base, kind: 'overloaded', retryAfterMs: retryAfterFromHeaders(headers, ctx.now), reason: gs });
  const reason = status >= 400 && status < 500 ? messageReason(msg) ?? (gs || undefined) : gs || undefined;
  return statusDefault(status, headers, ctx.now, base, reason);
}
