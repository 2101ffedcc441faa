// Google API error bodies (google.rpc.Status) as the Gemini API sends them (PROVIDERS.md).
import type { Body } from './common.js';

const SERVICE = 'generativelanguage.googleapis.com';

export function googleError(code: number, message: string, status: string, reason?: string): Body {
  const error: Body = { code, message, status };
  if (reason) {
    error.details = [
      { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: SERVICE } },
      { '@type': 'type.googleapis.com/google.rpc.LocalizedMessage', locale: 'en-US', message },
    ];
  }
  return { error };
}

const QUOTA: Record<string, { metric: string; id: string }> = {
  requests: {
    metric: `${SERVICE}/generate_content_free_tier_requests`,
    id: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
  },
  tokens: {
    metric: `${SERVICE}/generate_content_free_tier_input_token_count`,
    id: 'GenerateContentInputTokensPerModelPerMinute-FreeTier',
  },
  day: {
    metric: `${SERVICE}/generate_content_free_tier_requests`,
    id: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
  },
};

/** 429 RESOURCE_EXHAUSTED with QuotaFailure (+ RetryInfo when retryAfterMs is given). */
export function quotaFailure(kind: string, model: string, limit: number, retryAfterMs: number | undefined): Body {
  const q = QUOTA[kind] ?? QUOTA.requests!;
  const what = kind === 'tokens' ? 'input_token_count' : 'requests';
  const retry = retryAfterMs !== undefined ? Math.max(1, Math.ceil(retryAfterMs / 1000)) : undefined;
  const message =
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, ' +
    'head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: ' +
    `https://ai.dev/usage?tab=rate-limit. \n* Quota exceeded for metric: ${q.metric}, limit: ${limit}, model: ${model}` +
    (retry !== undefined ? `\nPlease retry in ${retry}s.` : '');
  const details: Body[] = [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: q.metric,
          quotaId: q.id,
          quotaDimensions: { location: 'global', model },
          quotaValue: String(limit),
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [{ description: `Learn more about Gemini API quotas (${what})`, url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
    },
  ];
  if (retry !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${retry}s` });
  return { error: { code: 429, message, status: 'RESOURCE_EXHAUSTED', details } };
}
