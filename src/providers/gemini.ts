import { type Base, type Classifier, applyShouldRetry, out, statusDefault, transportOutcome, okOutcome } from './common.js';
import { classifyGoogle, googleError } from './google.js';
import { messageReason } from './redact.js';
import { geminiUsageFromBody } from './usage.js';

/**
 * Gemini's native API. It sends no rate-limit headers and names no organization in headers: everything
 * it says about limits is in a 429's QuotaFailure/RetryInfo details (see google.ts).
 */
export const geminiClassifier: Classifier = (result, ctx) => {
  if ('error' in result) return transportOutcome(result.error);
  const { status, headers, body } = result;
  const base: Base = { status };
  if (status >= 200 && status < 300) {
    // A non-SSE streamGenerateContent is a JSON array of chunks; an error can hide in its last element.
    const g = Array.isArray(body) ? googleError(body.slice(-1)) : undefined;
    if (g) return applyShouldRetry(classifyGoogle(g.code ?? 500, g, headers, ctx, base), headers);
    return okOutcome(base, geminiUsageFromBody(body));
  }
  const g = googleError(body);
  const o = g
    ? classifyGoogle(status, g, headers, ctx, base)
    : statusDefault(status, headers, ctx.now, base, typeof body === 'string' ? messageReason(body) : undefined);
  return applyShouldRetry(o, headers);
};
