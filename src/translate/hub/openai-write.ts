// canonical → OpenAI chat.completions: the upstream's request (NIM, OpenRouter, Groq, … and OpenAI itself).
import type { CanonMessage, CanonRequest, HubContext, MediaPart } from '../canonical.js';
import { untranslatable } from '../errors.js';
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage, OpenAITextPart, OpenAIToolCall, OpenAIToolChoice } from '../types.js';
import { effortFromBudget, stringifyToolInput } from '../util.js';

export interface OpenAIWriteOptions {
  model: string;
  /** Map thinking to `reasoning_effort` (many OpenAI-compatible upstreams reject it for models that do not reason). */
  reasoningEffort?: boolean;
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

/** Efforts that mean thinking; any other word falls back on the budget (none, minimal: no thinking). */
const EFFORTS = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

export function writeOpenAIRequest(req: CanonRequest, opts: OpenAIWriteOptions, ctx: HubContext): OpenAIChatRequest {
  const w = ctx.warnings;
  const messages: OpenAIMessage[] = [];
  const system = req.system.map((p) => p.text).filter((t) => t !== '').join('\n\n');
  if (system) messages.push({ role: 'system', content: system });
  for (const m of req.messages) {
    if (m.role === 'system') messages.push({ role: 'system', content: m.parts.map((p) => (p.type === 'text' ? p.text : '')).filter((t) => t !== '').join('\n\n') });
    else messages.push(...(m.role === 'user' ? userMessages(m, ctx) : assistantMessages(m)));
  }
  if (req.messages.at(-1)?.role === 'assistant') w.push('assistant prefill: the upstream may answer anew instead of continuing the last assistant message');
  const body: OpenAIChatRequest = { model: opts.model, messages };
  if (req.maxTokens !== undefined) body[opts.maxTokensField ?? 'max_tokens'] = req.maxTokens;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.topK !== undefined) w.push("dropped 'top_k': no OpenAI equivalent");
  if (req.stop?.length) body.stop = req.stop;
  if (req.candidates !== undefined && req.candidates > 1) body.n = req.candidates;
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.presencePenalty) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty) body.frequency_penalty = req.frequencyPenalty;
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (req.tools.length) {
    body.tools = req.tools.map((t) => ({
      type: 'function' as const,
      function: {
        name: t.name,
        ...(t.description ? { description: t.description } : {}),
        parameters: t.schema ?? { type: 'object', properties: {} },
        ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
      },
    }));
    const c = req.toolChoice;
    if (c) body.tool_choice = toolChoice(c);
    if (req.parallelToolCalls === false && c?.type !== 'none') body.parallel_tool_calls = false;
  }
  const r = req.reasoning;
  if (r && !r.off) {
    const effort = r.effort && EFFORTS.has(r.effort) ? r.effort : r.budget !== undefined ? effortFromBudget(r.budget) : undefined;
    // OpenAI-compatible upstreams know low, medium and high.
    if (effort && opts.reasoningEffort) body.reasoning_effort = effort === 'low' || effort === 'medium' ? effort : 'high';
    else if (effort) w.push('dropped extended thinking: reasoning_effort is not enabled for this upstream');
  }
  if (req.responseFormat) {
    const schema = req.responseFormat.schema;
    body.response_format = schema ? { type: 'json_schema', json_schema: { name: 'response', schema, strict: true } } : { type: 'json_object' };
  }
  return body;
}

function toolChoice(c: NonNullable<CanonRequest['toolChoice']>): OpenAIToolChoice {
  if (c.type === 'tool') return { type: 'function', function: { name: c.name } };
  if (c.allowed && c.type !== 'none') {
    return { type: 'allowed_tools', allowed_tools: { mode: c.type, tools: c.allowed.map((name) => ({ type: 'function', function: { name } })) } };
  }
  return c.type;
}

function media(p: MediaPart, ctx: HubContext): OpenAIContentPart[] {
  const m = p.media;
  if (m.kind === 'text') return [{ type: 'text', text: (p.title ? `${p.title}\n\n` : '') + m.text }];
  if (m.kind === 'file') throw untranslatable('a file by id (a provider Files API)', ctx.target, 'send the file inline as base64');
  if (p.type === 'audio') {
    if (m.kind !== 'base64') throw untranslatable('audio by URL', ctx.target, 'send audio inline as base64');
    const format = m.mediaType.replace(/^audio\/(x-)?/, '').replace('mpeg', 'mp3');
    return [{ type: 'input_audio', input_audio: { data: m.data, format } }];
  }
  if (m.kind === 'url') {
    if (p.type === 'document') throw untranslatable('a document by URL', ctx.target, 'send the document as base64');
    return [{ type: 'image_url', image_url: { url: m.url } }];
  }
  const url = `data:${m.mediaType};base64,${m.data}`;
  if (p.type === 'image') return [{ type: 'image_url', image_url: { url } }];
  return [{ type: 'file', file: { file_data: url, filename: p.title ?? 'document.pdf' } }];
}

const isText = (p: OpenAIContentPart): p is OpenAITextPart => p.type === 'text';

/** One user turn → its tool results as `tool` messages first (OpenAI wants them right after the calls), then the rest. */
function userMessages(m: CanonMessage, ctx: HubContext): OpenAIMessage[] {
  const out: OpenAIMessage[] = [];
  const fromTools: OpenAIContentPart[] = [];
  const parts: OpenAIContentPart[] = [];
  for (const p of m.parts) {
    if (p.type === 'text') parts.push({ type: 'text', text: p.text });
    else if (p.type === 'image' || p.type === 'document' || p.type === 'audio') parts.push(...media(p, ctx));
    else if (p.type === 'tool_result') {
      // Tool messages carry text only: media a tool returned follows in the next user message, labelled with the call id.
      const texts: string[] = [];
      const extra = p.content.filter((c) => c.type !== 'text');
      for (const c of p.content) if (c.type === 'text') texts.push(c.text);
      if (extra.length) {
        fromTools.push({ type: 'text', text: `[content returned by tool call ${p.id}]` });
        for (const c of p.content) if (c.type !== 'text') fromTools.push(...media(c, ctx));
        texts.push('[attachments follow in the next user message]');
      }
      const text = texts.join('\n\n');
      out.push({ role: 'tool', tool_call_id: p.id, content: p.isError ? `Error: ${text}` : text });
    }
  }
  const all = [...fromTools, ...parts];
  if (all.length) out.push({ role: 'user', content: all.every(isText) ? all.map((p) => p.text).join('\n\n') : all });
  return out;
}

/** Reasoning is not sent back to OpenAI-compatible upstreams (their own docs say so; some reject it). */
function assistantMessages(m: CanonMessage): OpenAIMessage[] {
  const texts: string[] = [];
  const calls: OpenAIToolCall[] = [];
  for (const p of m.parts) {
    if (p.type === 'text' && p.text) texts.push(p.text);
    else if (p.type === 'tool_call') calls.push({ id: p.id, type: 'function', function: { name: p.name, arguments: stringifyToolInput(p.args) } });
  }
  if (!texts.length && !calls.length) return [];
  return [{ role: 'assistant', content: texts.length ? texts.join('\n\n') : null, ...(calls.length ? { tool_calls: calls } : {}) }];
}
