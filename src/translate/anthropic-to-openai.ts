// Anthropic Messages client → OpenAI chat.completions upstream (Claude Code over NIM, OpenRouter, Groq…).
import { invalidRequest, untranslatable } from './errors.js';
import type {
  AnthropicContentBlock,
  AnthropicMessage,
  AnthropicMessagesRequest,
  AnthropicResponseBlock,
  AnthropicTool,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  OpenAIChatRequest,
  OpenAIContentPart,
  OpenAIMessage,
  OpenAIReasoningEffort,
  OpenAIToolCall,
  OpenAIToolChoice,
} from './types.js';
import { anthropicMessageId, anthropicStopReason, anthropicUsage } from './mapping.js';
import { effortFromBudget, isObject, parseToolArguments, randomId, stringifyToolInput, warnUnknownFields } from './util.js';

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
const EFFORTS = new Set(['low', 'medium', 'high', 'xhigh', 'max']);

export function anthropicToOpenAIRequest(
  input: unknown,
  opts: AnthropicToOpenAIOptions = {},
): { body: OpenAIChatRequest; warnings: string[] } {
  if (!isObject(input) || !Array.isArray(input.messages)) throw invalidRequest('messages: an array is required');
  const req = input as AnthropicMessagesRequest;
  const warnings: string[] = [];
  if (req.mcp_servers !== undefined) throw untranslatable('mcp_servers (MCP connector)', TARGET);
  warnUnknownFields(req, new Set([...KNOWN, 'mcp_servers']), warnings);

  const messages: OpenAIMessage[] = [];
  const system = systemText(req.system);
  if (system !== undefined) messages.push({ role: 'system', content: system });
  for (const [i, m] of req.messages.entries()) {
    if (!isObject(m) || (typeof m.content !== 'string' && !Array.isArray(m.content))) {
      throw invalidRequest(`messages[${i}]: role and content are required`);
    }
    if (m.role === 'user') messages.push(...userMessages(m.content));
    else if (m.role === 'assistant') {
      const a = assistantMessage(m.content);
      if (a) messages.push(a);
    } else if (m.role === 'system') messages.push({ role: 'system', content: systemText(m.content as never) ?? '' });
    else throw invalidRequest(`messages[${i}].role: '${String(m.role)}' is not user, assistant or system`);
  }
  if (req.messages.at(-1)?.role === 'assistant') {
    warnings.push('assistant prefill: the upstream may answer anew instead of continuing the last assistant message');
  }

  const body: OpenAIChatRequest = { model: opts.model ?? req.model, messages };
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
      if ('disable_parallel_tool_use' in choice && choice.disable_parallel_tool_use) body.parallel_tool_calls = false;
    }
  }
  reasoning(req, opts, body, warnings);
  const format = req.output_config?.format;
  if (format?.type === 'json_schema') {
    body.response_format = { type: 'json_schema', json_schema: { name: 'response', schema: format.schema, strict: true } };
  }
  return { body, warnings };
}

function reasoning(req: AnthropicMessagesRequest, opts: AnthropicToOpenAIOptions, body: OpenAIChatRequest, warnings: string[]): void {
  const t = req.thinking;
  const explicit = req.output_config?.effort;
  const budget = t?.type === 'enabled' && 'budget_tokens' in t && typeof t.budget_tokens === 'number' ? t.budget_tokens : undefined;
  let effort = explicit && EFFORTS.has(explicit) ? explicit : budget !== undefined ? effortFromBudget(budget) : undefined;
  if (!effort) return;
  if (effort === 'xhigh' || effort === 'max') effort = 'high'; // OpenAI-compatible upstreams know low, medium, high
  if (opts.reasoningEffort) body.reasoning_effort = effort as OpenAIReasoningEffort;
  else warnings.push('dropped extended thinking: reasoning_effort is not enabled for this upstream');
}

function systemText(system: AnthropicMessagesRequest['system']): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system;
  if (!Array.isArray(system)) throw invalidRequest('system: a string or an array of text blocks is required');
  return system.map((b) => (b.type === 'text' ? b.text : '')).filter((s) => s !== '').join('\n\n');
}

function imageUrl(block: Extract<AnthropicContentBlock, { type: 'image' }>): OpenAIContentPart {
  const src = block.source;
  if (src.type === 'base64') return { type: 'image_url', image_url: { url: `data:${src.media_type};base64,${src.data}` } };
  if (src.type === 'url') return { type: 'image_url', image_url: { url: src.url } };
  throw untranslatable(`image source '${src.type}' (Files API)`, TARGET, 'send the image as base64 or URL');
}

function documentParts(block: Extract<AnthropicContentBlock, { type: 'document' }>): OpenAIContentPart[] {
  const src = block.source;
  const title = block.title ? `${block.title}\n\n` : '';
  switch (src.type) {
    case 'text': return [{ type: 'text', text: title + src.data }];
    case 'base64':
      return [{ type: 'file', file: { file_data: `data:${src.media_type};base64,${src.data}`, filename: block.title ?? 'document.pdf' } }];
    case 'content':
      if (typeof src.content === 'string') return [{ type: 'text', text: title + src.content }];
      return src.content.map((b) => (b.type === 'image' ? imageUrl(b) : { type: 'text', text: b.text }));
    default:
      throw untranslatable(`document source '${src.type}'`, TARGET, 'send the document as base64 or text');
  }
}

/** One Anthropic user turn → its tool results as `tool` messages (first, as OpenAI needs them right after the calls), then the rest. */
function userMessages(content: string | AnthropicContentBlock[]): OpenAIMessage[] {
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
      default: throw untranslatable(`content block '${(block as { type: string }).type}' in a user turn`, TARGET);
    }
  }
  const all = [...fromTools, ...parts];
  if (all.length === 0) return out;
  const textOnly = all.every((p) => p.type === 'text');
  out.push({ role: 'user', content: textOnly ? all.map((p) => (p as { text: string }).text).join('\n\n') : all });
  return out;
}

/** Tool messages carry text only: images a tool returned follow in the next user message, labelled with the call id. */
function toolMessage(block: AnthropicToolResultBlock, images: OpenAIContentPart[]): OpenAIMessage {
  let text: string;
  if (typeof block.content === 'string' || block.content === undefined) text = block.content ?? '';
  else {
    const texts: string[] = [];
    let imageCount = 0;
    for (const b of block.content) {
      if (b.type === 'text') texts.push((b as { text: string }).text);
      else if (b.type === 'image' || b.type === 'document') {
        if (imageCount++ === 0) images.push({ type: 'text', text: `[content returned by tool call ${block.tool_use_id}]` });
        images.push(...(b.type === 'image' ? [imageUrl(b as never)] : documentParts(b as never)));
      } else throw untranslatable(`'${b.type}' block in a tool_result`, TARGET);
    }
    if (imageCount) texts.push('[attachments follow in the next user message]');
    text = texts.join('\n\n');
  }
  if (block.is_error) text = `Error: ${text}`;
  return { role: 'tool', tool_call_id: block.tool_use_id, content: text };
}

function assistantMessage(content: string | AnthropicContentBlock[]): OpenAIMessage | undefined {
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
      default: throw untranslatable(`content block '${block.type}' in an assistant turn`, TARGET);
    }
  }
  if (texts.length === 0 && calls.length === 0) return undefined;
  return { role: 'assistant', content: texts.length ? texts.join('\n\n') : null, ...(calls.length ? { tool_calls: calls } : {}) };
}

function toFunctionTool(t: AnthropicTool): NonNullable<OpenAIChatRequest['tools']>[number] {
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

function toToolChoice(c: AnthropicToolChoice): OpenAIToolChoice {
  switch (c.type) {
    case 'auto': return 'auto';
    case 'any': return 'required';
    case 'none': return 'none';
    case 'tool': return { type: 'function', function: { name: c.name } };
    default: throw invalidRequest(`tool_choice.type: '${(c as { type: string }).type}' is not auto, any, tool or none`);
  }
}

// ───────────────────────────── response ─────────────────────────────

/** Invalid tool-call JSON becomes `{ __raw_arguments: "<text>" }` (see util.ts RAW_ARGUMENTS_KEY). */
export function openAIToAnthropicResponse(input: unknown, opts: { model?: string } = {}): AnthropicMessage {
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const choice = Array.isArray(input.choices) && isObject(input.choices[0]) ? input.choices[0] : {};
  const msg = isObject(choice.message) ? choice.message : {};
  const content: AnthropicResponseBlock[] = [];
  const reasoningText = typeof msg.reasoning_content === 'string' ? msg.reasoning_content : msg.reasoning;
  if (typeof reasoningText === 'string' && reasoningText) content.push({ type: 'thinking', thinking: reasoningText, signature: '' });
  const text = typeof msg.content === 'string' ? msg.content : Array.isArray(msg.content) ? msg.content.map((p: { text?: string }) => p.text ?? '').join('') : '';
  if (text) content.push({ type: 'text', text });
  if (typeof msg.refusal === 'string' && msg.refusal) content.push({ type: 'text', text: msg.refusal });
  for (const tc of Array.isArray(msg.tool_calls) ? (msg.tool_calls as unknown[]) : []) {
    if (!isObject(tc) || !isObject(tc.function)) continue;
    const fn = tc.function;
    content.push({
      type: 'tool_use',
      id: typeof tc.id === 'string' && tc.id ? tc.id : randomId('toolu_'),
      name: typeof fn.name === 'string' ? fn.name : '',
      input: parseToolArguments(typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {})),
    });
  }
  const hasToolUse = content.some((b) => b.type === 'tool_use');
  const refused = typeof msg.refusal === 'string' && msg.refusal !== '';
  const stop = refused
    ? { stop_reason: 'refusal' as const, stop_sequence: null }
    : anthropicStopReason(choice.finish_reason, hasToolUse, choice.stop_reason ?? choice.matched_stop);
  return {
    id: anthropicMessageId(input.id),
    type: 'message',
    role: 'assistant',
    model: opts.model ?? (typeof input.model === 'string' ? input.model : ''),
    content,
    ...stop,
    usage: anthropicUsage(input.usage),
  };
}
