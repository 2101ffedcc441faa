// Embeddings between OpenAI's /v1/embeddings and Gemini's :embedContent / :batchEmbedContents, both ways.
// The two carry the same thing (texts in, one vector per text out); what only one side has is dropped with
// a warning (Gemini's taskType and title, OpenAI's user) or refused (token-id input, non-text parts).
import { z } from 'zod';
import { TranslationError, untranslatable } from './errors.js';

const OPENAI = 'OpenAI embeddings';
const GEMINI = 'Gemini embedContent';

const openAIRequest = z.looseObject({
  input: z.union([z.string(), z.array(z.unknown())]),
  dimensions: z.number().int().positive().nullish(),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  user: z.string().nullish(),
});

const geminiContent = z.looseObject({ parts: z.array(z.looseObject({ text: z.string().optional() })) });
const geminiEmbedRequest = z.looseObject({
  content: geminiContent,
  outputDimensionality: z.number().int().positive().nullish(),
  taskType: z.string().nullish(),
  title: z.string().nullish(),
});
const geminiBatchRequest = z.looseObject({ requests: z.array(geminiEmbedRequest) });

const geminiResponse = z.looseObject({ embeddings: z.array(z.looseObject({ values: z.array(z.number()) })) });
const openAIResponse = z.looseObject({
  data: z.array(z.looseObject({ index: z.number().optional(), embedding: z.union([z.array(z.number()), z.string()]) })),
  usage: z.looseObject({ prompt_tokens: z.number().optional() }).optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new TranslationError('KMX_ERR_BAD_REQUEST', `not a valid ${what} request${at}: ${issue?.message ?? 'malformed'}`);
}

/** Gemini names a model `models/x` inside the body, and it must be the one in the URL. */
function geminiModelName(model: string): string {
  return model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
}

export interface OpenAIEmbeddingsToGemini {
  /** The :batchEmbedContents body. */
  body: { requests: Array<{ model: string; content: { parts: Array<{ text: string }> }; outputDimensionality?: number }> };
  /** The client asked for base64 vectors (the openai SDK's default): the answer must encode them. */
  base64: boolean;
  warnings: string[];
}

/** An OpenAI /v1/embeddings body as one Gemini :batchEmbedContents call (every input one request). */
export function openAIEmbeddingsToGemini(body: unknown, opts: { model: string }): OpenAIEmbeddingsToGemini {
  const req = parse(openAIRequest, body, OPENAI);
  const inputs = typeof req.input === 'string' ? [req.input] : req.input;
  const texts = inputs.map((x) => {
    if (typeof x === 'string') return x;
    throw untranslatable('token-id input', 'Gemini embedContent', 'Gemini embeds text only; send the input as strings');
  });
  if (texts.length === 0) throw new TranslationError('KMX_ERR_BAD_REQUEST', '"input" must not be empty');
  const warnings: string[] = [];
  if (req.user) warnings.push('user dropped (Gemini embeddings have no end-user id)');
  const model = geminiModelName(opts.model);
  const dims = req.dimensions ?? undefined;
  const requests = texts.map((text) => ({ model, content: { parts: [{ text }] }, ...(dims !== undefined && { outputDimensionality: dims }) }));
  return { body: { requests }, base64: req.encoding_format === 'base64', warnings };
}

/** The float32 little-endian bytes OpenAI's base64 encoding_format carries (what the openai SDK decodes). */
export function float32Base64(values: readonly number[]): string {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buf.writeFloatLE(v, i * 4));
  return buf.toString('base64');
}

/** A Gemini :batchEmbedContents answer as OpenAI's embeddings list. Gemini reports no token usage: it reads 0. */
export function geminiToOpenAIEmbeddings(body: unknown, opts: { model: string; base64: boolean }): unknown {
  const r = geminiResponse.safeParse(body);
  // Not an embeddings answer (a 2xx of another shape): relayed as it is rather than invented.
  if (!r.success) return body;
  const data = r.data.embeddings.map((e, index) => ({ object: 'embedding', index, embedding: opts.base64 ? float32Base64(e.values) : e.values }));
  return { object: 'list', data, model: opts.model, usage: { prompt_tokens: 0, total_tokens: 0 } };
}

export interface GeminiEmbedToOpenAI {
  body: { model: string; input: string[]; encoding_format: 'float'; dimensions?: number };
  warnings: string[];
}

/** A Gemini :embedContent or :batchEmbedContents body as one OpenAI /v1/embeddings call. */
export function geminiEmbedToOpenAI(body: unknown, opts: { model: string; batch: boolean }): GeminiEmbedToOpenAI {
  const requests = opts.batch ? parse(geminiBatchRequest, body, GEMINI).requests : [parse(geminiEmbedRequest, body, GEMINI)];
  if (requests.length === 0) throw new TranslationError('KMX_ERR_BAD_REQUEST', '"requests" must not be empty');
  const warnings = new Set<string>();
  const dims = new Set<number | undefined>();
  const input = requests.map((r) => {
    if (r.taskType) warnings.add('taskType dropped (OpenAI embeddings have no task type)');
    if (r.title) warnings.add('title dropped (OpenAI embeddings have no document title)');
    dims.add(r.outputDimensionality ?? undefined);
    const texts = r.content.parts.map((p) => {
      if (typeof p.text === 'string') return p.text;
      throw untranslatable('a non-text part', 'OpenAI embeddings', 'OpenAI-compatible embeddings take text only');
    });
    return texts.join('\n');
  });
  // One OpenAI call has one `dimensions`; a batch that mixes sizes cannot be one call.
  if (dims.size > 1) throw untranslatable('requests with different outputDimensionality', 'OpenAI embeddings', 'send one size per batch');
  const [d] = [...dims];
  return {
    body: { model: opts.model, input, encoding_format: 'float', ...(d !== undefined && { dimensions: d }) },
    warnings: [...warnings],
  };
}

/** An OpenAI embeddings list as Gemini's answer: `{embedding}` for :embedContent, `{embeddings}` for the batch. */
export function openAIToGeminiEmbeddings(body: unknown, opts: { batch: boolean }): unknown {
  const r = openAIResponse.safeParse(body);
  if (!r.success) return body;
  const sorted = [...r.data.data].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
  const values = sorted.map((d) => ({ values: typeof d.embedding === 'string' ? fromFloat32Base64(d.embedding) : d.embedding }));
  return opts.batch ? { embeddings: values } : { embedding: values[0] ?? { values: [] } };
}

function fromFloat32Base64(s: string): number[] {
  const buf = Buffer.from(s, 'base64');
  const out: number[] = [];
  for (let i = 0; i + 4 <= buf.length; i += 4) out.push(buf.readFloatLE(i));
  return out;
}
