// OpenAI chat.completions client → Gemini generateContent upstream.
import { invalidRequest, untranslatable } from './errors.js';
import { toGeminiSchema } from './gemini-schema.js';
import { geminiPartsToOpenAI, openAIChatId, openAIFinishFromGemini, openAIUsageFromGemini } from './mapping.js';
import { parseOpenAIRequest, textOf, type OpenAIMessageIn, type OpenAIRequestIn, type OpenAIUserPartIn } from './parse-openai.js';
import type { GeminiContent, GeminiFunctionDeclaration, GeminiPart, GeminiRequest, OpenAIChatCompletion } from './types.js';
import { budgetFromEffort, isObject, list, nowSeconds, parseDataUrl, parseToolArguments, str, warnUnknownFields } from './util.js';

export { GeminiToOpenAIStream, type GeminiToOpenAIStreamOptions } from './stream-gemini-to-openai.js';

const TARGET = 'Gemini generateContent';
/**
 * Google's documented placeholder for function calls that Gemini did not produce in this
 * conversation (Gemini 3 rejects a functionCall part without a thought signature; OpenAI
 * clients never keep one).
 */
export const SKIP_THOUGHT_SIGNATURE = 'skip_thought_signature_validator';
const KNOWN = new Set([
  'model', 'messages', 'max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'stop', 'n', 'stream', 'stream_options',
  'tools', 'tool_choice', 'parallel_tool_calls', 'reasoning_effort', 'response_format', 'seed', 'presence_penalty',
  'frequency_penalty', 'user', 'safety_identifier', 'metadata', 'store', 'service_tier', 'prompt_cache_key',
  'prompt_cache_retention', 'functions', 'function_call', 'audio', 'modalities', 'web_search_options',
  'logit_bias', 'logprobs', 'top_logprobs', 'verbosity', 'prediction',
]);
const MIME_BY_EXT: Record<string, string> = { png: 'image/png', jpg: 'image/jpeg', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp', pdf: 'application/pdf' };

/** The request body for `…/models/{model}:generateContent` (or `:streamGenerateContent?alt=sse`): Gemini takes the model and streaming from the URL. */
export function openAIToGeminiRequest(input: unknown): { body: GeminiRequest; warnings: string[] } {
  const req = parseOpenAIRequest(input);
  const warnings: string[] = [];
  if (req.functions !== undefined || req.function_call !== undefined) throw untranslatable('the legacy functions/function_call API', TARGET, 'use tools');
  if (req.audio || req.modalities?.includes('audio')) throw untranslatable('audio output', TARGET);
  if (req.web_search_options !== undefined) throw untranslatable('web_search_options', TARGET);
  for (const k of ['logit_bias', 'top_logprobs', 'verbosity', 'prediction'] as const) if (req[k] != null) warnings.push(`dropped '${k}': no Gemini equivalent`);
  if (req.logprobs === true) warnings.push("dropped 'logprobs': not translated from Gemini");
  if (req.parallel_tool_calls === false) warnings.push("dropped 'parallel_tool_calls: false': Gemini cannot limit a turn to one call");
  warnUnknownFields(req, KNOWN, warnings);

  const body: GeminiRequest = { contents: convertMessages(req.messages, warnings) };
  const system = req.messages
    .flatMap((m) => (m.role === 'system' || m.role === 'developer' ? [textOf(m.content)] : []))
    .filter((t) => t !== '');
  if (system.length) body.systemInstruction = { parts: [{ text: system.join('\n\n') }] };
  tools(req, body);

  const gc: NonNullable<GeminiRequest['generationConfig']> = {};
  const max = req.max_completion_tokens ?? req.max_tokens;
  if (typeof max === 'number') gc.maxOutputTokens = max;
  const stop = typeof req.stop === 'string' ? [req.stop] : (req.stop ?? []);
  if (stop.length) gc.stopSequences = stop;
  if (typeof req.temperature === 'number') gc.temperature = req.temperature;
  if (typeof req.top_p === 'number') gc.topP = req.top_p;
  if (typeof req.n === 'number' && req.n > 1) gc.candidateCount = req.n;
  if (typeof req.seed === 'number') gc.seed = req.seed;
  if (typeof req.presence_penalty === 'number' && req.presence_penalty !== 0) gc.presencePenalty = req.presence_penalty;
  if (typeof req.frequency_penalty === 'number' && req.frequency_penalty !== 0) gc.frequencyPenalty = req.frequency_penalty;
  const rf = req.response_format;
  if (rf?.type === 'json_object' || rf?.type === 'json_schema') gc.responseMimeType = 'application/json';
  const schema = rf?.type === 'json_schema' ? toGeminiSchema(rf.json_schema?.schema) : undefined;
  if (schema) gc.responseSchema = schema;
  if (req.reasoning_effort) {
    // none/minimal: budget 0 turns thinking off where the model allows it (2.5 Flash; 2.5 Pro cannot).
    const budget = budgetFromEffort(req.reasoning_effort) ?? 0;
    gc.thinkingConfig = budget ? { thinkingBudget: budget, includeThoughts: true } : { thinkingBudget: 0 };
  }
  if (Object.keys(gc).length) body.generationConfig = gc;
  return { body, warnings };
}

function convertMessages(list: OpenAIMessageIn[], warnings: string[]): GeminiContent[] {
  const names = new Map<string, string>(); // tool_call_id → function name: Gemini's functionResponse needs the name
  const out: GeminiContent[] = [];
  const push = (role: 'user' | 'model', parts: GeminiPart[]): void => {
    if (parts.length === 0) return;
    const last = out.at(-1);
    if (last?.role === role) last.parts.push(...parts);
    else out.push({ role, parts });
  };
  let seenOther = false;
  for (const [i, m] of list.entries()) {
    switch (m.role) {
      case 'system': case 'developer':
        if (seenOther && !warnings.some((w) => w.startsWith('system messages'))) {
          warnings.push('system messages after the conversation start were moved into systemInstruction');
        }
        continue;
      case 'user': push('user', userParts(m.content)); break;
      case 'assistant': {
        if (m.function_call) throw untranslatable('the legacy function_call', TARGET, 'use tool_calls');
        const parts: GeminiPart[] = [];
        const text = typeof m.content === 'string' ? m.content : (m.content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('');
        if (text) parts.push({ text });
        for (const [n, tc] of (m.tool_calls ?? []).entries()) {
          if (tc.type !== 'function') throw untranslatable(`tool call type '${tc.name}'`, TARGET);
          names.set(tc.id, tc.function.name);
          parts.push({ functionCall: { name: tc.function.name, args: parseToolArguments(tc.function.arguments) }, ...(n === 0 ? { thoughtSignature: SKIP_THOUGHT_SIGNATURE } : {}) });
        }
        push('model', parts);
        break;
      }
      case 'tool': {
        const name = names.get(m.tool_call_id);
        if (name === undefined) throw invalidRequest(`messages[${i}].tool_call_id '${m.tool_call_id}' answers no earlier assistant tool call`);
        push('user', [{ functionResponse: { name, response: toolResponse(textOf(m.content)) } }]);
        break;
      }
      case 'function': throw untranslatable("the legacy 'function' role", TARGET, "use tool_calls and 'tool' messages");
    }
    seenOther = true;
  }
  return out;
}

/** A JSON object result goes as is; anything else is wrapped, since functionResponse.response must be an object. */
function toolResponse(text: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(text);
    if (isObject(v)) return v;
  } catch {
    /* plain text */
  }
  return { result: text };
}

function userParts(content: string | OpenAIUserPartIn[]): GeminiPart[] {
  if (typeof content === 'string') return content ? [{ text: content }] : [];
  const parts: GeminiPart[] = [];
  for (const p of content) {
    switch (p.type) {
      case 'text': if (p.text) parts.push({ text: p.text }); break;
      case 'image_url': parts.push(urlPart(p.image_url.url)); break;
      case 'input_audio': {
        const mimeType = p.input_audio.format === 'mp3' ? 'audio/mpeg' : `audio/${p.input_audio.format}`;
        parts.push({ inlineData: { mimeType, data: p.input_audio.data } });
        break;
      }
      case 'file':
        if (!p.file.file_data) throw untranslatable('a file by file_id (OpenAI Files API)', TARGET, 'send file_data as a base64 data: URL');
        parts.push(urlPart(p.file.file_data));
        break;
      default: throw untranslatable(`content part '${p.name}'`, TARGET);
    }
  }
  return parts;
}

/** data: URLs go inline; http(s) URLs go as fileData with a MIME type guessed from the extension (Gemini fetches them). */
function urlPart(url: string): GeminiPart {
  const data = parseDataUrl(url);
  if (data) return { inlineData: { mimeType: data.mediaType === 'image/jpg' ? 'image/jpeg' : data.mediaType, data: data.data } };
  if (!/^https?:\/\//i.test(url)) throw untranslatable('a media URL that is neither http(s) nor a base64 data: URL', TARGET);
  const ext = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? '';
  return { fileData: { mimeType: MIME_BY_EXT[ext] ?? 'image/jpeg', fileUri: url } };
}

function tools(req: OpenAIRequestIn, body: GeminiRequest): void {
  if (!req.tools?.length) return;
  let decls: GeminiFunctionDeclaration[] = req.tools.map((t) => {
    if (t.type !== 'function') throw untranslatable(`tool type '${t.name}'`, TARGET, 'only function tools can be carried');
    const params = toGeminiSchema(t.function.parameters);
    // Gemini rejects an OBJECT without properties: a function without arguments declares no parameters.
    const useful = params && !(params.type === 'OBJECT' && !params.properties);
    return { name: t.function.name, ...(t.function.description ? { description: t.function.description } : {}), ...(useful ? { parameters: params } : {}) };
  });
  const tc = req.tool_choice;
  let config: NonNullable<GeminiRequest['toolConfig']>['functionCallingConfig'] | undefined;
  if (tc === 'auto') config = { mode: 'AUTO' };
  else if (tc === 'none') config = { mode: 'NONE' };
  else if (tc === 'required') config = { mode: 'ANY' };
  else if (tc?.type === 'function') config = { mode: 'ANY', allowedFunctionNames: [tc.function.name] };
  else if (tc?.type === 'allowed_tools') {
    const names = tc.allowed_tools.tools.map((t) => t.function?.name).filter((n): n is string => typeof n === 'string');
    if (tc.allowed_tools.mode === 'required') config = { mode: 'ANY', allowedFunctionNames: names };
    else decls = decls.filter((d) => names.includes(d.name)); // allowedFunctionNames works with ANY only
  } else if (tc) throw untranslatable(`tool_choice type '${tc.name}'`, TARGET);
  body.tools = [{ functionDeclarations: decls }];
  if (config) body.toolConfig = { functionCallingConfig: config };
}

// ───────────────────────────── response ─────────────────────────────

export function geminiToOpenAIResponse(input: unknown, opts: { model?: string } = {}): OpenAIChatCompletion {
  if (Array.isArray(input) && input.length === 1) input = input[0];
  if (!isObject(input)) throw invalidRequest('upstream response is not a JSON object');
  const candidates = list(input.candidates).filter(isObject);
  const choices: OpenAIChatCompletion['choices'] = candidates.map((c, i) => {
    const { content, reasoning, toolCalls } = geminiPartsToOpenAI(isObject(c.content) ? c.content.parts : undefined);
    return {
      index: typeof c.index === 'number' ? c.index : i,
      message: {
        role: 'assistant',
        content: content || (toolCalls.length ? null : ''),
        refusal: null,
        ...(reasoning ? { reasoning_content: reasoning } : {}),
        ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
      },
      finish_reason: openAIFinishFromGemini(c.finishReason, toolCalls.length > 0),
      logprobs: null,
    };
  });
  if (choices.length === 0) {
    // The prompt itself was blocked (promptFeedback.blockReason): no candidate at all.
    choices.push({ index: 0, message: { role: 'assistant', content: null, refusal: null }, finish_reason: 'content_filter', logprobs: null });
  }
  return {
    id: openAIChatId(input.responseId, /^$/),
    object: 'chat.completion',
    created: nowSeconds(),
    model: opts.model ?? str(input.modelVersion) ?? '',
    choices,
    usage: openAIUsageFromGemini(input.usageMetadata),
  };
}
