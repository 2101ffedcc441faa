// A Responses API request (POST /v1/responses) as an OpenAI chat.completions request, for providers that speak
// only chat. Input items become messages; function tools and their call/output items become chat tools,
// tool_calls and tool messages. What chat cannot carry is refused (a built-in tool, a stored item reference)
// or dropped with a warning (include, prompt_cache_key, reasoning summaries).
import { z } from 'zod';
import { TranslationError, untranslatable } from '../errors.js';
import type { OpenAIChatRequest, OpenAIContentPart, OpenAIMessage, OpenAIToolCall } from '../types.js';

const TARGET = 'chat completions';

const part = z.looseObject({ type: z.string() });
const content = z.union([z.string(), z.array(part)]);
const item = z.looseObject({ type: z.string().optional(), role: z.string().optional(), content: content.optional() });
const tool = z.looseObject({ type: z.string(), name: z.string().optional() });

export const responsesRequest = z.looseObject({
  model: z.string().optional(),
  input: z.union([z.string(), z.array(item)]).optional(),
  instructions: z.string().nullish(),
  previous_response_id: z.string().nullish(),
  tools: z.array(tool).nullish(),
  tool_choice: z.union([z.string(), z.looseObject({ type: z.string(), name: z.string().optional() })]).nullish(),
  text: z.looseObject({ format: z.looseObject({ type: z.string() }).nullish(), verbosity: z.string().nullish() }).nullish(),
  reasoning: z.looseObject({ effort: z.string().nullish(), summary: z.string().nullish() }).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  temperature: z.number().nullish(),
  top_p: z.number().nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
  background: z.boolean().nullish(),
  user: z.string().nullish(),
  safety_identifier: z.string().nullish(),
});
export type ResponsesRequest = z.infer<typeof responsesRequest>;

/** Read at the entry: a body that is not a Responses request is the client's 400, never keymux's 500. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const r = responsesRequest.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const at = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new TranslationError('KMX_ERR_BAD_REQUEST', `not a valid Responses request${at}: ${issue?.message ?? 'malformed'}`);
}

/** Fields read below, or keymux's own business (store, previous_response_id): never a warning. */
const HANDLED = new Set([
  'model', 'input', 'instructions', 'previous_response_id', 'tools', 'tool_choice', 'text', 'reasoning', 'max_output_tokens',
  'temperature', 'top_p', 'parallel_tool_calls', 'stream', 'store', 'background', 'user', 'safety_identifier', 'truncation',
]);
/** Whole features chat has no room for. */
const REFUSED: Readonly<Record<string, string>> = {
  conversation: 'conversation (server-side conversations)',
  prompt: 'prompt (stored prompt templates)',
};

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const record = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? Object.fromEntries(Object.entries(v)) : {});

function userPart(p: Record<string, unknown>): OpenAIContentPart {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: str(p.text) };
    case 'refusal':
      return { type: 'text', text: str(p.refusal) };
    case 'input_image': {
      if (typeof p.image_url !== 'string') throw untranslatable('an input_image by file_id', TARGET, 'send it as image_url (a URL or data URL)');
      const detail = p.detail === 'low' || p.detail === 'high' ? p.detail : 'auto';
      return { type: 'image_url', image_url: { url: p.image_url, detail } };
    }
    case 'input_file': {
      if (typeof p.file_data !== 'string') throw untranslatable('an input_file without file_data', TARGET, 'send the file inline as file_data');
      return { type: 'file', file: { file_data: p.file_data, ...(typeof p.filename === 'string' && { filename: p.filename }) } };
    }
    case 'input_audio': {
      const a = record(p.input_audio);
      return { type: 'input_audio', input_audio: { data: str(a.data), format: str(a.format) } };
    }
    default:
      throw untranslatable(`content part '${String(p.type)}'`, TARGET);
  }
}

function textOnly(parts: ReadonlyArray<Record<string, unknown>>, where: string): string {
  return parts
    .map((p) => {
      if (p.type === 'input_text' || p.type === 'output_text' || p.type === 'text') return str(p.text);
      if (p.type === 'refusal') return str(p.refusal);
      throw untranslatable(`content part '${String(p.type)}' in ${where}`, TARGET, 'chat carries text only there');
    })
    .join('');
}

/** One message item as a chat message. */
function message(role: string, c: string | ReadonlyArray<Record<string, unknown>>): OpenAIMessage {
  if (role === 'user') return { role, content: typeof c === 'string' ? c : c.map(userPart) };
  if (role === 'system' || role === 'developer') return { role, content: typeof c === 'string' ? c : textOnly(c, `a ${role} message`) };
  if (role === 'assistant') return { role, content: typeof c === 'string' ? c : textOnly(c, 'an assistant message') };
  throw new TranslationError('KMX_ERR_BAD_REQUEST', `a message item with role '${role}'`);
}

/** Input items as chat messages, in order; consecutive function calls join the assistant turn before them. */
export function inputMessages(input: ResponsesRequest['input'], warnings: Set<string>): OpenAIMessage[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ role: 'user', content: input }];
  const out: OpenAIMessage[] = [];
  for (const it of input) {
    const type = it.type ?? 'message';
    if (type === 'message') {
      if (it.content === undefined) throw new TranslationError('KMX_ERR_BAD_REQUEST', 'a message item without content');
      out.push(message(it.role ?? 'user', it.content));
    } else if (type === 'function_call') {
      const call: OpenAIToolCall = { id: str(it.call_id), type: 'function', function: { name: str(it.name), arguments: str(it.arguments) || '{}' } };
      const prev = out.at(-1);
      if (prev?.role === 'assistant') prev.tool_calls = [...(prev.tool_calls ?? []), call];
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (type === 'function_call_output') {
      const o = it.output;
      const text = typeof o === 'string' ? o : Array.isArray(o) ? textOnly(o.map(record), 'a function_call_output') : JSON.stringify(o ?? '');
      out.push({ role: 'tool', tool_call_id: str(it.call_id), content: text });
    } else if (type === 'reasoning') {
      warnings.add('reasoning input items dropped (chat has no place for them)');
    } else if (type === 'item_reference') {
      throw untranslatable('item_reference input items', TARGET, 'send the items themselves, or use previous_response_id');
    } else {
      throw untranslatable(`input items of type '${type}'`, TARGET);
    }
  }
  return out;
}

function chatTools(req: ResponsesRequest): Pick<OpenAIChatRequest, 'tools' | 'tool_choice'> {
  const out: Pick<OpenAIChatRequest, 'tools' | 'tool_choice'> = {};
  if (req.tools?.length) {
    out.tools = req.tools.map((t) => {
      if (t.type !== 'function') throw untranslatable(`the built-in tool '${t.type}'`, TARGET, 'only function tools translate');
      const parameters = record(t.parameters);
      return {
        type: 'function' as const,
        function: {
          name: str(t.name),
          ...(typeof t.description === 'string' && { description: t.description }),
          ...(Object.keys(parameters).length > 0 && { parameters }),
          ...(typeof t.strict === 'boolean' && { strict: t.strict }),
        },
      };
    });
  }
  const c = req.tool_choice;
  if (c === 'none' || c === 'auto' || c === 'required') out.tool_choice = c;
  else if (typeof c === 'object' && c !== null && c.type === 'function' && c.name) out.tool_choice = { type: 'function', function: { name: c.name } };
  else if (c != null) throw untranslatable(`tool_choice ${JSON.stringify(c)}`, TARGET);
  return out;
}

function responseFormat(req: ResponsesRequest): Pick<OpenAIChatRequest, 'response_format'> {
  const f = req.text?.format;
  if (!f || f.type === 'text') return {};
  if (f.type === 'json_object') return { response_format: { type: 'json_object' } };
  if (f.type === 'json_schema') {
    const schema = record(f.schema);
    return {
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: str(f.name) || 'response',
          schema,
          ...(typeof f.description === 'string' && { description: f.description }),
          ...(typeof f.strict === 'boolean' && { strict: f.strict }),
        },
      },
    };
  }
  throw untranslatable(`text.format '${f.type}'`, TARGET);
}

export interface ChatFromResponses {
  chat: OpenAIChatRequest;
  /** The conversation as chat messages, instructions excluded: what a later previous_response_id continues. */
  conversation: OpenAIMessage[];
  warnings: string[];
}

/** The chat body for a Responses request; `history` is the conversation of its previous_response_id. */
export function responsesToChat(req: ResponsesRequest, raw: Record<string, unknown>, opts: { model: string; history: readonly OpenAIMessage[] }): ChatFromResponses {
  const warnings = new Set<string>();
  for (const [k, feature] of Object.entries(REFUSED)) if (raw[k] != null) throw untranslatable(feature, TARGET);
  if (req.background === true) throw untranslatable('background mode', TARGET);
  for (const k of Object.keys(raw)) if (!HANDLED.has(k) && raw[k] != null) warnings.add(`${k} dropped`);
  if (raw.truncation === 'auto') warnings.add('truncation auto dropped (no server-side truncation)');
  if (req.reasoning?.summary) warnings.add('reasoning.summary dropped (chat returns no reasoning summary)');
  if (req.text?.verbosity) warnings.add('text.verbosity dropped');
  const conversation = [...opts.history, ...inputMessages(req.input, warnings)];
  if (conversation.length === 0) throw new TranslationError('KMX_ERR_BAD_REQUEST', 'The request has no "input"; it is required');
  const messages: OpenAIMessage[] = req.instructions ? [{ role: 'system', content: req.instructions }, ...conversation] : conversation;
  const effort = req.reasoning?.effort;
  const mapped = effort === 'low' || effort === 'medium' || effort === 'high' || effort === 'minimal';
  if (effort && !mapped) warnings.add(`reasoning.effort '${effort}' dropped`);
  const chat: OpenAIChatRequest = {
    model: opts.model,
    messages,
    ...chatTools(req),
    ...responseFormat(req),
    ...(req.max_output_tokens != null && { max_tokens: req.max_output_tokens }),
    ...(req.temperature != null && { temperature: req.temperature }),
    ...(req.top_p != null && { top_p: req.top_p }),
    ...(req.parallel_tool_calls != null && req.tools?.length && { parallel_tool_calls: req.parallel_tool_calls }),
    ...(mapped ? { reasoning_effort: effort } : {}),
    ...((req.user ?? req.safety_identifier) ? { user: req.user ?? req.safety_identifier ?? '' } : {}),
    ...(req.stream === true && { stream: true, stream_options: { include_usage: true } }),
  };
  return { chat, conversation, warnings: [...warnings] };
}
