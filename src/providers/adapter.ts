import type { Dialect } from '../dialects/index.js';
import type { Outcome } from '../pool/outcome.js';
import { anthropicClassifier } from './anthropic.js';
import { type Classifier, requestIdFrom } from './common.js';
import { geminiClassifier } from './gemini.js';
import { openaiClassifier } from './openai.js';
import type { ProviderProfile, Quirks } from './profile.js';
import { CHAT_ROUTE, prepareCall } from './request.js';
import { sanitizeBody } from './sanitize.js';
import { trackStream } from './stream-usage.js';
import type { ProviderAdapter, UpstreamResult } from './types.js';

/** Each dialect's reading of results; the provider's quirks refine the OpenAI one (Azure's included). */
const CLASSIFIERS: { readonly [D in Dialect]: (q: Quirks) => Classifier } = {
  openai: openaiClassifier,
  anthropic: () => anthropicClassifier,
  gemini: () => geminiClassifier,
};

/**
 * Every route keymux calls answers JSON unless it streams (a stream is classified at its headers, its body
 * unread), so a read 2xx body that did not parse — an HTML page from something in front, nothing at all, a
 * cut-off JSON, all handed over as raw text — is the provider failing: retried elsewhere, never a success.
 * 204 alone answers with no body by definition.
 */
function invalidJson(result: UpstreamResult): Outcome | undefined {
  if ('error' in result || result.status < 200 || result.status >= 300 || result.status === 204) return undefined;
  return typeof result.body === 'string' ? { kind: 'server_error', status: result.status, reason: 'invalid JSON body' } : undefined;
}

/** The adapter of one provider profile: the only way the server reaches a provider. */
export function createAdapter(profile: ProviderProfile): ProviderAdapter {
  const rules = profile.quirks.sanitize;
  const classify = CLASSIFIERS[profile.dialect](profile.quirks);
  return {
    profile,
    chatRoute: CHAT_ROUTE[profile.dialect],
    call: (route, o) => prepareCall(profile, route, o),
    // The sanitising rules are about OpenAI chat bodies; every other body goes as the client wrote it.
    prepare: (route, body) => (route === 'chat' && rules.length > 0 ? sanitizeBody(rules, body) : { body, changed: [] }),
    classify: (result, ctx) => invalidJson(result) ?? classify(result, ctx),
    trackStream: () => trackStream(profile.dialect),
    requestId: requestIdFrom,
  };
}
