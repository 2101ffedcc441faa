import { HttpError } from '../errors.js';

/**
 * The top-level shape of each dialect's request, checked at its route before anything reads the body: code
 * past this point (model resolution, token estimates, the stream_options rewrite, the translators' entry) may
 * rely on `messages` being an array of objects and `stream` a boolean, and a client that sent something else
 * hears which field was wrong (400) instead of a 500. Only the structure that code walks is checked; the
 * values inside are the provider's (same dialect) or the translator's to judge. `null` means "not set", as the
 * providers' APIs take it for optional fields.
 */
export type ShapeName =
  | 'chat' | 'completions' | 'embeddings' | 'responses' | 'messages' | 'count_tokens' | 'token_count'
  | 'generateContent' | 'streamGenerateContent' | 'countTokens' | 'embedContent' | 'batchEmbedContents';

/** What a value must be: undefined when it is, else the expectation with the first offending element. */
type Rule = (v: unknown, field: string) => string | undefined;

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null && !Array.isArray(v);
const what = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);

const string: Rule = (v) => (typeof v === 'string' ? undefined : `a string, not ${what(v)}`);
const boolean: Rule = (v) => (typeof v === 'boolean' ? undefined : `true or false, not ${what(v)}`);
const object: Rule = (v) => (isObject(v) ? undefined : `an object, not ${what(v)}`);
const array: Rule = (v) => (Array.isArray(v) ? undefined : `an array, not ${what(v)}`);

const objects: Rule = (v, field) => {
  if (!Array.isArray(v)) return `an array of objects, not ${what(v)}`;
  const i = v.findIndex((x) => !isObject(x));
  return i < 0 ? undefined : `an array of objects (${field}[${i}] is ${what(v[i])})`;
};
const either = (a: Rule, b: Rule, expected: string): Rule => (v, field) =>
  a(v, field) === undefined || b(v, field) === undefined ? undefined : `${expected}, not ${what(v)}`;
/** When it is an array, its elements must pass `objects`. */
const stringOrObjects: Rule = (v, field) => (typeof v === 'string' ? undefined : Array.isArray(v) ? objects(v, field) : `a string or an array of objects, not ${what(v)}`);

interface Shape {
  /** Fields that must be present and not null. */
  required?: readonly string[];
  fields: Readonly<Record<string, Rule>>;
}

const model = { model: string };
const geminiGenerate: Shape = {
  required: ['contents'],
  fields: { contents: objects, tools: objects, safetySettings: objects, systemInstruction: object, generationConfig: object, toolConfig: object, cachedContent: string },
};

const SHAPES: Readonly<Record<ShapeName, Shape>> = {
  chat: {
    required: ['messages'],
    fields: {
      ...model, messages: objects, tools: objects, functions: objects, tool_choice: either(string, object, 'a string or an object'),
      stream: boolean, stream_options: object, response_format: object, stop: either(string, array, 'a string or an array'), metadata: object,
    },
  },
  completions: { fields: { ...model, prompt: either(string, array, 'a string or an array'), stream: boolean, stream_options: object } },
  embeddings: { required: ['input'], fields: { ...model, input: either(string, array, 'a string or an array') } },
  responses: {
    fields: { ...model, input: stringOrObjects, instructions: string, tools: objects, stream: boolean, text: object, reasoning: object, metadata: object },
  },
  messages: {
    required: ['messages'],
    fields: {
      ...model, messages: objects, system: stringOrObjects, tools: objects, tool_choice: object, stream: boolean,
      metadata: object, thinking: object, stop_sequences: array,
    },
  },
  count_tokens: { required: ['messages'], fields: { ...model, messages: objects, system: stringOrObjects, tools: objects, tool_choice: object, thinking: object } },
  token_count: { fields: model },
  generateContent: geminiGenerate,
  streamGenerateContent: geminiGenerate,
  countTokens: { fields: { contents: objects, generateContentRequest: object, tools: objects, systemInstruction: object } },
  embedContent: { required: ['content'], fields: { ...model, content: object } },
  batchEmbedContents: { required: ['requests'], fields: { requests: objects } },
};

/** Throws a 400 naming the first field of `body` that does not have the route's shape. */
export function checkShape(body: Record<string, unknown>, name: ShapeName): void {
  const shape = SHAPES[name];
  for (const field of shape.required ?? []) {
    const v = body[field];
    if (v === undefined || v === null) throw new HttpError('KMX_ERR_BAD_REQUEST', `The request has no "${field}"; it is required`);
  }
  for (const field in shape.fields) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    const rule = shape.fields[field];
    const wrong = rule?.(v, field);
    if (wrong !== undefined) throw new HttpError('KMX_ERR_BAD_REQUEST', `"${field}" must be ${wrong}`);
  }
}
