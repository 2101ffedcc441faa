// canonical → Gemini generateContent: the upstream's request, and a client's response.
import type { CanonMessage, CanonPart, CanonRequest, CanonResponse, CanonStop, CanonUsage, HubContext, MediaPart, Signatures, TextPart, ToolResultPart } from '../canonical.js';
import { invalidRequest, untranslatable } from '../errors.js';
import { toGeminiSchema } from '../gemini-schema.js';
import type { GeminiContent, GeminiFunctionDeclaration, GeminiPart, GeminiRequest, GeminiResponse } from '../types.js';
import { budgetFromEffort, isObject, randomId } from '../util.js';
import { ANTHROPIC_SIG_PREFIX } from './gemini-read.js';

/**
 * Google's documented placeholder for function calls Gemini did not produce in this conversation (Gemini 3
 * rejects a functionCall part without a thought signature; other dialects never have one).
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';
const MIME_BY_EXT: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf' };

/** The body for `…/models/{model}:generateContent` (or `:streamGenerateContent`): model and streaming live in the URL. */
export function writeGeminiRequest(req: CanonRequest, ctx: HubContext): GeminiRequest {
  const w = ctx.warnings;
  const only = req.openaiOnly ?? {};
  for (const k of ['logit_bias', 'top_logprobs', 'verbosity', 'prediction']) if (only[k] != null) w.push(`dropped '${k}': no Gemini equivalent`);
  if (only.logprobs === true) w.push("dropped 'logprobs': not translated from Gemini");
  if (req.parallelToolCalls === false) w.push("dropped 'parallel_tool_calls: false': Gemini cannot limit a turn to one call");
  const systemParts = [...req.system];
  const body: GeminiRequest = { contents: contents(req.messages, systemParts, ctx) };
  const system = systemParts.map((p) => p.text).filter((t) => t !== '');
  if (system.length) body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  tools(req, body, ctx);
  const gc: NonNullable<GeminiRequest['generationConfig']> & { topK?: number } = {};
  if (req.maxTokens !== undefined) gc.maxOutputTokens = req.maxTokens;
  if (req.stop?.length) gc.stopSequences = req.stop;
  if (req.temperature !== undefined) gc.temperature = req.temperature;
  if (req.topP !== undefined) gc.topP = req.topP;
  if (req.topK !== undefined) gc.topK = req.topK;
  if (req.candidates !== undefined && req.candidates > 1) gc.candidateCount = req.candidates;
  if (req.seed !== undefined) gc.seed = req.seed;
  if (req.presencePenalty) gc.presencePenalty = req.presencePenalty;
  if (req.frequencyPenalty) gc.frequencyPenalty = req.frequencyPenalty;
  if (req.responseFormat) {
    gc.responseMimeType = 'application/json';
    const schema = toGeminiSchema(req.responseFormat.schema);
    if (schema) gc.responseSchema = schema;
  }
  const r = req.reasoning;
  if (r) {
    // none/minimal/off: budget 0 turns thinking off where the model allows it (2.5 Flash; 2.5 Pro cannot).
    const budget = r.off ? 0 : (r.budget ?? (r.effort ? budgetFromEffort(r.effort) : undefined) ?? 0);
    gc.thinkingConfig = budget ? { thinkingBudget: budget, includeThoughts: true } : { thinkingBudget: 0 };
  }
  if (Object.keys(gc).length) body.generationConfig = gc;
  return body;
}

function tools(req: CanonRequest, body: GeminiRequest, ctx: HubContext): void {
  if (!req.tools.length) return;
  let decls: GeminiFunctionDeclaration[] = req.tools.map((t) => {
    const dropped = new Set<string>();
    const params = toGeminiSchema(t.schema, dropped);
    if (dropped.size) ctx.warnings.push(`tool '${t.name}' parameters: dropped ${[...dropped].join(', ')} (Gemini's schema subset)`);
    // Gemini rejects an OBJECT without properties: a function without arguments declares no parameters.
    const useful = params && !(params.type === 'OBJECT' && !params.properties);
    return { name: t.name, ...(t.description ? { description: t.description } : {}), ...(useful ? { parameters: params } : {}) };
  });
  const c = req.toolChoice;
  let config: NonNullable<GeminiRequest['toolConfig']>['functionCallingConfig'] | undefined;
  if (c?.type === 'tool') config = { mode: 'ANY', allowedFunctionNames: [c.name] };
  else if (c?.type === 'none') config = { mode: 'NONE' };
  else if (c?.type === 'required') config = { mode: 'ANY', ...(c.allowed ? { allowedFunctionNames: c.allowed } : {}) };
  else if (c?.type === 'auto' && c.allowed) decls = decls.filter((d) => c.allowed?.includes(d.name)); // allowedFunctionNames works with ANY only
  else if (c?.type === 'auto') config = { mode: 'AUTO' };
  body.tools = [{ functionDeclarations: decls }];
  if (config) body.toolConfig = { functionCallingConfig: config };
}

function media(p: MediaPart, ctx: HubContext): GeminiPart {
  const m = p.media;
  if (m.kind === 'text') return { text: (p.title ? `${p.title}\n\n` : '') + m.text };
  if (m.kind === 'file') throw untranslatable('a file by id (a provider Files API)', ctx.target, 'send the file inline as base64');
  if (m.kind === 'base64') return { inlineData: { mimeType: m.mediaType === 'image/jpg' ? 'image/jpeg' : m.mediaType, data: m.data } };
  if (!/^https?:\/\//i.test(m.url)) throw untranslatable('a media URL that is not http(s)', ctx.target);
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(m.url)?.[1]?.toLowerCase() ?? '';
  return { fileData: { mimeType: m.mediaType ?? MIME_BY_EXT[ext] ?? (p.type === 'document' ? 'application/pdf' : 'image/jpeg'), fileUri: m.url } };
}

const sigOf = (sig: Signatures | undefined): { thoughtSignature?: string } => (sig?.gemini ? { thoughtSignature: sig.gemini } : {});

/** A JSON object result goes as is; anything else is wrapped, since functionResponse.response must be an object. */
function toolResponse(p: ToolResultPart): Record<string, unknown> {
  const text = p.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('\n\n');
  const key = p.isError ? 'error' : 'result';
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v) && !p.isError) return v;
  } catch {
    /* plain text */
  }
  return { [key]: text };
}

/**
 * Gemini's pairing rule: a model turn's functionCalls are answered by the next user turn's functionResponses,
 * one each, by name. Results lead that turn, in the order of the calls; media a tool returned follows them.
 */
function contents(list: CanonMessage[], system: TextPart[], ctx: HubContext): GeminiContent[] {
  const names = new Map<string, string>(); // call id → function name: functionResponse needs the name
  const out: GeminiContent[] = [];
  let callOrder: string[] = [];
  let seenOther = false;
  for (const m of list) {
    if (m.role === 'system') {
      if (seenOther && !ctx.warnings.some((w) => w.startsWith('system messages'))) ctx.warnings.push('system messages after the conversation start were moved into systemInstruction');
      for (const p of m.parts) if (p.type === 'text') system.push(p);
      continue;
    }
    seenOther = true;
    const role = m.role === 'assistant' ? 'model' : 'user';
    const parts: GeminiPart[] = [];
    const results: Array<{ id: string; part: GeminiPart }> = [];
    let calls = 0;
    for (const p of m.parts) {
      const gp = part(p, names, ctx);
      if (p.type === 'tool_result') {
        if (gp) results.push({ id: p.id, part: gp });
        const extra = p.content.filter((c): c is MediaPart => c.type !== 'text');
        if (extra.length) parts.push({ text: `[content returned by tool call ${p.id}]` }, ...extra.map((x) => media(x, ctx)));
        continue;
      }
      if (!gp) continue;
      if (p.type === 'tool_call') {
        if (calls++ === 0 && !gp.thoughtSignature) gp.thoughtSignature = SKIP_THOUGHT_SIGNATURE;
      }
      parts.push(gp);
    }
    if (m.role === 'assistant') callOrder = m.parts.flatMap((p) => (p.type === 'tool_call' ? [p.id] : []));
    results.sort((a, b) => callOrder.indexOf(a.id) - callOrder.indexOf(b.id));
    const all = [...results.map((r) => r.part), ...parts];
    if (all.length === 0) continue;
    const last = out.at(-1);
    if (last?.role === role) last.parts.push(...all);
    else out.push({ role, parts: all });
  }
  return out;
}

function part(p: CanonPart, names: Map<string, string>, ctx: HubContext): GeminiPart | undefined {
  switch (p.type) {
    case 'text': return p.text || p.sig?.gemini ? { text: p.text, ...sigOf(p.sig) } : undefined;
    case 'image': case 'document': case 'audio': return media(p, ctx);
    // Thoughts go back only with Gemini's own signature: another model's reasoning means nothing to Gemini.
    case 'thinking': return p.sig?.gemini ? { text: p.text, thought: true, thoughtSignature: p.sig.gemini } : undefined;
    case 'tool_call':
      names.set(p.id, p.name);
      return { functionCall: { name: p.name, args: p.args }, ...sigOf(p.sig) };
    case 'tool_result': {
      const name = p.name ?? names.get(p.id);
      if (name === undefined) throw invalidRequest(`tool result '${p.id}' answers no earlier tool call (Gemini pairs results with calls by name)`);
      return { functionResponse: { name, response: toolResponse(p) } };
    }
  }
}

// ───────────────────────────── client: response ─────────────────────────────

export function geminiFinish(stop: CanonStop): string {
  switch (stop) {
    case 'length': case 'context': return 'MAX_TOKENS';
    case 'filter': case 'refusal': return 'SAFETY';
    default: return 'STOP';
  }
}

export function geminiUsageOut(u: CanonUsage): NonNullable<GeminiResponse['usageMetadata']> {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, u.output - u.reasoning),
    ...(u.reasoning ? { thoughtsTokenCount: u.reasoning } : {}),
    ...(u.cacheRead ? { cachedContentTokenCount: u.cacheRead } : {}),
    totalTokenCount: prompt + u.output,
  };
}

/** A response part for a Gemini client; an Anthropic signature rides in thoughtSignature under a prefix (see gemini-read). */
export function geminiPartOut(p: CanonPart): GeminiPart | undefined {
  const sig = p.type === 'thinking' || p.type === 'text' || p.type === 'tool_call' ? p.sig : undefined;
  const thoughtSignature = sig?.gemini ?? (sig?.anthropic ? ANTHROPIC_SIG_PREFIX + sig.anthropic : undefined);
  const s = thoughtSignature ? { thoughtSignature } : {};
  if (p.type === 'text') return { text: p.text, ...s };
  if (p.type === 'thinking') return p.redacted !== undefined ? undefined : { text: p.text, thought: true, ...s };
  if (p.type === 'tool_call') return { functionCall: { id: p.id || randomId('call_'), name: p.name, args: p.args }, ...s };
  return undefined;
}

export function geminiPartsOut(parts: CanonPart[]): GeminiPart[] {
  const out: GeminiPart[] = [];
  for (const p of parts) {
    const g = geminiPartOut(p);
    if (g) out.push(g);
  }
  return out;
}

export function writeGeminiResponse(res: CanonResponse, opts: { model?: string } = {}): GeminiResponse {
  return {
    candidates: res.choices.map((c, index) => ({
      content: { role: 'model' as const, parts: geminiPartsOut(c.parts) },
      finishReason: geminiFinish(c.stop),
      index,
    })),
    usageMetadata: geminiUsageOut(res.usage),
    ...(opts.model ?? res.model ? { modelVersion: opts.model ?? res.model } : {}),
    ...(res.id ? { responseId: res.id } : {}),
  };
}
