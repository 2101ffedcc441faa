// Anthropic Messages → canonical: a client's request, and an upstream's response and stream.
import type { CanonEvent, CanonMessage, CanonPart, CanonRequest, CanonResponse, CanonStop, CanonTool, CanonUsage, HubContext, MediaPart, Signatures, TextPart } from '../canonical.js';
import { invalidRequest, untranslatable } from '../errors.js';
import {
  parseAnthropicRequest,
  type AnthropicAssistantBlockIn,
  type AnthropicDocumentIn,
  type AnthropicImageIn,
  type AnthropicSystemIn,
  type AnthropicUserBlockIn,
} from '../parse-anthropic.js';
import { isObject, list, num, parseToolArguments, str, warnUnknownFields } from '../util.js';

/** Read, or knowingly ignored: hints (service_tier, speed, inference_geo) and metadata other than the user id. */
const KNOWN = new Set([
  'model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'stream', 'tools',
  'tool_choice', 'thinking', 'metadata', 'output_config', 'service_tier', 'cache_control', 'speed', 'inference_geo', 'mcp_servers',
]);

export function readAnthropicRequest(input: unknown, ctx: HubContext): CanonRequest {
  const req = parseAnthropicRequest(input);
  if (req.mcp_servers !== undefined) throw untranslatable('mcp_servers (MCP connector)', ctx.target);
  warnUnknownFields(req, KNOWN, ctx.warnings);
  const messages: CanonMessage[] = [];
  const system = systemParts(req.system);
  for (const m of req.messages) {
    if (m.role === 'system') messages.push({ role: 'system', parts: systemParts(m.content) });
    else if (m.role === 'user') messages.push({ role: 'user', parts: userParts(m.content, ctx) });
    else messages.push({ role: 'assistant', parts: assistantParts(m.content, ctx) });
  }
  const out: CanonRequest = { system, messages, stream: req.stream === true, tools: (req.tools ?? []).map((t) => tool(t, ctx)) };
  if (req.model) out.model = req.model;
  if (typeof req.max_tokens === 'number') out.maxTokens = req.max_tokens;
  if (typeof req.temperature === 'number') out.temperature = req.temperature;
  if (typeof req.top_p === 'number') out.topP = req.top_p;
  const topK = num(req.top_k);
  if (topK !== undefined) out.topK = topK;
  if (req.stop_sequences?.length) out.stop = req.stop_sequences;
  const choice = req.tool_choice;
  if (choice) {
    out.toolChoice = choice.type === 'tool' ? { type: 'tool', name: choice.name } : { type: choice.type === 'any' ? 'required' : choice.type };
    if (choice.type !== 'none' && choice.disable_parallel_tool_use) out.parallelToolCalls = false;
  }
  const t = req.thinking;
  const effort = req.output_config?.effort;
  if (t?.type === 'enabled' && typeof t.budget_tokens === 'number') out.reasoning = { budget: t.budget_tokens, ...(effort ? { effort } : {}) };
  else if (t?.type === 'disabled') out.reasoning = { off: true };
  else if (effort) out.reasoning = { effort };
  const format = req.output_config?.format;
  if (format?.type === 'json_schema') out.responseFormat = format.schema ? { schema: format.schema } : {};
  const user = isObject(req.metadata) ? str(req.metadata.user_id) : undefined;
  if (user) out.user = user;
  return out;
}

function systemParts(system: AnthropicSystemIn | null | undefined): TextPart[] {
  if (system === undefined || system === null) return [];
  if (typeof system === 'string') return [{ type: 'text', text: system }];
  return system.flatMap((b): TextPart[] => (b.type === 'text' ? [{ type: 'text', text: b.text, ...cache(b) }] : []));
}

const cache = (b: Record<string, unknown>): { cache?: unknown } => (b.cache_control != null ? { cache: b.cache_control } : {});

function image(b: AnthropicImageIn, target: string): MediaPart {
  const s = b.source;
  if (s.type === 'base64') return { type: 'image', media: { kind: 'base64', mediaType: s.media_type, data: s.data }, ...cache(b) };
  if (s.type === 'url') return { type: 'image', media: { kind: 'url', url: s.url }, ...cache(b) };
  throw untranslatable(`image source '${s.name}' (Files API)`, target, 'send the image as base64 or URL');
}

function documentParts(b: AnthropicDocumentIn, ctx: HubContext): Array<TextPart | MediaPart> {
  const s = b.source;
  const title = b.title ? { title: b.title } : {};
  switch (s.type) {
    case 'text': return [{ type: 'document', media: { kind: 'text', text: s.data }, ...title, ...cache(b) }];
    case 'base64': return [{ type: 'document', media: { kind: 'base64', mediaType: s.media_type, data: s.data }, ...title, ...cache(b) }];
    case 'content':
      if (typeof s.content === 'string') return [{ type: 'text', text: (b.title ? `${b.title}\n\n` : '') + s.content }];
      return s.content.map((x): TextPart | MediaPart => {
        if (x.type === 'image') return image(x, ctx.target);
        if (x.type === 'text') return { type: 'text', text: x.text };
        throw untranslatable(`'${x.name}' block in a document`, ctx.target);
      });
    default: throw untranslatable(`document source '${s.name}'`, ctx.target, 'send the document as base64 or text');
  }
}

function userParts(content: string | AnthropicUserBlockIn[], ctx: HubContext): CanonPart[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  const parts: CanonPart[] = [];
  for (const b of content) {
    switch (b.type) {
      case 'text': parts.push({ type: 'text', text: b.text, ...cache(b) }); break;
      case 'image': parts.push(image(b, ctx.target)); break;
      case 'document': parts.push(...documentParts(b, ctx)); break;
      case 'tool_result': {
        const c = b.content;
        const inner: Array<TextPart | MediaPart> = [];
        if (typeof c === 'string') inner.push({ type: 'text', text: c });
        else for (const x of c ?? []) {
          if (x.type === 'text') inner.push({ type: 'text', text: x.text });
          else if (x.type === 'image') inner.push(image(x, ctx.target));
          else if (x.type === 'document') inner.push(...documentParts(x, ctx));
          else throw untranslatable(`'${x.name}' block in a tool_result`, ctx.target);
        }
        parts.push({ type: 'tool_result', id: b.tool_use_id, content: inner, ...(b.is_error ? { isError: true } : {}), ...cache(b) });
        break;
      }
      case 'thinking': case 'redacted_thinking': break; // thinking belongs to assistant turns; Anthropic ignores it here too
      default: throw untranslatable(`content block '${b.name}' in a user turn`, ctx.target);
    }
  }
  return parts;
}

function assistantParts(content: string | AnthropicAssistantBlockIn[], ctx: HubContext): CanonPart[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const parts: CanonPart[] = [];
  for (const b of content) {
    switch (b.type) {
      case 'text': parts.push({ type: 'text', text: b.text }); break;
      case 'tool_use': parts.push({ type: 'tool_call', id: b.id, name: b.name, args: isObject(b.input) ? b.input : parseToolArguments(JSON.stringify(b.input ?? {})) }); break;
      case 'thinking': {
        const sig = thinkingSignature(str(b.signature));
        parts.push({ type: 'thinking', text: str(b.thinking) ?? '', ...(sig ? { sig } : {}) });
        break;
      }
      case 'redacted_thinking': parts.push({ type: 'thinking', text: '', redacted: str(b.data) ?? '' }); break;
      default: throw untranslatable(`content block '${b.name}' in an assistant turn`, ctx.target);
    }
  }
  return parts;
}

/**
 * Gemini's thought signature reaches an Anthropic client in the thinking block's signature under this prefix (a
 * client keeps the block as it came); sent back, the thought goes to Gemini with its signature again.
 */
export const GEMINI_SIG_PREFIX = 'kmx-gemini:';

function thinkingSignature(sig: string | undefined): Signatures | undefined {
  if (!sig) return undefined;
  return sig.startsWith(GEMINI_SIG_PREFIX) ? { gemini: sig.slice(GEMINI_SIG_PREFIX.length) } : { anthropic: sig };
}

function tool(t: { type?: string | null | undefined; name: string; description?: string | null | undefined; input_schema?: Record<string, unknown> | null | undefined; strict?: boolean | null | undefined; cache_control?: unknown }, ctx: HubContext): CanonTool {
  if (t.type && t.type !== 'custom') throw untranslatable(`Anthropic-defined tool '${t.type}'`, ctx.target, 'only custom tools (name, input_schema) can be carried');
  return {
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    ...(t.input_schema ? { schema: t.input_schema } : {}),
    ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
    ...(t.cache_control != null ? { cache: t.cache_control } : {}),
  };
}

// ───────────────────────────── upstream: response and stream ─────────────────────────────

export function anthropicStop(reason: unknown): CanonStop {
  switch (reason) {
    case 'max_tokens': return 'length';
    case 'tool_use': return 'tool_use';
    case 'stop_sequence': return 'stop_sequence';
    case 'refusal': return 'refusal';
    case 'pause_turn': return 'pause';
    case 'model_context_window_exceeded': return 'context';
    default: return 'end';
  }
}

export function anthropicUsageIn(u: unknown, prev: CanonUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 }): CanonUsage {
  if (!isObject(u)) return prev;
  return {
    input: num(u.input_tokens) ?? prev.input,
    output: num(u.output_tokens) ?? prev.output,
    cacheRead: num(u.cache_read_input_tokens) ?? prev.cacheRead,
    cacheWrite: num(u.cache_creation_input_tokens) ?? prev.cacheWrite,
    reasoning: 0,
  };
}

function responsePart(b: Record<string, unknown>): CanonPart | undefined {
  if (b.type === 'text' && typeof b.text === 'string') return { type: 'text', text: b.text };
  if (b.type === 'thinking') {
    const sig = str(b.signature);
    return { type: 'thinking', text: str(b.thinking) ?? '', ...(sig ? { sig: { anthropic: sig } } : {}) };
  }
  if (b.type === 'redacted_thinking') return { type: 'thinking', text: '', redacted: str(b.data) ?? '' };
  if (b.type === 'tool_use') return { type: 'tool_call', id: str(b.id) ?? '', name: str(b.name) ?? '', args: isObject(b.input) ? b.input : {} };
  return undefined;
}

export function readAnthropicResponse(input: unknown): CanonResponse {
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const parts = list(input.content).filter(isObject).flatMap((b) => responsePart(b) ?? []);
  const seq = str(input.stop_sequence);
  return {
    ...(str(input.id) ? { id: str(input.id) } : {}),
    ...(str(input.model) ? { model: str(input.model) } : {}),
    choices: [{ parts, stop: anthropicStop(input.stop_reason), ...(seq ? { stopSequence: seq } : {}) }],
    usage: anthropicUsageIn(input.usage),
  };
}

const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400, authentication_error: 401, billing_error: 402, permission_error: 403, not_found_error: 404,
  request_too_large: 413, rate_limit_error: 429, api_error: 500, timeout_error: 504, overloaded_error: 529,
};

/** Anthropic SSE events → canonical events. A stream cut before message_stop gets no finish. */
export class AnthropicStreamReader {
  private usage: CanonUsage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
  private stop: unknown;
  private stopSequence: unknown;

  push(event: string | undefined, data: unknown): CanonEvent[] {
    if (!isObject(data)) return [];
    const index = num(data.index) ?? 0;
    switch (str(data.type) ?? event) {
      case 'message_start': {
        const m = isObject(data.message) ? data.message : {};
        this.usage = anthropicUsageIn(m.usage, this.usage);
        return [{ type: 'start', ...(str(m.id) ? { id: str(m.id) } : {}), ...(str(m.model) ? { model: str(m.model) } : {}), usage: this.usage }];
      }
      case 'content_block_start': {
        const b = isObject(data.content_block) ? data.content_block : {};
        if (b.type === 'tool_use') return [{ type: 'tool_start', key: index, id: str(b.id) ?? '', name: str(b.name) ?? '' }];
        if (b.type === 'redacted_thinking') return [{ type: 'thinking', text: '', redacted: str(b.data) ?? '' }];
        if (b.type === 'thinking') return [{ type: 'thinking', text: str(b.thinking) ?? '' }];
        if (b.type === 'text' && str(b.text)) return [{ type: 'text', text: str(b.text) ?? '' }];
        return [];
      }
      case 'content_block_delta': {
        const d = isObject(data.delta) ? data.delta : {};
        if (d.type === 'text_delta' && str(d.text)) return [{ type: 'text', text: str(d.text) ?? '' }];
        if (d.type === 'thinking_delta' && str(d.thinking)) return [{ type: 'thinking', text: str(d.thinking) ?? '' }];
        if (d.type === 'signature_delta' && str(d.signature)) return [{ type: 'thinking', text: '', sig: { anthropic: str(d.signature) ?? '' } }];
        if (d.type === 'input_json_delta' && str(d.partial_json)) return [{ type: 'tool_args', key: index, json: str(d.partial_json) ?? '' }];
        return [];
      }
      case 'message_delta': {
        const d = isObject(data.delta) ? data.delta : {};
        if (d.stop_reason != null) this.stop = d.stop_reason;
        if (d.stop_sequence != null) this.stopSequence = d.stop_sequence;
        this.usage = anthropicUsageIn(data.usage, this.usage);
        return [{ type: 'usage', usage: this.usage }];
      }
      case 'message_stop': {
        const seq = str(this.stopSequence);
        return [{ type: 'finish', stop: anthropicStop(this.stop), ...(seq ? { stopSequence: seq } : {}) }];
      }
      case 'error': {
        const err = isObject(data.error) ? data.error : {};
        const code = str(err.type) ?? 'api_error';
        return [{ type: 'error', status: ERROR_STATUS[code] ?? 500, message: str(err.message) ?? 'the upstream stream failed', code }];
      }
      default: return [];
    }
  }

  end(): CanonEvent[] {
    return [];
  }
}
