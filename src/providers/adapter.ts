import type { Dialect } from '../dialects/index.js';
import type { Outcome } from '../pool/outcome.js';
import { anthropicClassifier } from './anthropic.js';
import { NOT_FOUND, parseMaybeJson, startsAsObject, tailMember, tailMemberOf } from './json-tail.js';
import { containsText } from './search.js';
import { type Classifier, requestIdFrom } from './common.js';
import { geminiClassifier } from './gemini.js';
import { openaiClassifier } from './openai.js';
import type { ProviderProfile, Quirks } from './profile.js';
import { CHAT_ROUTE, prepareCall } from './request.js';
import { sanitizeBody } from './sanitize.js';
import { trackStream } from './stream-usage.js';
import type { ClassifyContext, Headers, ProviderAdapter, ReadAnswer, UpstreamResult } from './types.js';

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

/** The member a 2xx answer carries its usage in, per dialect: all a classifier reads of a 2xx body without an error. */
const USAGE_MEMBER: { readonly [D in Dialect]: string } = { openai: 'usage', anthropic: 'usage', gemini: 'usageMetadata' };

/**
 * A read answer judged from its text. A 2xx JSON object that names no `error` anywhere is judged on its usage
 * member alone, read from the tail (json-tail.ts): every classifier reads nothing else of such a body (OpenAI's
 * 200-with-an-error needs an `error` member, Gemini's an array). Anything else is parsed whole, as before. The
 * body is parsed on demand, once, for whoever still needs it (a translated answer, a request id in the body).
 */
function classifyText(classify: (r: UpstreamResult, ctx: ClassifyContext) => Outcome, member: string) {
  return (status: number, headers: Headers, raw: string | Buffer, ctx: ClassifyContext): ReadAnswer => {
    // A relayed 2xx is judged from its bytes: the whole text is decoded only when something asks for it.
    let decoded = typeof raw === 'string' ? raw : undefined;
    const text = (): string => (decoded ??= raw.toString('utf8'));
    let parsed: unknown = NOT_FOUND;
    const body = (): unknown => (parsed === NOT_FOUND ? (parsed = parseMaybeJson(text())) : parsed);
    if (status >= 200 && status < 300 && status !== 204 && startsAsObject(raw) && !containsText(raw, '"error"')) {
      const usage = typeof raw === 'string' ? tailMember(raw, member) : tailMemberOf(raw, member, text);
      // A usage object that yields no usage is left to the whole body (OpenAI's Responses events nest theirs).
      if (usage !== NOT_FOUND) {
        const outcome = classify({ status, headers, body: { [member]: usage } }, ctx);
        if (outcome.kind === 'ok' && outcome.usage !== undefined) return { outcome, body, text };
      }
    }
    return { outcome: classify({ status, headers, body: body() }, ctx), body, text };
  };
}

/** The adapter of one provider profile: the only way the server reaches a provider. */
export function createAdapter(profile: ProviderProfile): ProviderAdapter {
  const rules = profile.quirks.sanitize;
  const byDialect = CLASSIFIERS[profile.dialect](profile.quirks);
  const classify = (result: UpstreamResult, ctx: ClassifyContext): Outcome => invalidJson(result) ?? byDialect(result, ctx);
  return {
    profile,
    chatRoute: CHAT_ROUTE[profile.dialect],
    call: (route, o) => prepareCall(profile, route, o),
    // The sanitising rules are about OpenAI chat bodies; every other body goes as the client wrote it.
    prepare: (route, body) => (route === 'chat' && rules.length > 0 ? sanitizeBody(rules, body) : { body, changed: [] }),
    sanitizes: (route) => route === 'chat' && rules.length > 0,
    classify,
    classifyText: classifyText(classify, USAGE_MEMBER[profile.dialect]),
    trackStream: () => trackStream(profile.dialect),
    requestId: requestIdFrom,
  };
}
