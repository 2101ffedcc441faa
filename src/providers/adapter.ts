import type { Dialect } from '../dialects/index.js';
import { anthropicClassifier } from './anthropic.js';
import { type Classifier, requestIdFrom } from './common.js';
import { geminiClassifier } from './gemini.js';
import { openaiClassifier } from './openai.js';
import type { ProviderProfile, Quirks } from './profile.js';
import { CHAT_ROUTE, prepareCall } from './request.js';
import { sanitizeBody } from './sanitize.js';
import { trackStream } from './stream-usage.js';
import type { ProviderAdapter } from './types.js';

/** Each dialect's reading of results; the provider's quirks refine the OpenAI one (Azure's included). */
const CLASSIFIERS: { readonly [D in Dialect]: (q: Quirks) => Classifier } = {
  openai: openaiClassifier,
  anthropic: () => anthropicClassifier,
  gemini: () => geminiClassifier,
};

/** The adapter of one provider profile: the only way the server reaches a provider. */
export function createAdapter(profile: ProviderProfile): ProviderAdapter {
  const rules = profile.quirks.sanitize;
  return {
    profile,
    chatRoute: CHAT_ROUTE[profile.dialect],
    call: (route, o) => prepareCall(profile, route, o),
    // The sanitising rules are about OpenAI chat bodies; every other body goes as the client wrote it.
    prepare: (route, body) => (route === 'chat' && rules.length > 0 ? sanitizeBody(rules, body) : { body, changed: [] }),
    classify: CLASSIFIERS[profile.dialect](profile.quirks),
    trackStream: () => trackStream(profile.dialect),
    requestId: requestIdFrom,
  };
}
