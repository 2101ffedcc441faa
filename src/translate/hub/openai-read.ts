// OpenAI chat.completions → canonical: a client's request. (Upstream responses and streams: openai-reply.ts.)
import type { CanonMessage, CanonPart, CanonRequest, CanonTool, CanonToolChoice, HubContext, MediaPart } from '../canonical.js';
import { untranslatable } from '../errors.js';
import { parseOpenAIRequest, textOf, type OpenAIAssistantIn, type OpenAIRequestIn, type OpenAIUserPartIn } from '../parse-openai.js';
import { isObject, parseDataUrl, parseToolArguments, warnUnknownFields } from '../util.js';

/** Read below, refused below, or knowingly ignored (store, metadata, service_tier, prompt caching keys). */
const KNOWN = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'n', 'stream', 'stream_options',
  'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'response_format', 'seed', 'presence_penalty',
  'frequency_penalty', 'user', 'safety_identifier', 'metadata', 'store', 'service_tier', 'prompt_cache_key',
  'prompt_cache_retention', 'functions', 'function_call', 'audio', 'modalities', 'web_search_options',
  'logit_bias', 'logprobs', 'top_logprobs', 'verbosity', 'prediction',
]);
const OPENAI_ONLY = ['logit_bias', 'logprobs', 'top_logprobs', 'verbosity', 'prediction'] as const;

export function readOpenAIRequest(input: unknown, ctx: HubContext): CanonRequest {
  const req = parseOpenAIRequest(input);
  if (req.functions !== undefined || req.function_call !== undefined) {
    throw untranslatable('the legacy functions/function_call API', ctx.target, ctx.upstream === 'gemini' ? 'use tools' : 'use tools and tool_choice');
  }
  if (req.audio || req.modalities?.includes('audio')) throw untranslatable('audio output', ctx.target);
  if (req.web_search_options !== undefined) throw untranslatable('web_search_options', ctx.target);
  warnUnknownFields(req, KNOWN, ctx.warnings);
  const out: CanonRequest = { system: [], messages: messages(req, ctx), stream: req.stream === true, tools: tools(req, ctx) };
  if (req.model) out.model = req.model;
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (typeof max === 'number') out.maxTokens = max;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.topP = req.top_p;
  const stop = typeof req.stop === 'string' ? [req.stop] : (req.stop ?? []);
  if (stop.length) out.stop = stop;
  if (typeof req.n === 'number') out.candidates = req.n;
  if (typeof req.seed === 'number') out.seed = req.seed;
  if (typeof req.presence_penalty === 'number') out.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number') out.frequencyPenalty = req.frequency_penalty;
  if (isObject(req.stream_options) && req.stream_options.include_usage === true) out.includeUsage = true;
  const choice = toolChoice(req, ctx);
  if (choice) out.toolChoice = choice;
  if (req.parallel_tool_calls === false) out.parallelToolCalls = false;
  if (req.reasoning_effort) out.reasoning = { effort: req.reasoning_effort };
  const rf = req.response_format;
  if (rf?.type === 'json_object' || rf?.type === 'json_schema') out.responseFormat = rf.json_schema?.schema ? { schema: rf.json_schema.schema } : {};
  const user = req.safety_identifier ?? req.user;
  if (user) out.user = user;
  const only: Record<string, unknown> = {};
  for (const k of OPENAI_ONLY) if (req[k] !== undefined && req[k] !== null) only[k] = req[k];
  if (Object.keys(only).length) out.openaiOnly = only;
  return out;
}

function tools(req: OpenAIRequestIn, ctx: HubContext): CanonTool[] {
  return (req.tools ?? []).map((t) => {
    if (t.type !== 'function') throw untranslatable(`tool type '${t.name}'`, ctx.target, 'only function tools can be carried');
    const f = t.function;
    return {
      name: f.name,
      ...(f.description ? { description: f.description } : {}),
      ...(f.parameters ? { schema: f.parameters } : {}),
      ...(typeof f.strict === 'boolean' ? { strict: f.strict } : {}),
    };
  });
}

function toolChoice(req: OpenAIRequestIn, ctx: HubContext): CanonToolChoice | undefined {
  const tc = req.tool_choice;
  if (!tc) return undefined;
  if (tc === 'auto' || tc === 'none' || tc === 'required') return { type: tc };
  if (tc.type === 'function') return { type: 'tool', name: tc.function.name };
  if (tc.type === 'allowed_tools') {
    const allowed = tc.allowed_tools.tools.flatMap((t) => (t.function?.name ? [t.function.name] : []));
    return { type: tc.allowed_tools.mode, allowed };
  }
  throw untranslatable(`tool_choice type '${tc.name}'`, ctx.target);
}

function messages(req: OpenAIRequestIn, ctx: HubContext): CanonMessage[] {
  const out: CanonMessage[] = [];
  for (const m of req.messages) {
    switch (m.role) {
      case 'system': case 'developer': out.push({ role: 'system', parts: [{ type: 'text', text: textOf(m.content) }] }); break;
      case 'user': out.push({ role: 'user', parts: userParts(m.content, ctx) }); break;
      case 'assistant': out.push({ role: 'assistant', parts: assistantParts(m, ctx) }); break;
      case 'tool': {
        const text = textOf(m.content);
        out.push({ role: 'user', parts: [{ type: 'tool_result', id: m.tool_call_id, content: text ? [{ type: 'text', text }] : [] }] });
        break;
      }
      case 'function': throw untranslatable("the legacy 'function' role", ctx.target, "use tool_calls and 'tool' messages");
    }
  }
  return out;
}

/** An image or file by URL: data: URLs inline, http(s) by reference; a file's media type decides image or document. */
function media(url: string, kind: 'image' | 'file', ctx: HubContext, title?: string): MediaPart {
  const data = parseDataUrl(url);
  if (data) {
    const mediaType = data.mediaType === 'image/jpg' ? 'image/jpeg' : data.mediaType;
    const type = kind === 'image' || mediaType.startsWith('image/') ? 'image' : 'document';
    return { type, media: { kind: 'base64', mediaType, data: data.data }, ...(title && type === 'document' ? { title } : {}) };
  }
  if (!/^https?:\/\//i.test(url)) throw untranslatable('an image URL that is neither http(s) nor a base64 data: URL', ctx.target);
  return { type: kind === 'image' ? 'image' : 'document', media: { kind: 'url', url } };
}

function userParts(content: string | OpenAIUserPartIn[], ctx: HubContext): CanonPart[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const parts: CanonPart[] = [];
  for (const p of content) {
    switch (p.type) {
      case 'text': if (p.text) parts.push({ type: 'text', text: p.text }); break;
      case 'image_url': parts.push(media(p.image_url.url, 'image', ctx)); break;
      case 'input_audio': {
        const mediaType = p.input_audio.format === 'mp3' ? 'audio/mpeg' : `audio/${p.input_audio.format}`;
        parts.push({ type: 'audio', media: { kind: 'base64', mediaType, data: p.input_audio.data } });
        break;
      }
      case 'file':
        if (!p.file.file_data) throw untranslatable('a file by file_id (OpenAI Files API)', ctx.target, 'send file_data as a base64 data: URL');
        parts.push(media(p.file.file_data, 'file', ctx, p.file.filename ?? undefined));
        break;
      default: throw untranslatable(`content part '${p.name}'`, ctx.target);
    }
  }
  return parts;
}

/** reasoning_content is not read back: no upstream takes another model's reasoning (Anthropic wants its signature). */
function assistantParts(m: OpenAIAssistantIn, ctx: HubContext): CanonPart[] {
  if (m.function_call) throw untranslatable('the legacy function_call', ctx.target, 'use tool_calls');
  if (m.audio) throw untranslatable('assistant audio', ctx.target);
  const parts: CanonPart[] = [];
  const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : p.type === 'refusal' ? p.refusal : '')).join('');
  if (text) parts.push({ type: 'text', text });
  for (const tc of m.tool_calls ?? []) {
    if (tc.type !== 'function') throw untranslatable(`tool call type '${tc.name}'`, ctx.target);
    parts.push({ type: 'tool_call', id: tc.id, name: tc.function.name, args: parseToolArguments(tc.function.arguments) });
  }
  return parts;
}
