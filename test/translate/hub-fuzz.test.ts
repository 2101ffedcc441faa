// Random JSON at the entries the hub added (#15): Gemini client bodies, and each upstream's bodies and stream
// chunks toward Anthropic and Gemini clients. Whatever arrives, an entry returns or throws a TranslationError —
// never a TypeError, which the server would turn into a 500 — and what it returns can be sent on.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { translatorFor, TranslationError, type Translator } from '../../src/translate/index.js';
import { anthropicRequest, EVENTS, node, streamChunks, upstream } from './fuzz-arbitraries.js';

function outcome(translate: () => unknown): 'ok' | 'refused' {
  try {
    JSON.stringify(translate());
    return 'ok';
  } catch (e) {
    if (e instanceof TranslationError) return 'refused';
    throw e;
  }
}

const get = (c: 'anthropic' | 'gemini', u: 'openai' | 'anthropic' | 'gemini'): Translator => {
  const t = translatorFor(c, u);
  if (!t) throw new Error('no translator');
  return t;
};
const RUNS = { numRuns: 300 };
const maybe = <T>(a: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), a, node);
const part = fc.oneof(
  fc.record({ text: maybe(fc.string({ maxLength: 6 })), thought: maybe(fc.boolean()), thoughtSignature: maybe(fc.string({ maxLength: 4 })) }, { requiredKeys: [] }),
  fc.record({ functionCall: maybe(fc.record({ name: maybe(fc.constantFrom('f', 'g')), args: maybe(fc.constant({ a: 1 })), id: maybe(fc.constantFrom('x', 'y')) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  fc.record({ functionResponse: maybe(fc.record({ name: maybe(fc.constantFrom('f', 'g')), response: maybe(fc.constant({ ok: 1 })) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  fc.record({ inlineData: maybe(fc.record({ mimeType: maybe(fc.constantFrom('image/png', 'application/pdf', 'audio/wav', 'x/y')), data: maybe(fc.constant('AA')) }, { requiredKeys: [] })) }, { requiredKeys: [] }),
  node,
);
const geminiRequest = fc.oneof(
  { weight: 6, arbitrary: fc.record({
    contents: maybe(fc.array(fc.record({ role: maybe(fc.constantFrom('user', 'model')), parts: maybe(fc.array(part, { maxLength: 4 })) }, { requiredKeys: [] }), { maxLength: 4 })),
    systemInstruction: maybe(fc.oneof(fc.string({ maxLength: 5 }), fc.record({ parts: fc.array(part, { maxLength: 2 }) }))),
    tools: maybe(fc.array(fc.oneof(fc.record({ functionDeclarations: maybe(fc.array(fc.record({ name: maybe(fc.constantFrom('f', 'g')), parameters: maybe(node) }, { requiredKeys: [] }), { maxLength: 2 })) }, { requiredKeys: [] }), node), { maxLength: 2 })),
    toolConfig: maybe(fc.record({ functionCallingConfig: maybe(fc.record({ mode: maybe(fc.constantFrom('AUTO', 'ANY', 'NONE')), allowedFunctionNames: maybe(fc.array(fc.constantFrom('f', 'g'))) }, { requiredKeys: [] })) }, { requiredKeys: [] })),
    generationConfig: maybe(fc.record({ maxOutputTokens: maybe(fc.integer()), thinkingConfig: maybe(fc.record({ thinkingBudget: maybe(fc.integer({ min: -1, max: 5000 })) }, { requiredKeys: [] })), candidateCount: maybe(fc.integer({ min: 0, max: 3 })) }, { requiredKeys: [] })),
  }, { requiredKeys: [] }) },
  fc.jsonValue(),
  node,
);

describe('hub entries on random JSON return or throw TranslationError', () => {
  it.each([['openai'], ['anthropic']] as const)('gemini client request → %s', (u) => {
    const seen = { ok: 0, refused: 0 };
    // A body each half is known to hold goes first: both halves are then counted whatever the seed draws (a seed
    // whose 300 bodies were all translatable failed this test once).
    const examples: Array<[unknown, boolean]> = [[null, false], [{ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }, true]];
    fc.assert(fc.property(geminiRequest, fc.boolean(), (b, stream) => void seen[outcome(() => get('gemini', u).request(b, { model: 'm', stream }))]++), { ...RUNS, examples });
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.ok).toBeGreaterThan(0);
  });

  it('anthropic client request → gemini', () => {
    fc.assert(fc.property(anthropicRequest, (b) => void outcome(() => get('anthropic', 'gemini').request(b, { model: 'g' }))), RUNS);
  });

  it.each([
    ['anthropic', 'gemini'], ['gemini', 'openai'], ['gemini', 'anthropic'],
  ] as const)('%s client, %s upstream: responses and streams', (c, u) => {
    const t = get(c, u);
    fc.assert(fc.property(upstream[u], (b) => void outcome(() => t.response(b, { model: 'm' }))), RUNS);
    if (u === 'anthropic') {
      fc.assert(fc.property(streamChunks.anthropic, fc.boolean(), (items, broken) => {
        const s = t.stream();
        for (const [event, data] of items) outcome(() => s.push(event, data));
        outcome(() => (broken ? s.error('cut') : s.end()));
      }), RUNS);
    } else {
      fc.assert(fc.property(streamChunks[u], fc.boolean(), (items, broken) => {
        const s = t.stream();
        for (const c of items) outcome(() => s.push(EVENTS[0], c));
        outcome(() => (broken ? s.error('cut') : s.end()));
      }), RUNS);
    }
  });
});
