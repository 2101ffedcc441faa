// Gemini generateContent → canonical: a client's request. (Upstream responses and streams: gemini-reply.ts.)
import type { CanonMessage, CanonPart, CanonRequest, CanonTool, HubContext, MediaPart, Signatures, TextPart } from '../canonical.js';
import { invalidRequest, untranslatable } from '../errors.js';
import { parseGeminiRequest, type GeminiDeclarationIn, type GeminiPartIn, type GeminiRequestIn } from '../parse-gemini.js';
import { isObject, randomId } from '../util.js';

const KNOWN = new Set(['contents', 'systemInstruction', 'tools', 'toolConfig', 'generationConfig', 'safetySettings', 'model', 'labels']);
/** generationConfig members read below, or dropped with a warning of their own. */
const CONFIG_KNOWN = new Set([
  'maxOutputTokens', 'temperature', 'topP', 'topK', 'stopSequences', 'candidateCount', 'seed', 'presencePenalty', 'frequencyPenalty',
  'responseMimeType', 'responseSchema', 'responseJsonSchema', 'responseModalities', 'thinkingConfig',
]);
/**
 * Thinking produced by Anthropic reaches a Gemini client as a thought part whose thoughtSignature carries the
 * Anthropic signature under this prefix; sent back, it becomes an Anthropic thinking block again.
 */
export const ANTHROPIC_SIG_PREFIX = 'kmx-anthropic:';

export function signatures(thoughtSignature: string | null | undefined): Signatures | undefined {
  if (!thoughtSignature) return undefined;
  return thoughtSignature.startsWith(ANTHROPIC_SIG_PREFIX) ? { anthropic: thoughtSignature.slice(ANTHROPIC_SIG_PREFIX.length) } : { gemini: thoughtSignature };
}

export function readGeminiRequest(input: unknown, ctx: HubContext, stream: boolean): CanonRequest {
  const req = parseGeminiRequest(input);
  if (req.cachedContent != null) throw untranslatable('cachedContent (Gemini context caching)', ctx.target);
  for (const key of Object.keys(req)) if (key === 'safetySettings') ctx.warnings.push("dropped 'safetySettings': the upstream has its own");
  const known = new Set([...KNOWN, 'cachedContent']);
  for (const key of Object.keys(req)) if (!known.has(key) && req[key] != null) ctx.warnings.push(`dropped unsupported field '${key.replace(/[^\x20-\x7e]/g, '?').slice(0, 64)}'`);
  const system: TextPart[] = [];
  const si = req.systemInstruction;
  if (typeof si === 'string') system.push({ type: 'text', text: si });
  else for (const p of si?.parts ?? []) if (p.text) system.push({ type: 'text', text: p.text });
  const out: CanonRequest = { system, messages: contents(req, ctx), stream, tools: tools(req, ctx) };
  const tc = req.toolConfig?.functionCallingConfig;
  const mode = tc?.mode?.toUpperCase();
  const names = tc?.allowedFunctionNames ?? [];
  if (mode === 'NONE') out.toolChoice = { type: 'none' };
  else if (mode === 'ANY' || mode === 'VALIDATED') {
    const [only] = names;
    out.toolChoice = names.length === 1 && only !== undefined ? { type: 'tool', name: only } : { type: 'required', ...(names.length ? { allowed: names } : {}) };
  } else if (mode === 'AUTO') out.toolChoice = { type: 'auto' };
  generation(req, out, ctx);
  return out;
}

function generation(req: GeminiRequestIn, out: CanonRequest, ctx: HubContext): void {
  const g = req.generationConfig;
  if (!g) return;
  for (const key of Object.keys(g)) if (!CONFIG_KNOWN.has(key) && g[key] != null) ctx.warnings.push(`dropped unsupported field 'generationConfig.${key.slice(0, 48)}'`);
  if (typeof g.maxOutputTokens === 'number') out.maxTokens = g.maxOutputTokens;
  if (typeof g.temperature === 'number') out.temperature = g.temperature;
  if (typeof g.topP === 'number') out.topP = g.topP;
  if (typeof g.topK === 'number') out.topK = g.topK;
  if (g.stopSequences?.length) out.stop = g.stopSequences;
  if (typeof g.candidateCount === 'number' && g.candidateCount !== 1) out.candidates = g.candidateCount;
  if (typeof g.seed === 'number') out.seed = g.seed;
  if (typeof g.presencePenalty === 'number') out.presencePenalty = g.presencePenalty;
  if (typeof g.frequencyPenalty === 'number') out.frequencyPenalty = g.frequencyPenalty;
  if (g.responseModalities?.some((m) => m.toUpperCase() !== 'TEXT')) throw untranslatable(`responseModalities ${g.responseModalities.join(', ')}`, ctx.target);
  if (g.responseMimeType === 'application/json' || g.responseJsonSchema || g.responseSchema) {
    const schema = g.responseJsonSchema ?? (g.responseSchema ? fromGeminiSchema(g.responseSchema) : undefined);
    out.responseFormat = schema ? { schema } : {};
  } else if (g.responseMimeType && g.responseMimeType !== 'text/plain') throw untranslatable(`responseMimeType '${g.responseMimeType}'`, ctx.target);
  const t = g.thinkingConfig;
  if (t) {
    if (t.thinkingBudget === 0) out.reasoning = { off: true };
    else if (typeof t.thinkingBudget === 'number' && t.thinkingBudget > 0) out.reasoning = { budget: t.thinkingBudget };
    else if (t.thinkingLevel) out.reasoning = { effort: t.thinkingLevel.toLowerCase() };
    else if (t.thinkingBudget === -1 || t.includeThoughts) out.reasoning = { effort: 'medium' }; // dynamic thinking
  }
}

function tools(req: GeminiRequestIn, ctx: HubContext): CanonTool[] {
  const out: CanonTool[] = [];
  for (const t of req.tools ?? []) {
    for (const key of Object.keys(t)) {
      if (key !== 'functionDeclarations' && t[key] != null) throw untranslatable(`Gemini tool '${key}'`, ctx.target, 'only functionDeclarations can be carried');
    }
    for (const d of t.functionDeclarations ?? []) out.push(declaration(d));
  }
  return out;
}

function declaration(d: GeminiDeclarationIn): CanonTool {
  const schema = d.parametersJsonSchema ?? (d.parameters ? fromGeminiSchema(d.parameters) : undefined);
  return { name: d.name, ...(d.description ? { description: d.description } : {}), ...(schema ? { schema } : {}) };
}

/** Gemini's OpenAPI-style Schema → JSON Schema: lower-case types, `nullable` as a null type, no `format: enum`. */
export function fromGeminiSchema(s: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'propertyOrdering' || (k === 'format' && v === 'enum')) continue;
    if (k === 'type' && typeof v === 'string') out.type = v.toLowerCase();
    else if (k === 'properties' && isObject(v)) out.properties = Object.fromEntries(Object.entries(v).map(([n, p]) => [n, isObject(p) ? fromGeminiSchema(p) : p]));
    else if (k === 'items' && isObject(v)) out.items = fromGeminiSchema(v);
    else if (k === 'anyOf' && Array.isArray(v)) out.anyOf = v.map((x) => (isObject(x) ? fromGeminiSchema(x) : x));
    else out[k] = v;
  }
  if (s.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  return out;
}

function media(p: GeminiPartIn, target: string): MediaPart | undefined {
  if (p.inlineData) {
    const mediaType = p.inlineData.mimeType.toLowerCase();
    return { type: kind(mediaType), media: { kind: 'base64', mediaType, data: p.inlineData.data } };
  }
  if (p.fileData) {
    // Files uploaded to Google (files/… or their generativelanguage URL) exist only for Gemini: no other upstream can fetch them.
    if (!/^https?:\/\//i.test(p.fileData.fileUri) || /generativelanguage\.googleapis\.com/i.test(p.fileData.fileUri)) {
      throw untranslatable('a file from the Gemini Files API (fileData.fileUri)', target, 'send it inline as inlineData');
    }
    const mediaType = p.fileData.mimeType?.toLowerCase();
    return { type: kind(mediaType ?? 'image/'), media: { kind: 'url', url: p.fileData.fileUri, ...(mediaType ? { mediaType } : {}) } };
  }
  return undefined;
}

const kind = (mediaType: string): MediaPart['type'] => (mediaType.startsWith('image/') ? 'image' : mediaType.startsWith('audio/') ? 'audio' : 'document');

/** A functionResponse's object as tool-result text: `{result: "…"}` (what keymux wraps plain text in) unwraps. */
function responseText(r: Record<string, unknown> | null | undefined): string {
  if (!r) return '';
  const keys = Object.keys(r);
  const [only] = keys;
  if (keys.length === 1 && only !== undefined && ['result', 'output', 'content'].includes(only) && typeof r[only] === 'string') return r[only];
  return JSON.stringify(r);
}

/**
 * Turns, with ids made for Gemini's id-less function calls: a functionResponse answers the oldest open call
 * of its name (Gemini's own pairing rule), so OpenAI and Anthropic see each result tied to its call.
 */
function contents(req: GeminiRequestIn, ctx: HubContext): CanonMessage[] {
  const open = new Map<string, string[]>();
  const out: CanonMessage[] = [];
  for (const [i, c] of req.contents.entries()) {
    const role = c.role === 'model' ? 'assistant' : 'user';
    const parts: CanonPart[] = [];
    for (const [j, p] of c.parts.entries()) {
      const sig = signatures(p.thoughtSignature);
      if (p.functionCall) {
        const id = p.functionCall.id || randomId('call_');
        open.set(p.functionCall.name, [...(open.get(p.functionCall.name) ?? []), id]);
        parts.push({ type: 'tool_call', id, name: p.functionCall.name, args: p.functionCall.args ?? {}, ...(sig ? { sig } : {}) });
      } else if (p.functionResponse) {
        const { name } = p.functionResponse;
        const queue = open.get(name) ?? [];
        const id = p.functionResponse.id && queue.includes(p.functionResponse.id) ? p.functionResponse.id : queue[0];
        if (id === undefined) throw invalidRequest(`contents[${i}].parts[${j}].functionResponse '${name}' answers no earlier functionCall`);
        open.set(name, queue.filter((x) => x !== id));
        parts.push({ type: 'tool_result', id, name, content: [{ type: 'text', text: responseText(p.functionResponse.response) }] });
      } else if (typeof p.text === 'string') {
        const prev = parts.at(-1);
        // A streamed thought arrives in pieces, its signature on the last: the pieces are one thought.
        if (p.thought === true && prev?.type === 'thinking' && !prev.sig) {
          prev.text += p.text;
          if (sig) prev.sig = sig;
        } else if (p.thought === true) parts.push({ type: 'thinking', text: p.text, ...(sig ? { sig } : {}) });
        else if (p.text || sig) parts.push({ type: 'text', text: p.text, ...(sig ? { sig } : {}) });
      } else {
        const m = media(p, ctx.target);
        if (m) parts.push(m);
        else {
          const what = Object.keys(p).find((k) => k !== 'thoughtSignature' && p[k] != null) ?? 'empty';
          throw untranslatable(`part '${what}'`, ctx.target);
        }
      }
    }
    out.push({ role, parts });
  }
  return out;
}
