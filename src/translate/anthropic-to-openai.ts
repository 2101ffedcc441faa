// Anthropic Messages client → OpenAI chat.completions upstream (Claude Code over NIM, OpenRouter, Groq…).
import { invalidRequest, untranslatable } from './errors.js';
import type {
  AnthropicMessage,
  AnthropicResponseBlock,
  OpenAIChatRequest,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAITextPart,
  OpenAIToolCall,
  OpenAIToolChoice,
} from './types.js';
import { anthropicMessageId, anthropicStopReason, anthropicUsage } from './mapping.js';
import {
  parseAnthropicRequest,
  type AnthropicAssistantBlockIn,
  type AnthropicDocumentIn,
  type AnthropicImageIn,
  type AnthropicRequestIn,
  type AnthropicSystemIn,
  type AnthropicToolChoiceIn,
  type AnthropicToolIn,
  type AnthropicToolResultIn,
  type AnthropicUserBlockIn,
} from './parse-anthropic.js';
import { effortFromBudget, isObject, list, parseToolArguments, randomId, str, stringifyToolInput, warnUnknownFields } from './util.js';

export { OpenAIToAnthropicStream, type OpenAIToAnthropicStreamOptions } from './stream-openai-to-anthropic.js';

export interface AnthropicToOpenAIOptions {
  /** Upstream model id; replaces the client's `model`. */
  model?: string;
  /**
   * Map `thinking` (and `output_config.effort`) to `reasoning_effort`. Off by default because many
   * OpenAI-compatible upstreams reject the field for models that do not reason; then thinking is
   * dropped with a warning.
   */
  reasoningEffort?: boolean;
  /** Field for the output limit: `max_tokens` (default; NIM, Groq, OpenRouter) or `max_completion_tokens` (OpenAI's reasoning models). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
}

const TARGET = 'OpenAI chat completions';
/** Mapped below, or knowingly ignored: hints (cache_control, service_tier, speed, inference_geo) and metadata. */
const KNOWN = new Set([
  'model', 'max_tokens', 'messages', 'system', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'stream', 'tools',
  'tool_choice', 'thinking', 'metadata', 'output_config', 'service_tier', 'cache_control', 'speed', 'inference_geo',
]);
type Effort = 'low' | 'medium' | 'high' | 'xhigh' | 'max';
const EFFORTS: ReadonlySet<string> = new Set<Effort>(['low', 'medium', 'high', 'xhigh', 'max']);
const isEffort = (s: string): s is Effort => EFFORTS.has(s);

export function anthropicToOpenAIRequest(
  input: unknown,
  opts: AnthropicToOpenAIOptions = {},
): { body: OpenAIChatRequest; warnings: string[] } {
  const req = parseAnthropicRequest(input);
  const warnings: string[] = [];
  if (req.mcp_servers !== undefined) throw untranslatable('mcp_servers (MCP connector)', TARGET);
  warnUnknownFields(req, new Set([...KNOWN, 'mcp_servers']), warnings);

  const messages: OpenAIMessage[] = [];
  const system = systemText(req.system);
  if (system !== undefined) messages.push({ role: 'system', content: system });
  for (const m of req.messages) {
    if (m.role === 'user') messages.push(...userMessages(m.content));
    else if (m.role === 'assistant') {
      const a = assistantMessage(m.content);
      if (a) messages.push(a);
    } else messages.push({ role: 'system', content: systemText(m.content) ?? '' });
  }
  if (req.messages.at(-1)?.role === 'assistant') {
    warnings.push('assistant prefill: the upstream may answer anew instead of continuing the last assistant message');
  }

  const body: OpenAIChatRequest = { model: opts.model ?? req.model ?? '', messages };
  if (typeof req.max_tokens === 'number') body[opts.maxTokensField ?? 'max_tokens'] = req.max_tokens;
  if (typeof req.temperature === 'number') body.temperature = req.temperature;
  if (typeof req.top_p === 'number') body.top_p = req.top_p;
  if (req.top_k !== undefined) warnings.push("dropped 'top_k': no OpenAI equivalent");
  if (req.stop_sequences?.length) body.stop = req.stop_sequences;
  if (req.stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (req.tools?.length) {
    body.tools = req.tools.map(toFunctionTool);
    const choice = req.tool_choice;
    if (choice) {
      body.tool_choice = toToolChoice(choice);
      if (choice.type !== 'none' && choice.disable_parallel_tool_use) body.parallel_tool_calls = false;
    }
  }
  reasoning(req, opts, body, warnings);
  const format = req.output_config?.format;
  if (format?.type === 'json_schema') {
    body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: format.schema ?? undefined, strict: true } };
  }
  return { body, warnings };
}

function reasoning(req: AnthropicRequestIn, opts: AnthropicToOpenAIOptions, body: OpenAIChatRequest, warnings: string[]): void {
  const t = req.thinking;
  const explicit = req.output_config?.effort;
  const budget = t?.type === 'enabled' && typeof t.budget_tokens === 'number' ? t.budget_tokens : undefined;
  let effort = explicit && isEffort(explicit) ? explicit : budget !== undefined ? effortFromBudget(budget) : undefined;
  if (!effort) return;
  if (effort === 'xhigh' || effort === 'max') effort = 'high'; // OpenAI-compatible upstreams know low, medium, high
  if (opts.reasoningEffort) body.reasoning_effort = effort;
  else warnings.push('dropped extended thinking: reasoning_effort is not enabled for this upstream');
}

function systemText(system: AnthropicSystemIn | null | undefined): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system;
  return system.map((b) => (b.type === 'text' ? b.text : '')).filter((s) => s !== '').join('\n\n');
}

function imageUrl(block: AnthropicImageIn): OpenAIContentPart {
  const src = block.source;
  if (src.type === 'base64') return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` } };
  if (src.type === 'url') return { type: 'image_url', image_url: { url: src.url } };
  throw untranslatable(`image source '${src.name}' (Files API)`, TARGET, 'send the image as base64 or URL');
}

function documentParts(block: AnthropicDocumentIn): OpenAIContentPart[] {
  const src = block.source;
  const title = block.title ? `${block.title}\n\n` : '';
  switch (src.type) {
    case 'text': return [{ type: 'text', text: title + src.data }];
    case 'base64':
      return [{ type: 'file', file: { file_data: `data:${src.media_type};base64,${src.data}`, filename: block.title ?? 'document.pdf' } }];
    case 'content':
      if (typeof src.content === 'string') return [{ type: 'text', text: title + src.content }];
      return src.content.map((b): OpenAIContentPart => {
        if (b.type === 'image') return imageUrl(b);
        if (b.type === 'text') return { type: 'text', text: b.text };
        throw untranslatable(`'${b.name}' block in a document`, TARGET);
      });
    default:
      throw untranslatable(`document source '${src.name}'`, TARGET, 'send the document as base64 or text');
  }
}

const isTextPart = (p: OpenAIContentPart): p is OpenAITextPart => p.type === 'text';

/** One Anthropic user turn → its tool results as `tool` messages (first, as OpenAI needs them right after the calls), then the rest. */
function userMessages(content: string | AnthropicUserBlockIn[]): OpenAIMessage[] {
  if (typeof content === 'string') return [{ role: 'user', content }];
  const out: OpenAIMessage[] = [];
  const fromTools: OpenAIContentPart[] = [];
  const parts: OpenAIContentPart[] = [];
  for (const block of content) {
    switch (block.type) {
      case 'text': parts.push({ type: 'text', text: block.text }); break;
      case 'image': parts.push(imageUrl(block)); break;
      case 'document': parts.push(...documentParts(block)); break;
      case 'tool_result': out.push(toolMessage(block, fromTools)); break;
      case 'thinking': case 'redacted_thinking': break;
      default: throw untranslatable(`content block '${block.name}' in a user turn`, TARGET);
    }
  }
  const all = [...fromTools, ...parts];
  if (all.length === 0) return out;
  out.push({ role: 'user', content: all.every(isTextPart) ? all.map((p) => p.text).join('\n\n') : all });
  return out;
}

/** Tool messages carry text only: images a tool returned follow in the next user message, labelled with the call id. */
function toolMessage(block: AnthropicToolResultIn, images: OpenAIContentPart[]): OpenAIMessage {
  let text: string;
  if (!Array.isArray(block.content)) text = block.content ?? '';
  else {
    const texts: string[] = [];
    let imageCount = 0;
    for (const b of block.content) {
      if (b.type === 'text') texts.push(b.text);
      else if (b.type === 'image' || b.type === 'document') {
        if (imageCount++ === 0) images.push({ type: 'text', text: `[content returned by tool call ${block.tool_use_id}]` });
        images.push(...(b.type === 'image' ? [imageUrl(b)] : documentParts(b)));
      } else throw untranslatable(`'${b.name}' block in a tool_result`, TARGET);
    }
    if (imageCount) texts.push('[attachments follow in the next user message]');
    text = texts.join('\n\n');
  }
  if (block.is_error) text = `Error: ${text}`;
  return { role: 'tool', tool_call_id: block.tool_use_id, content: text };
}

function assistantMessage(content: string | AnthropicAssistantBlockIn[]): OpenAIMessage | undefined {
  if (typeof content === 'string') return { role: 'assistant', content };
  const texts: string[] = [];
  const calls: OpenAIToolCall[] = [];
  for (const block of content) {
    switch (block.type) {
      case 'text': texts.push(block.text); break;
      case 'tool_use':
        calls.push({ id: block.id, type: 'function', function: { name: block.name, arguments: stringifyToolInput(block.input) } });
        break;
      // Reasoning is not sent back to OpenAI-compatible upstreams (their own docs say so; some reject it).
      case 'thinking': case 'redacted_thinking': break;
      default: throw untranslatable(`content block '${block.name}' in an assistant turn`, TARGET);
    }
  }
  if (texts.length === 0 && calls.length === 0) return undefined;
  return { role: 'assistant', content: texts.length ? texts.join('\n\n') : null, ...(calls.length ? { tool_calls: calls } : {}) };
}

function toFunctionTool(t: AnthropicToolIn): NonNullable<OpenAIChatRequest['tools']>[number] {
  if (t.type && t.type !== 'custom') {
    throw untranslatable(`Anthropic-defined tool '${t.type}'`, TARGET, 'only custom tools (name, input_schema) can be carried');
  }
  return {
    type: 'function',
    function: {
      name: t.name,
      ...(t.description ? { description: t.description } : {}),
      parameters: t.input_schema ?? { type: 'object', properties: {} },
      ...(typeof t.strict === 'boolean' ? { strict: t.strict } : {}),
    },
  };
}

function toToolChoice(c: AnthropicToolChoiceIn): OpenAIToolChoice {
  switch (c.type) {
    case 'auto': return 'auto';
    case 'any': return 'required';
    case 'none': return 'none';
    case 'tool': return { type: 'function', function: { name: c.name } };
  }
}

// ───────────────────────────── response ─────────────────────────────

/** Invalid tool-call JSON becomes `{ __raw_arguments: "<text>" }` (see util.ts RAW_ARGUMENTS_KEY). */
export function openAIToAnthropicResponse(input: unknown, opts: { model?: string } = {}): AnthropicMessage {
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const [first] = list(input.choices);
  const choice = isObject(first) ? first : {};
  const msg = isObject(choice.message) ? choice.message : {};
  const content: AnthropicResponseBlock[] = [];
  const reasoningText = str(msg.reasoning_content) ?? str(msg.reasoning);
  if (reasoningText) content.push({ type: 'thinking', thinking: reasoningText, signature: '' });
  const text = typeof msg.content === 'string' ? msg.content : list(msg.content).map((p) => (isObject(p) ? str(p.text) ?? '' : '')).join('');
  if (text) content.push({ type: 'text', text });
  const refusal = str(msg.refusal);
  if (refusal) content.push({ type: 'text', text: refusal });
  for (const tc of list(msg.tool_calls)) {
    if (!isObject(tc) || !isObject(tc.function)) continue;
    const fn = tc.function;
    content.push({
      type: 'tool_use',
      id: str(tc.id) || randomId('toolu_'),
      name: str(fn.name) ?? '',
      input: parseToolArguments(str(fn.arguments) ?? JSON.stringify(fn.arguments ?? {})),
    });
  }
  const hasToolUse = content.some((b) => b.type === 'tool_use');
  const stop = refusal
    ? { stop_reason: 'refusal' as const, stop_sequence: null }
    : anthropicStopReason(choice.finish_reason, hasToolUse, choice.stop_reason ?? choice.matched_stop);
  return {
    id: anthropicMessageId(input.id),
    type: 'message',
    role: 'assistant',
    model: opts.model ?? str(input.model) ?? '',
    content,
    ...stop,
    usage: anthropicUsage(input.usage),
  };
}
