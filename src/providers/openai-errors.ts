import { type Json, num, rec, str } from './util.js';

/**
 * One error, whatever OpenAI-compatible shape it came in:
 * OpenAI/Groq/DeepSeek/Together `{"error":{"message","type","code","param"}}`;
 * OpenRouter `{"error":{"message","code":429,"metadata":{…}}}`;
 * Mistral `{"object":"error","message","type","code":"1300"}` (message sometimes a validation object);
 * NVIDIA NIM problem+json `{"status":429,"title":"Too Many Requests","detail":"…"}`;
 * xAI `{"code":"…","error":"Incorrect API key provided: …"}`; FastAPI `{"detail":…}`; or plain text.
 */
export interface OpenAIError {
  message: string;
  type?: string;
  code?: string;
  metadata?: Json;
  /** A numeric code inside the body (OpenRouter's `error.code`, problem+json `status`). */
  status?: number;
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) return undefined;
  try {
    return JSON.stringify(v);
  } catch {
    return undefined;
  }
}

export function openaiError(body: unknown): OpenAIError | undefined {
  if (typeof body === 'string') return body.trim() === '' ? undefined : { message: body };
  const b = rec(body);
  if (!b) return undefined;
  const e = rec(b['error']);
  if (e) {
    const code = e['code'];
    return {
      message: text(e['message']) ?? '',
      type: str(e['type']),
      code: typeof code === 'string' ? code : undefined,
      status: typeof code === 'number' ? code : undefined,
      metadata: rec(e['metadata']),
    };
  }
  if (typeof b['error'] === 'string') {
    return { message: b['error'], code: str(b['code']) };
  }
  if (b['object'] === 'error' || b['message'] !== undefined) {
    return { message: text(b['message']) ?? '', type: str(b['type']), code: text(b['code']) };
  }
  if (b['title'] !== undefined || b['detail'] !== undefined) {
    const parts = [str(b['title']), text(b['detail'])].filter((x): x is string => !!x);
    return { message: parts.join(': '), type: str(b['type']), status: num(b['status']) };
  }
  return undefined;
}

/** OpenAI's billing/quota codes: out for hours or until the month ends, never a short cooldown. */
export const BILLING_CODES: ReadonlySet<string> = new Set([
  'insufficient_quota',
  'credit_balance_exhausted',
  'organization_spend_limit_exceeded',
  'project_spend_limit_exceeded',
  'organization_usage_limit_exceeded',
  'billing_hard_limit_reached',
  'billing_not_active',
  'access_terminated',
]);

/** "tokens per min", "requests per day"… from OpenAI/Groq/Azure rate-limit text; undefined when it names none. */
export function rateReason(message: string, type?: string): string | undefined {
  const m = /\bon (tokens|requests|input tokens|output tokens|images) per (min(?:ute)?|day)\b/i.exec(message);
  if (m) return `${m[1]!.toLowerCase()} per ${m[2]!.toLowerCase().startsWith('min') ? 'min' : 'day'}`;
  if (/free-models-per-day/i.test(message)) return 'free-models-per-day';
  if (/free-models-per-min/i.test(message)) return 'free-models-per-min';
  // Azure: "exceeded token rate limit" / "exceeded call rate limit".
  if (/token rate limit/i.test(message)) return 'tokens per min';
  if (/(call|request) rate limit/i.test(message)) return 'requests per min';
  if (type === 'tokens' || type === 'requests') return `${type} per min`;
  return undefined;
}

/**
 * The model a rate-limit message blames: OpenAI "Rate limit reached for gpt-4o in organization …",
 * Groq "Rate limit reached for model `llama-3.3-70b-versatile` in organization `org_…` …".
 */
export function rateLimitedModel(message: string): string | undefined {
  const m = /Rate limit reached for (?:model\s+)?`?([^\s`]+)`?\s+in\s+organization/i.exec(message);
  const model = m?.[1];
  return model && !/^(requests|tokens)$/i.test(model) ? model : undefined;
}

/** The organization a rate-limit message names ("in organization org-abc" / "`org_01…`"): the quota group. */
export function organizationIn(message: string): string | undefined {
  return /\bin organization\s+`?(org[-_][A-Za-z0-9]+)`?/i.exec(message)?.[1];
}
