// OpenAI chat.completions client → Anthropic Messages upstream (OpenAI-SDK apps over Anthropic keys).
import { invalidRequest, untranslatable } from './errors.js';
import { openAIChatId, openAIFinishFromAnthropic, openAIUsageFromAnthropic } from './mapping.js';
import { parseOpenAIRequest, textOf, type OpenAIAssistantIn, type OpenAIFileIn, type OpenAIMessageIn, type OpenAIRequestIn, type OpenAIUserPartIn } from './parse-openai.js';
import type {
  AnthropicContentBlock,
  AnthropicMessageParam,
  AnthropicMessagesRequest,
  AnthropicTool,
  AnthropicToolChoice,
  OpenAIChatCompletion,
  OpenAIToolCall,
} from './types.js';
import { budgetFromEffort, isObject, list, nowSeconds, parseDataUrl, parseToolArguments, randomId, str, stringifyToolInput, warnUnknownFields } from './util.js';

export { AnthropicToOpenAIStream, type AnthropicToOpenAIStreamOptions } from './stream-anthropic-to-openai.js';

export interface OpenAIToAnthropicOptions {
  /** Upstream model id; replaces the client's `model`. */
  model?: string;
  /** Anthropic requires max_tokens; OpenAI does not. Used when the client sets neither max_tokens nor max_completion_tokens. Default 4096. */
  defaultMaxTokens?: number;
}

const TARGET = 'Anthropic Messages';
const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);
/** Mapped below, refused below, or knowingly ignored (store, metadata, service_tier, prompt caching keys). */
const KNOWN = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'n', 'stream', 'stream_options',
  'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'response_format', 'user', 'safety_identifier',
  'metadata', 'store', 'service_tier', 'prompt_cache_key', 'prompt_cache_retention', 'functions', 'function_call', 'audio',
  'modalities', 'web_search_options',
]);
/** Dropped with a warning when set to a non-default value. */
const DROPPED: Record<string, (v: unknown) => boolean> = {
  frequency_penalty: (v) => v !== 0,
  presence_penalty: (v) => v !== 0,
  logit_bias: (v) => isObject(v) && Object.keys(v).length > 0,
  logprobs: (v) => v === true,
  top_logprobs: () => true,
  seed: () => true,
  verbosity: () => true,
  prediction: () => true,
};

export function openAIToAnthropicRequest(
  input: unknown,
  opts: OpenAIToAnthropicOptions = {},
): { body: AnthropicMessagesRequest; warnings: string[] } {
  const req = parseOpenAIRequest(input);
  const warnings: string[] = [];
  refuseUnsupported(req);
  for (const [k, isSet] of Object.entries(DROPPED)) {
    if (req[k] !== undefined && req[k] !== null && isSet(req[k])) warnings.push(`dropped '${k}': no Anthropic equivalent`);
  }
  warnUnknownFields(req, new Set([...KNOWN, ...Object.keys(DROPPED)]), warnings);

  const { system, messages } = convertMessages(req.messages, warnings);
  const clientMax = req.max_completion_tokens ?? req.max_tokens ?? undefined;
  const body: AnthropicMessagesRequest = { model: opts.model ?? req.model ?? '', max_tokens: clientMax ?? opts.defaultMaxTokens ?? 4096, messages };
  if (system) body.system = system;
  if (typeof req.temperature === 'number') {
    // OpenAI allows 0..2, Anthropic 0..1: values above 1 are clamped (not scaled: 0.7 means about the same on both).
    body.temperature = Math.min(1, Math.max(0, req.temperature));
    if (req.temperature > 1) warnings.push(`temperature ${req.temperature} clamped to 1 (Anthropic's maximum)`);
  }
  if (typeof req.top_p === 'number' && req.top_p !== 1) body.top_p = req.top_p;
  const stop = typeof req.stop === 'string' ? [req.stop] : (req.stop ?? []);
  if (stop.length) body.stop_sequences = stop;
  if (req.stream) body.stream = true;
  if (req.user || req.safety_identifier) body.metadata = { user_id: req.safety_identifier ?? req.user ?? '' };
  tools(req, body);
  if (req.reasoning_effort) thinking(req.reasoning_effort, clientMax, body, opts, warnings);
  const rf = req.response_format;
  if (rf?.type === 'json_object') warnings.push("dropped response_format 'json_object': Anthropic has no JSON mode without a schema");
  if (rf?.type === 'json_schema') {
    if (!rf.json_schema?.schema) throw invalidRequest('response_format.json_schema.schema is required');
    body.output_config = { format: { type: 'json_schema', schema: rf.json_schema.schema } };
  }
  return { body, warnings };
}

function refuseUnsupported(req: OpenAIRequestIn): void {
  if (typeof req.n === 'number' && req.n > 1) throw untranslatable('n > 1 (several choices)', TARGET, 'send n separate requests');
  if (req.functions !== undefined || req.function_call !== undefined) {
    throw untranslatable('the legacy functions/function_call API', TARGET, 'use tools and tool_choice');
  }
  if (req.audio || req.modalities?.includes('audio')) throw untranslatable('audio output', TARGET);
  if (req.web_search_options !== undefined) throw untranslatable('web_search_options', TARGET);
}

function thinking(effort: string, clientMax: number | undefined, body: AnthropicMessagesRequest, opts: OpenAIToAnthropicOptions, warnings: string[]): void {
  let budget = budgetFromEffort(effort);
  if (budget === undefined) return;
  const forced = body.tool_choice?.type === 'any' || body.tool_choice?.type === 'tool';
  if (forced) return void warnings.push('dropped reasoning_effort: Anthropic cannot think while tool_choice forces a tool');
  if (clientMax !== undefined) {
    // OpenAI counts reasoning inside max_completion_tokens, as Anthropic counts thinking inside max_tokens.
    if (clientMax <= 1024) return void warnings.push('dropped reasoning_effort: max_tokens leaves no room for the minimum thinking budget (1024)');
    budget = Math.min(budget, clientMax - 1);
  } else body.max_tokens = budget + (opts.defaultMaxTokens ?? 4096);
  body.thinking = { type: 'enabled', budget_tokens: budget };
  if (body.temperature !== undefined && body.temperature !== 1) {
    delete body.temperature;
    warnings.push('dropped temperature: Anthropic requires the default temperature while thinking');
  }
  if (body.top_p !== undefined && body.top_p < 0.95) {
    delete body.top_p;
    warnings.push('dropped top_p: Anthropic requires top_p >= 0.95 while thinking');
  }
}

function tools(req: OpenAIRequestIn, body: AnthropicMessagesRequest): void {
  if (!req.tools?.length) return;
  let list: AnthropicTool[] = req.tools.map((t) => {
    if (t.type !== 'function') throw untranslatable(`tool type '${t.name}'`, TARGET, 'only function tools can be carried');
    const f = t.function;
    const schema = f.parameters && Object.keys(f.parameters).length ? { type: 'object', ...f.parameters } : { type: 'object', properties: {} };
    return { name: f.name, ...(f.description ? { description: f.description } : {}), input_schema: schema, ...(f.strict ? { strict: true } : {}) };
  });
  const tc = req.tool_choice;
  let choice: AnthropicToolChoice | undefined;
  if (tc === 'auto') choice = { type: 'auto' };
  else if (tc === 'required') choice = { type: 'any' };
  else if (tc === 'none') choice = { type: 'none' };
  else if (tc?.type === 'function') choice = { type: 'tool', name: tc.function.name };
  else if (tc?.type === 'allowed_tools') {
    // A subset the model may use: Anthropic has no such choice, but sending only that subset means the same.
    const names = new Set(tc.allowed_tools.tools.map((t) => t.function?.name));
    list = list.filter((t) => names.has(t.name));
    choice = { type: tc.allowed_tools.mode === 'required' ? 'any' : 'auto' };
  } else if (tc) throw untranslatable(`tool_choice type '${tc.name}'`, TARGET);
  if (req.parallel_tool_calls === false && choice?.type !== 'none') {
    choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  }
  body.tools = list;
  if (choice) body.tool_choice = choice;
}

function convertMessages(list: OpenAIMessageIn[], warnings: string[]): { system: string; messages: AnthropicMessageParam[] } {
  const system: string[] = [];
  const out: AnthropicMessageParam[] = [];
  const push = (role: 'user' | 'assistant', blocks: AnthropicContentBlock[]): void => {
    if (blocks.length === 0) return;
    const last = out.at(-1);
    // Anthropic needs alternating turns: consecutive same-role messages (tool results, then a user note) become one turn.
    if (last?.role === role && Array.isArray(last.content)) last.content.push(...blocks);
    else out.push({ role, content: blocks });
  };
  for (const m of list) {
    switch (m.role) {
      case 'system': case 'developer':
        if (out.length && !warnings.some((w) => w.startsWith('system messages'))) {
          warnings.push('system messages after the conversation start were moved into the top-level system prompt');
        }
        system.push(textOf(m.content));
        break;
      case 'user': push('user', userBlocks(m.content)); break;
      case 'assistant': push('assistant', assistantBlocks(m)); break;
      case 'tool': {
        const text = textOf(m.content);
        push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, ...(text ? { content: text } : {}) }]);
        break;
      }
      case 'function': throw untranslatable("the legacy 'function' role", TARGET, "use tool_calls and 'tool' messages");
    }
  }
  const last = out.at(-1);
  if (last?.role === 'assistant' && Array.isArray(last.content)) {
    warnings.push('the last message is from the assistant: Anthropic continues it (prefill) instead of answering anew');
    const tail = last.content.at(-1);
    if (tail?.type === 'text') tail.text = tail.text.trimEnd(); // Anthropic rejects a prefill ending in whitespace
  }
  return { system: system.filter((s) => s !== '').join('\n\n'), messages: out };
}

function userBlocks(content: string | OpenAIUserPartIn[]): AnthropicContentBlock[] {
  if (typeof content === 'string') return content ? [{ type: 'text', text: content }] : [];
  const blocks: AnthropicContentBlock[] = [];
  for (const part of content) {
    switch (part.type) {
      case 'text': if (part.text) blocks.push({ type: 'text', text: part.text }); break;
      case 'image_url': blocks.push(imageBlock(part.image_url.url)); break;
      case 'file': blocks.push(fileBlock(part.file)); break;
      case 'input_audio': throw untranslatable('audio input', TARGET);
      default: throw untranslatable(`content part '${part.name}'`, TARGET);
    }
  }
  return blocks;
}

function imageBlock(url: string): AnthropicContentBlock {
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  const data = parseDataUrl(url);
  if (!data) throw untranslatable('an image URL that is neither http(s) nor a base64 data: URL', TARGET);
  const mediaType = data.mediaType === 'image/jpg' ? 'image/jpeg' : data.mediaType;
  if (!IMAGE_TYPES.has(mediaType)) throw untranslatable(`image type '${mediaType}'`, TARGET, 'Anthropic takes jpeg, png, gif and webp');
  return { type: 'image', source: { type: 'base64', media_type: mediaType, data: data.data } };
}

function fileBlock(file: OpenAIFileIn): AnthropicContentBlock {
  const data = file.file_data ? parseDataUrl(file.file_data) : undefined;
  if (!data) throw untranslatable('a file by file_id (OpenAI Files API)', TARGET, 'send file_data as a base64 data: URL');
  const title = file.filename ? { title: file.filename } : {};
  if (data.mediaType === 'application/pdf') return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data.data }, ...title };
  if (data.mediaType.startsWith('text/')) {
    return { type: 'document', source: { type: 'text', media_type: 'text/plain', data: Buffer.from(data.data, 'base64').toString('utf8') }, ...title };
  }
  if (IMAGE_TYPES.has(data.mediaType)) return imageBlock(file.file_data ?? '');
  throw untranslatable(`file type '${data.mediaType}'`, TARGET, 'Anthropic takes PDF, plain text and images');
}

function assistantBlocks(m: OpenAIAssistantIn): AnthropicContentBlock[] {
  if (m.function_call) throw untranslatable('the legacy function_call', TARGET, 'use tool_calls');
  if (m.audio) throw untranslatable('assistant audio', TARGET);
  const blocks: AnthropicContentBlock[] = [];
  const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : p.type === 'refusal' ? p.refusal : '')).join('');
  // reasoning_content is not sent back: Anthropic accepts thinking blocks only with their signature.
  if (text) blocks.push({ type: 'text', text });
  for (const tc of m.tool_calls ?? []) {
    if (tc.type !== 'function') throw untranslatable(`tool call type '${tc.name}'`, TARGET);
    blocks.push({ type: 'tool_use', id: tc.id, name: tc.function.name, input: parseToolArguments(tc.function.arguments) });
  }
  return blocks;
}

// ───────────────────────────── response ─────────────────────────────

export function anthropicToOpenAIResponse(input: unknown, opts: { model?: string } = {}): OpenAIChatCompletion {
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const content = list(input.content).filter(isObject);
  let text = '';
  let reasoning = '';
  const calls: OpenAIToolCall[] = [];
  for (const b of content) {
    if (b.type === 'text' && typeof b.text === 'string') text += b.text;
    else if (b.type === 'thinking' && typeof b.thinking === 'string') reasoning += b.thinking;
    else if (b.type === 'tool_use') {
      calls.push({ id: str(b.id) || randomId('call_'), type: 'function', function: { name: str(b.name) ?? '', arguments: stringifyToolInput(b.input) } });
    }
  }
  const finish = openAIFinishFromAnthropic(input.stop_reason, calls.length > 0);
  return {
    id: openAIChatId(input.id, /^msg_/),
    object: 'chat.completion',
    created: nowSeconds(),
    model: opts.model ?? str(input.model) ?? '',
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text || (calls.length ? null : ''),
          refusal: null,
          ...(reasoning ? { reasoning_content: reasoning } : {}),
          ...(calls.length ? { tool_calls: calls } : {}),
        },
        finish_reason: finish,
        logprobs: null,
      },
    ],
    usage: openAIUsageFromAnthropic(input.usage),
  };
}
