// canonical → Anthropic Messages: the upstream's request, and a client's response and stream.
import type { CanonMessage, CanonPart, CanonRequest, CanonResponse, CanonStop, CanonUsage, HubContext, MediaPart, Signatures, TextPart } from '../canonical.js';
import { GEMINI_SIG_PREFIX } from './anthropic-read.js';
import { untranslatable } from '../errors.js';
import type { AnthropicContentBlock, AnthropicMessage, AnthropicMessageParam, AnthropicMessagesRequest, AnthropicResponseBlock, AnthropicStopReason, AnthropicTool, AnthropicToolChoice } from '../types.js';
import { budgetFromEffort, isObject, randomId } from '../util.js';

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

export interface AnthropicWriteOptions { model: string; defaultMaxTokens?: number }

/** Options no Anthropic field carries, in the order they are named; each with when it counts as set. */
const DROPPED: Array<[string, (r: CanonRequest) => unknown, (v: unknown) => boolean]> = [
  ['frequency_penalty', (r) => r.frequencyPenalty, (v) => v !== 0],
  ['presence_penalty', (r) => r.presencePenalty, (v) => v !== 0],
  ['logit_bias', (r) => r.openaiOnly?.logit_bias, (v) => isObject(v) && Object.keys(v).length > 0],
  ['logprobs', (r) => r.openaiOnly?.logprobs, (v) => v === true],
  ['top_logprobs', (r) => r.openaiOnly?.top_logprobs, () => true],
  ['seed', (r) => r.seed, () => true],
  ['verbosity', (r) => r.openaiOnly?.verbosity, () => true],
  ['prediction', (r) => r.openaiOnly?.prediction, () => true],
];

export function writeAnthropicRequest(req: CanonRequest, opts: AnthropicWriteOptions, ctx: HubContext): AnthropicMessagesRequest {
  const w = ctx.warnings;
  if (req.candidates !== undefined && req.candidates > 1) throw untranslatable('n > 1 (several choices)', ctx.target, 'send n separate requests');
  for (const [name, get, isSet] of DROPPED) {
    const v = get(req);
    if (v !== undefined && v !== null && isSet(v)) w.push(`dropped '${name}': no Anthropic equivalent`);
  }
  const system = [...req.system];
  const body: AnthropicMessagesRequest = { model: opts.model, max_tokens: req.maxTokens ?? opts.defaultMaxTokens ?? 4096, messages: messages(req.messages, system, ctx) };
  const texts = system.filter((p) => p.text !== '');
  if (texts.length) {
    const cached = texts.some((p) => p.cache !== undefined);
    body.system = cached
      ? texts.map((p) => ({ type: 'text' as const, text: p.text, ...(p.cache !== undefined ? { cache_control: p.cache } : {}) }))
      : texts.map((p) => p.text).join('\n\n');
  }
  if (req.temperature !== undefined) {
    // Other dialects allow 0..2, Anthropic 0..1: clamped, not scaled (0.7 means about the same on both).
    body.temperature = Math.min(1, Math.max(0, req.temperature));
    if (req.temperature > 1) w.push(`temperature ${req.temperature} clamped to 1 (Anthropic's maximum)`);
  }
  if (req.topP !== undefined && req.topP !== 1) body.top_p = req.topP;
  if (req.topK !== undefined) body.top_k = req.topK;
  if (req.stop?.length) body.stop_sequences = req.stop;
  if (req.stream) body.stream = true;
  if (req.user) body.metadata = { user_id: req.user };
  tools(req, body);
  if (req.reasoning && !req.reasoning.off) thinking(req, body, opts, w);
  if (req.responseFormat) {
    if (req.responseFormat.schema) body.output_config = { format: { type: 'json_schema', schema: req.responseFormat.schema } };
    else w.push("dropped response_format 'json_object': Anthropic has no JSON mode without a schema");
  }
  return body;
}

function thinking(req: CanonRequest, body: AnthropicMessagesRequest, opts: AnthropicWriteOptions, w: string[]): void {
  const r = req.reasoning ?? {};
  let budget = r.budget ?? (r.effort ? budgetFromEffort(r.effort) : undefined);
  if (budget === undefined || budget <= 0) return;
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';
  if (forced) return void w.push('dropped reasoning_effort: Anthropic cannot think while tool_choice forces a tool');
  budget = Math.max(1024, budget);
  if (req.maxTokens !== undefined) {
    // Other dialects count reasoning inside the output limit, as Anthropic counts thinking inside max_tokens.
    if (req.maxTokens <= 1024) return void w.push('dropped reasoning_effort: max_tokens leaves no room for the minimum thinking budget (1024)');
    budget = Math.min(budget, req.maxTokens - 1);
  } else body.max_tokens = budget + (opts.defaultMaxTokens ?? 4096);
  body.thinking = { type: 'enabled', budget_tokens: budget };
  if (body.temperature !== undefined && body.temperature !== 1) {
    delete body.temperature;
    w.push('dropped temperature: Anthropic requires the default temperature while thinking');
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    delete body.top_p;
    w.push('dropped top_p: Anthropic requires top_p >= 0.95 while thinking');
  }
  if (body.top_k !== undefined) {
    delete body.top_k;
    w.push('dropped top_k: Anthropic does not take it while thinking');
  }
}

function tools(req: CanonRequest, body: AnthropicMessagesRequest): void {
  if (!req.tools.length) return;
  let list: AnthropicTool[] = req.tools.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    input_schema: t.schema && Object.keys(t.schema).length ? { type: 'object', ...t.schema } : { type: 'object', properties: {} },
    ...(t.strict ? { strict: true } : {}),
    ...(t.cache !== undefined ? { cache_control: t.cache } : {}),
  }));
  const c = req.toolChoice;
  let choice: AnthropicToolChoice | undefined;
  if (c?.type === 'tool') choice = { type: 'tool', name: c.name };
  else if (c) {
    // A subset the model may use: Anthropic has no such choice, but sending only that subset means the same.
    if (c.allowed) list = list.filter((t) => c.allowed?.includes(t.name));
    choice = { type: c.type === 'required' ? 'any' : c.type };
  }
  if (req.parallelToolCalls === false && choice?.type !== 'none') choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  body.tools = list;
  if (choice) body.tool_choice = choice;
}

function media(p: MediaPart, ctx: HubContext): AnthropicContentBlock {
  const m = p.media;
  const cache = p.cache !== undefined ? { cache_control: p.cache } : {};
  if (p.type === 'audio') throw untranslatable('audio input', ctx.target);
  if (m.kind === 'file') throw untranslatable('a file by id (a provider Files API)', ctx.target, 'send the file inline as base64');
  if (m.kind === 'text') return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: m.text }, ...(p.title ? { title: p.title } : {}), ...cache };
  if (m.kind === 'url') {
    if (p.type === 'document' || (m.mediaType ?? '').startsWith('application/pdf')) return { type: 'document', source: { type: 'url', url: m.url }, ...cache };
    return { type: 'image', source: { type: 'url', url: m.url }, ...cache };
  }
  const type = m.mediaType === 'image/jpg' ? 'image/jpeg' : m.mediaType;
  if (p.type === 'image' && !IMAGE_TYPES.has(type)) throw untranslatable(`image type '${type}'`, ctx.target, 'Anthropic takes jpeg, png, gif and webp');
  if (IMAGE_TYPES.has(type)) return { type: 'image', source: { type: 'base64', media_type: type, data: m.data }, ...cache };
  if (type === 'application/pdf') return { type: 'document', source: { type: 'base64', media_type: type, data: m.data }, ...(p.title ? { title: p.title } : {}), ...cache };
  if (type.startsWith('text/')) {
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(m.data, 'base64').toString('utf8') }, ...(p.title ? { title: p.title } : {}), ...cache };
  }
  if (p.type === 'image') throw untranslatable(`image type '${type}'`, ctx.target, 'Anthropic takes jpeg, png, gif and webp');
  throw untranslatable(`file type '${type}'`, ctx.target, 'Anthropic takes PDF, plain text and images');
}

function block(p: CanonPart, ctx: HubContext): AnthropicContentBlock | undefined {
  switch (p.type) {
    case 'text': return p.text ? { type: 'text', text: p.text, ...(p.cache !== undefined ? { cache_control: p.cache } : {}) } : undefined;
    case 'image': case 'document': case 'audio': return media(p, ctx);
    // Anthropic accepts thinking only with its own signature: other dialects' reasoning stays behind.
    case 'thinking':
      if (p.redacted !== undefined) return { type: 'redacted_thinking', data: p.redacted };
      return p.sig?.anthropic ? { type: 'thinking', thinking: p.text, signature: p.sig.anthropic } : undefined;
    case 'tool_call': return { type: 'tool_use', id: p.id, name: p.name, input: p.args };
    case 'tool_result': {
      // Text only goes as a string, as most clients write it; media make it a list of blocks.
      const onlyText = p.content.every((x) => x.type === 'text');
      const text = p.content.map((x) => (x.type === 'text' ? x.text : '')).join('\n\n');
      const content = onlyText ? text : p.content.flatMap((x) => block(x, ctx) ?? []).filter((b) => b.type === 'text' || b.type === 'image' || b.type === 'document');
      return { type: 'tool_result', tool_use_id: p.id, ...(content.length ? { content } : {}), ...(p.isError ? { is_error: true } : {}), ...(p.cache !== undefined ? { cache_control: p.cache } : {}) };
    }
  }
}

/** Turns; system messages inside the conversation join `system` (Anthropic has one system prompt). */
function messages(list: CanonMessage[], system: TextPart[], ctx: HubContext): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  for (const m of list) {
    if (m.role === 'system') {
      if (out.length && !ctx.warnings.some((x) => x.startsWith('system messages'))) {
        ctx.warnings.push('system messages after the conversation start were moved into the top-level system prompt');
      }
      for (const p of m.parts) if (p.type === 'text') system.push(p);
      continue;
    }
    const blocks = m.parts.flatMap((p) => block(p, ctx) ?? []);
    // Tool results lead their user turn: Anthropic wants them right after the calls they answer.
    if (m.role === 'user') blocks.sort((a, b) => Number(b.type === 'tool_result') - Number(a.type === 'tool_result'));
    if (blocks.length === 0) continue;
    const last = out.at(-1);
    // Anthropic needs alternating turns: consecutive same-role messages become one turn.
    if (last?.role === m.role && Array.isArray(last.content)) last.content.push(...blocks);
    else out.push({ role: m.role, content: blocks });
  }
  const last = out.at(-1);
  if (last?.role === 'assistant' && Array.isArray(last.content)) {
    ctx.warnings.push('the last message is from the assistant: Anthropic continues it (prefill) instead of answering anew');
    const tail = last.content.at(-1);
    if (tail?.type === 'text') tail.text = tail.text.trimEnd(); // Anthropic rejects a prefill ending in whitespace
  }
  return out;
}

// ───────────────────────────── client: response and stream ─────────────────────────────

export function anthropicStopReason(stop: CanonStop): AnthropicStopReason {
  switch (stop) {
    case 'length': return 'max_tokens';
    case 'tool_use': return 'tool_use';
    case 'stop_sequence': return 'stop_sequence';
    case 'filter': case 'refusal': return 'refusal';
    case 'pause': return 'pause_turn';
    case 'context': return 'model_context_window_exceeded';
    default: return 'end_turn';
  }
}

export function anthropicUsageOut(u: CanonUsage): AnthropicMessage['usage'] {
  return { input_tokens: u.input, output_tokens: u.output, cache_creation_input_tokens: u.cacheWrite, cache_read_input_tokens: u.cacheRead };
}

export function messageId(id: string | undefined): string {
  return id ? (id.startsWith('msg_') ? id : `msg_${id.replace(/^chatcmpl-/, '')}`) : randomId('msg_');
}

/** A thinking block's signature for a client: Anthropic's own, or Gemini's under GEMINI_SIG_PREFIX (see anthropic-read). */
export function clientSignature(sig: Signatures | undefined): string {
  return sig?.anthropic ?? (sig?.gemini ? GEMINI_SIG_PREFIX + sig.gemini : '');
}

export function writeAnthropicResponse(res: CanonResponse, opts: { model?: string } = {}): AnthropicMessage {
  const choice = res.choices[0] ?? { parts: [], stop: 'end' as const };
  const content: AnthropicResponseBlock[] = [];
  for (const p of choice.parts) {
    if (p.type === 'text' && p.text) content.push({ type: 'text', text: p.text });
    else if (p.type === 'thinking') content.push(p.redacted !== undefined ? { type: 'redacted_thinking', data: p.redacted } : { type: 'thinking', thinking: p.text, signature: clientSignature(p.sig) });
    else if (p.type === 'tool_call') content.push({ type: 'tool_use', id: p.id || randomId('toolu_'), name: p.name, input: p.args });
  }
  const stop = choice.parts.some((p) => p.type === 'tool_call') && choice.stop === 'end' ? 'tool_use' : choice.stop;
  return {
    id: messageId(res.id),
    type: 'message',
    role: 'assistant',
    model: opts.model ?? res.model ?? '',
    content,
    stop_reason: anthropicStopReason(stop),
    stop_sequence: stop === 'stop_sequence' ? (choice.stopSequence ?? null) : null,
    usage: anthropicUsageOut(res.usage),
  };
}
