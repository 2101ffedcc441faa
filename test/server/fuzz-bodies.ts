// Request bodies for the server fuzz test: the translate fuzz's dialect-shaped arbitraries (OpenAI chat,
// Anthropic Messages), shaped ones for the other entries (Gemini, Responses, embeddings), random mutations of
// a valid request of each, and plain random JSON and text.
import fc from 'fast-check';
import { anthropicRequest, node, openAIRequest } from '../translate/fuzz-arbitraries.js';

/** Mostly `arb`, now and then any JSON at all. */
const rare = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: arb }, { weight: 1, arbitrary: node });
/** Left out, null, or `arb`. */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), arb);
const text = rare(fc.string({ maxLength: 8 }));
const lit = <T extends string>(...values: T[]) => rare(fc.constantFrom(...values));
const some = <T>(arb: fc.Arbitrary<T>) => rare(fc.array(arb, { maxLength: 3 }));

const part = rare(fc.oneof(
  fc.record({ text }),
  fc.record({ inlineData: rare(fc.record({ mimeType: lit('image/png', 'application/pdf'), data: text })) }),
  fc.record({ functionCall: rare(fc.record({ name: text, args: node })) }),
  fc.record({ functionResponse: rare(fc.record({ name: text, response: node })) }),
));
const content = rare(fc.record({ role: lit('user', 'model', 'function'), parts: some(part) }, { requiredKeys: [] }));

export const geminiRequest = fc.record({
  contents: some(content),
  systemInstruction: optional(content),
  tools: optional(some(rare(fc.record({ functionDeclarations: some(rare(fc.record({ name: text, parameters: optional(node) }))) })))),
  generationConfig: optional(rare(fc.record({ maxOutputTokens: rare(fc.integer()), temperature: rare(fc.double({ noNaN: true })) }, { requiredKeys: [] }))),
  toolConfig: optional(node),
}, { requiredKeys: [] });

export const responsesRequest = fc.record({
  model: text,
  input: rare(fc.oneof(text, some(rare(fc.record({ role: lit('user', 'assistant'), content: rare(fc.oneof(text, some(rare(fc.record({ type: lit('input_text'), text }))))) }))))),
  instructions: optional(text),
  tools: optional(some(rare(fc.record({ type: lit('function'), name: text, parameters: optional(node) })))),
  stream: optional(rare(fc.boolean())),
}, { requiredKeys: [] });

export const embeddingsRequest = fc.record({
  model: text,
  input: rare(fc.oneof(text, some(text), some(fc.integer()))),
  // Bounded: the simulator builds a vector of `dimensions` numbers, and 2^31 of them is the test's OOM, not keymux's.
  dimensions: optional(fc.integer({ min: -1, max: 64 })),
}, { requiredKeys: [] });

/** Every path to a value in a JSON tree, the root excluded. */
function paths(v: unknown, at: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (out.push([...at, k]), paths(x, [...at, k], out));
  return out;
}

/** Stands in for a deep value until the body is text: the test's own JSON.stringify would overflow on it. */
const DEEP = '__deep__';
/** Arrays or objects nested 2–5,000 deep, as JSON text: what overflows recursive code (JSON.stringify, translators). */
const deepText = fc.tuple(fc.integer({ min: 2, max: 5_000 }), fc.boolean()).map(([depth, arrays]) =>
  arrays ? `${'['.repeat(depth)}"x"${']'.repeat(depth)}` : `${'{"type":"object","properties":{"a":'.repeat(depth)}"x"${'}}'.repeat(depth)}`,
);

/** `valid` with one value replaced by random JSON (now and then the DEEP marker), or removed. */
export function mutationsOf(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const all = paths(valid);
  const replacement = fc.option(fc.oneof({ weight: 9, arbitrary: node }, { weight: 1, arbitrary: fc.constant(DEEP) }), { nil: undefined, freq: 4 });
  return fc.tuple(fc.nat({ max: all.length - 1 }), replacement).map(([i, replacement]) => {
    const copy: unknown = structuredClone(valid);
    const path = all[i] ?? [];
    let parent: unknown = copy;
    for (const seg of path.slice(0, -1)) parent = Array.isArray(parent) ? parent[Number(seg)] : typeof parent === 'object' && parent !== null ? Object.entries(parent).find(([k]) => k === seg)?.[1] : undefined;
    const last = path.at(-1);
    if (Array.isArray(parent) && typeof last === 'number') {
      if (replacement === undefined) parent.splice(last, 1);
      else parent[last] = replacement;
    } else if (typeof parent === 'object' && parent !== null && typeof last === 'string') {
      Reflect.set(parent, last, replacement);
      if (replacement === undefined) Reflect.deleteProperty(parent, last);
    }
    return copy;
  });
}

/** A body for an entry: shaped like its dialect, a mutation of a valid one, any JSON, or not JSON at all. */
export function bodies(shaped: fc.Arbitrary<unknown>, valid: Record<string, unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 5, arbitrary: shaped.map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 4, arbitrary: fc.tuple(mutationsOf(valid), deepText).map(([b, deep]) => (JSON.stringify(b) ?? 'null').replace(`"${DEEP}"`, deep)) },
    { weight: 1, arbitrary: fc.jsonValue().map((b) => JSON.stringify(b) ?? 'null') },
    { weight: 1, arbitrary: fc.string() },
  );
}

export { anthropicRequest, openAIRequest };

/** The fuzz servers' config: one attempt, no queueing, no cooldown: a request the simulator fails is answered at once. */
export const ONE_SHOT = 'retry: { maxAttempts: 1 }\nqueue: { timeoutMs: 0 }\ncooldown: { defaultMs: 0, maxMs: 0 }\n';

/** A model of each provider of startThreeProviders. */
export const OPENAI = 'openai/gpt-4o';
export const ANTHROPIC = 'anthropic/claude-sonnet-4-6';
export const GEMINI = 'gemini/gemini-2.5-flash';
