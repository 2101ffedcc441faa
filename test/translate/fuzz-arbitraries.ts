// fast-check arbitraries for the translate fuzz tests: random JSON biased towards the dialects' own field
// names and values, and request bodies shaped like each dialect's with random values mixed in at every
// level, so that some get past the parse and the translation itself is fuzzed too.
import fc from 'fast-check';

/** Field names of the three dialects, so that random objects often have the fields translators read. */
const KEYS = [
  'type', 'text', 'role', 'content', 'messages', 'system', 'tools', 'tool_choice', 'name', 'id', 'input', 'source', 'media_type',
  'data', 'url', 'title', 'tool_use_id', 'is_error', 'thinking', 'signature', 'input_schema', 'description', 'disable_parallel_tool_use',
  'max_tokens', 'stream', 'stop_sequences', 'temperature', 'top_p', 'top_k', 'output_config', 'effort', 'format', 'schema',
  'budget_tokens', 'image_url', 'input_audio', 'file', 'file_data', 'file_id', 'filename', 'tool_calls', 'tool_call_id', 'function',
  'arguments', 'parameters', 'strict', 'allowed_tools', 'mode', 'refusal', 'stop', 'n', 'reasoning_effort', 'response_format',
  'json_schema', 'user', 'safety_identifier', 'modalities', 'parallel_tool_calls', 'max_completion_tokens', 'function_call', 'audio',
  'choices', 'message', 'delta', 'finish_reason', 'usage', 'prompt_tokens', 'completion_tokens', 'prompt_tokens_details',
  'cached_tokens', 'index', 'reasoning_content', 'reasoning', 'candidates', 'parts', 'functionCall', 'args', 'thought',
  'finishReason', 'usageMetadata', 'promptTokenCount', 'modelVersion', 'responseId', 'promptFeedback', 'blockReason', 'error',
  'code', 'status', 'content_block', 'partial_json', 'stop_reason', 'model', 'input_tokens', 'output_tokens', '$ref', 'properties',
  'items', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'required', '$defs', 'mcp_servers', 'functions', 'web_search_options',
] as const;

/** Values those fields take: roles, block and part types, event names, reasons, URLs, and names that trip naive code. */
const WORDS = [
  'user', 'assistant', 'system', 'developer', 'tool', 'function', 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking',
  'redacted_thinking', 'base64', 'url', 'content', 'file', 'image_url', 'input_audio', 'refusal', 'auto', 'any', 'none', 'required',
  'allowed_tools', 'enabled', 'adaptive', 'json_schema', 'json_object', 'custom', 'unsupported', 'low', 'medium', 'high', 'max',
  'message_start', 'content_block_start', 'content_block_delta', 'message_delta', 'message_stop', 'error', 'text_delta',
  'thinking_delta', 'input_json_delta', 'tool_calls', 'stop', 'length', 'STOP', 'MAX_TOKENS', 'SAFETY', 'object', 'string', 'array',
  'null', 'mp3', '{"a":1}', '{oops', '[DONE]', '#/$defs/A', '#/properties', '__proto__', 'toString', 'constructor',
] as const;

export const EVENTS = ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop', 'error', 'ping'] as const;

const URLS = [
  'data:image/png;base64,AAAA', 'data:image/jpg;base64,AAAA', 'https://x.test/a.png', 'https://x.test/doc.pdf?x=1',
  'data:application/pdf;base64,JVBERi0=', 'data:text/plain;base64,aGk=', 'data:image/tiff;base64,AA', 'ftp://x.test/a', 'data:,x',
] as const;

export const { node } = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 5 },
    fc.constantFrom(...WORDS),
    fc.jsonValue({ maxDepth: 1 }),
    fc.array(tie('node'), { maxLength: 4 }),
    fc.dictionary(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...KEYS) }, fc.string()), tie('node'), { maxKeys: 6 }),
  ),
}));

/** Mostly `arb`, now and then any JSON at all. */
const rare = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 15, arbitrary: arb }, { weight: 1, arbitrary: node });
const text = rare(fc.string({ maxLength: 8 }));
const url = rare(fc.constantFrom(...URLS));
const record = <T extends Record<string, fc.Arbitrary<unknown>>>(shape: T) => fc.record(shape, { requiredKeys: [] });
/** A body of the dialect most of the time; any JSON at all otherwise. */
const body = <T>(shaped: fc.Arbitrary<T>) => fc.oneof({ weight: 6, arbitrary: shaped }, fc.jsonValue(), node);
/** Sometimes left out, sometimes null: both mean "not set". */
const optional = <T>(arb: fc.Arbitrary<T>) => fc.oneof(fc.constant(undefined), fc.constant(null), arb);
const lit = <T extends string>(...values: T[]) => rare(fc.constantFrom(...values));
const schema = rare(fc.oneof(fc.constant({ type: 'object', properties: { a: { type: 'string' } } }), node));
/** Blocks of a type no translator knows, with random fields. */
const foreign = (...types: string[]) =>
  fc.tuple(fc.constantFrom(...types), fc.dictionary(fc.constantFrom(...KEYS), node, { maxKeys: 3 })).map(([type, rest]) => ({ ...rest, type }));

// ───────────── Anthropic Messages ─────────────

const aText = fc.record({ type: lit('text'), text });
const aImage = fc.record({
  type: lit('image'),
  source: rare(fc.oneof(
    fc.record({ type: lit('base64'), media_type: lit('image/png', 'image/gif'), data: text }),
    fc.record({ type: lit('url'), url }),
    fc.record({ type: lit('file'), file_id: text }),
  )),
});
const aDocument = record({
  type: lit('document'),
  source: rare(fc.oneof(
    fc.record({ type: lit('text'), media_type: lit('text/plain'), data: text }),
    fc.record({ type: lit('base64'), media_type: lit('application/pdf'), data: text }),
    fc.record({ type: lit('content'), content: rare(fc.oneof(fc.string(), fc.array(fc.oneof(aText, aImage), { maxLength: 2 }))) }),
    fc.record({ type: lit('url'), url }),
  )),
  title: optional(text),
});
const aBlock = rare(fc.oneof(
  aText, aImage, aDocument,
  record({ type: lit('tool_use'), id: text, name: text, input: node }),
  record({ type: lit('tool_result'), tool_use_id: text, content: optional(rare(fc.oneof(text, fc.array(fc.oneof(aText, aImage, aDocument, foreign('search_result')), { maxLength: 3 })))), is_error: optional(fc.boolean()) }),
  record({ type: lit('thinking'), thinking: text, signature: text }),
  fc.record({ type: lit('redacted_thinking') }),
  foreign('server_tool_use', 'web_search_tool_result'),
));

export const anthropicRequest = body(fc.record({
  model: text,
  max_tokens: rare(fc.integer()),
  messages: rare(fc.array(
    fc.record({ role: lit('user', 'assistant', 'system'), content: rare(fc.oneof(text, fc.array(aBlock, { maxLength: 4 }))) }),
    { maxLength: 5 },
  )),
  system: optional(rare(fc.oneof(text, fc.array(fc.oneof(aText, foreign('image')), { maxLength: 2 })))),
  tools: optional(rare(fc.array(record({ type: optional(lit('custom', 'bash_20250124')), name: text, description: optional(text), input_schema: optional(schema), strict: optional(fc.boolean()) }), { maxLength: 3 }))),
  tool_choice: optional(rare(fc.oneof(
    record({ type: lit('auto', 'any', 'none', 'maybe'), disable_parallel_tool_use: optional(fc.boolean()) }),
    record({ type: lit('tool'), name: text }),
  ))),
  thinking: optional(rare(record({ type: lit('enabled', 'adaptive', 'disabled'), budget_tokens: rare(fc.integer()) }))),
  output_config: optional(rare(record({ effort: optional(lit('low', 'high', 'max', 'weird')), format: optional(rare(record({ type: lit('json_schema'), schema }))) }))),
  stop_sequences: optional(rare(fc.array(text, { maxLength: 2 }))),
  temperature: optional(rare(fc.double({ noNaN: true, noDefaultInfinity: true }))),
  stream: optional(rare(fc.boolean())),
  top_k: optional(node),
}, { requiredKeys: ['messages'] }));

// ───────────── OpenAI chat.completions ─────────────

const oText = fc.record({ type: lit('text'), text });
const oPart = rare(fc.oneof(
  oText,
  fc.record({ type: lit('image_url'), image_url: rare(record({ url, detail: optional(lit('low')) })) }),
  fc.record({ type: lit('input_audio'), input_audio: rare(fc.record({ data: text, format: lit('mp3', 'wav') })) }),
  fc.record({ type: lit('file'), file: rare(record({ file_data: optional(url), file_id: optional(text), filename: optional(text) })) }),
  fc.record({ type: lit('refusal'), refusal: text }),
  foreign('video_url'),
));
const toolCall = rare(fc.oneof(
  record({ id: lit('call_1', 'call_2'), type: lit('function'), function: rare(record({ name: text, arguments: optional(rare(fc.oneof(text, fc.constantFrom('{"a":1}', '{oops', '[]')))) })) }),
  foreign('custom'),
));
const textContent = rare(fc.oneof(text, fc.array(fc.oneof(oText, foreign('image_url')), { maxLength: 2 })));
const oMessage = rare(fc.oneof(
  { weight: 2, arbitrary: fc.record({ role: lit('system', 'developer'), content: textContent }) },
  { weight: 4, arbitrary: fc.record({ role: lit('user'), content: rare(fc.oneof(text, fc.array(oPart, { maxLength: 3 }))) }) },
  { weight: 3, arbitrary: record({ role: lit('assistant'), content: optional(rare(fc.oneof(text, fc.array(oPart, { maxLength: 2 })))), tool_calls: optional(fc.array(toolCall, { maxLength: 2 })) }) },
  { weight: 2, arbitrary: record({ role: lit('tool'), tool_call_id: lit('call_1', 'call_2', 'call_x'), content: textContent }) },
  { weight: 1, arbitrary: fc.record({ role: fc.constantFrom('function', 'bot'), content: text }) },
));
const fnTool = rare(fc.oneof(
  fc.record({ type: lit('function'), function: rare(record({ name: lit('f', 'g'), description: optional(text), parameters: optional(schema), strict: optional(fc.boolean()) })) }),
  foreign('custom'),
));

export const openAIRequest = body(fc.record({
  model: text,
  messages: rare(fc.array(oMessage, { maxLength: 5 })),
  tools: optional(rare(fc.array(fnTool, { maxLength: 3 }))),
  tool_choice: optional(rare(fc.oneof(
    lit('auto', 'none', 'required', 'always'),
    fc.record({ type: lit('function'), function: rare(record({ name: lit('f', 'h') })) }),
    fc.record({ type: lit('allowed_tools'), allowed_tools: rare(fc.record({ mode: lit('auto', 'required'), tools: rare(fc.array(record({ type: lit('function'), function: optional(record({ name: lit('f', 'g') })) }), { maxLength: 2 })) })) }),
    foreign('custom'),
  ))),
  max_tokens: optional(rare(fc.integer())),
  max_completion_tokens: optional(rare(fc.integer())),
  temperature: optional(rare(fc.double({ noNaN: true, noDefaultInfinity: true }))),
  top_p: optional(rare(fc.double({ min: 0, max: 1, noNaN: true }))),
  stop: optional(rare(fc.oneof(text, fc.array(text, { maxLength: 2 })))),
  n: optional(rare(fc.integer({ min: 0, max: 3 }))),
  reasoning_effort: optional(lit('low', 'medium', 'high', 'minimal', 'xhigh', 'none', 'weird')),
  response_format: optional(rare(record({ type: lit('text', 'json_object', 'json_schema'), json_schema: optional(rare(record({ name: text, schema: optional(schema) }))) }))),
  parallel_tool_calls: optional(rare(fc.boolean())),
  user: optional(text),
  modalities: optional(rare(fc.array(lit('text', 'audio'), { maxLength: 2 }))),
  logit_bias: optional(node),
  stream_options: optional(node),
}, { requiredKeys: ['messages'] }));

// ───────────── upstream bodies and stream chunks ─────────────

/** A field the reader expects to be `arb`: often is, often is not. */
const loose = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 2, arbitrary: arb }, node);
const count = loose(fc.integer({ min: 0, max: 5000 }));
const args = loose(fc.constantFrom('{"a":1}', '{oops', '', '{"__raw_arguments":"x"}'));

const oaToolCall = record({ index: loose(fc.integer({ min: 0, max: 2 })), id: text, type: lit('function'), function: loose(record({ name: text, arguments: args })) });
const oaUsage = loose(record({ prompt_tokens: count, completion_tokens: count, prompt_tokens_details: loose(record({ cached_tokens: count })) }));
const oaFinish = loose(fc.constantFrom('stop', 'length', 'tool_calls', 'content_filter', 'error'));
const oaContent = loose(fc.oneof(fc.string(), fc.array(node, { maxLength: 3 })));

const openAICompletion = record({
  id: text, model: text,
  choices: loose(fc.array(record({
    message: loose(record({ content: oaContent, reasoning_content: text, reasoning: text, refusal: text, tool_calls: loose(fc.array(oaToolCall, { maxLength: 2 })) })),
    finish_reason: oaFinish, stop_reason: text, matched_stop: text,
  }), { maxLength: 2 })),
  usage: oaUsage,
});
const openAIChunk = record({
  id: text, model: text, error: fc.constant(undefined),
  choices: loose(fc.array(record({
    index: loose(fc.integer({ min: 0, max: 1 })),
    delta: loose(record({ content: text, reasoning_content: text, refusal: text, tool_calls: loose(fc.array(oaToolCall, { maxLength: 2 })) })),
    finish_reason: oaFinish,
  }), { maxLength: 2 })),
  usage: oaUsage,
});

const anUsage = loose(record({ input_tokens: count, output_tokens: count, cache_read_input_tokens: count, cache_creation_input_tokens: count }));
const anBlock = record({ type: lit('text', 'thinking', 'tool_use', 'redacted_thinking'), text, thinking: text, id: text, name: text, input: node });
const anthropicMessage = record({ id: text, model: text, content: loose(fc.array(anBlock, { maxLength: 3 })), stop_reason: loose(fc.constantFrom('end_turn', 'max_tokens', 'tool_use', 'refusal')), usage: anUsage });
const anthropicEvent = record({
  type: loose(fc.constantFrom(...EVENTS)),
  message: loose(record({ id: text, model: text, usage: anUsage })),
  index: loose(fc.integer({ min: 0, max: 3 })),
  content_block: loose(anBlock),
  delta: loose(record({ type: lit('text_delta', 'thinking_delta', 'input_json_delta', 'signature_delta'), text, thinking: text, partial_json: args, stop_reason: text })),
  usage: anUsage,
  error: loose(record({ type: text, message: text })),
});

const gmPart = record({ text, thought: loose(fc.boolean()), functionCall: loose(record({ name: text, args: node, id: text })) });
const geminiResponse = record({
  responseId: text, modelVersion: text,
  candidates: loose(fc.array(record({ index: loose(fc.integer({ min: 0, max: 2 })), content: loose(record({ parts: loose(fc.array(gmPart, { maxLength: 3 })) })), finishReason: loose(fc.constantFrom('STOP', 'MAX_TOKENS', 'SAFETY')) }), { maxLength: 2 })),
  usageMetadata: loose(record({ promptTokenCount: count, candidatesTokenCount: count, thoughtsTokenCount: count, cachedContentTokenCount: count })),
  promptFeedback: loose(record({ blockReason: text })),
  error: fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, loose(record({ code: count, message: text, status: text }))),
});

/** Upstream bodies: the dialect's shape with wrong types here and there, or any JSON. */
export const upstream = { openai: body(openAICompletion), anthropic: body(anthropicMessage), gemini: body(geminiResponse) };
/** Upstream stream items as the relay hands them over: parsed JSON mostly, raw text sometimes. */
const raw = fc.constantFrom('[DONE]', '{"choices":[]}', '{oops', '[[{}]]', '');
export const streamChunks = {
  openai: fc.array(fc.oneof({ weight: 6, arbitrary: openAIChunk }, node, raw), { maxLength: 8 }),
  anthropic: fc.array(fc.tuple(fc.option(fc.constantFrom(...EVENTS), { nil: undefined }), fc.oneof({ weight: 6, arbitrary: anthropicEvent }, node)), { maxLength: 8 }),
  gemini: fc.array(fc.oneof({ weight: 6, arbitrary: geminiResponse }, node, raw, fc.array(geminiResponse, { maxLength: 2 })), { maxLength: 6 }),
};
