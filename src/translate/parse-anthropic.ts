// The Anthropic Messages request as the anthropic → openai translator reads it. Objects are loose:
// fields the translator does not read (cache_control, citations, metadata…) pass untouched.
import { z } from 'zod';
import { byType, jsonObject, opt, parseRequest } from './parse.js';

const text = z.looseObject({ type: z.literal('text'), text: z.string() });
const image = z.looseObject({
  type: z.literal('image'),
  source: byType(
    z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal('url'), url: z.string() }),
  ),
});
const document = z.looseObject({
  type: z.literal('document'),
  source: byType(
    z.looseObject({ type: z.literal('text'), data: z.string() }),
    z.looseObject({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.looseObject({ type: z.literal('content'), content: z.union([z.string(), z.array(byType(text, image))]) }),
  ),
  title: opt(z.string()),
});
// Reasoning is never sent on (see the translator), so its blocks are not read beyond their type.
const thinking = z.looseObject({ type: z.literal('thinking') });
const redactedThinking = z.looseObject({ type: z.literal('redacted_thinking') });
const toolUse = z.looseObject({ type: z.literal('tool_use'), id: z.string(), name: z.string() });
const toolResult = z.looseObject({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: opt(z.union([z.string(), z.array(byType(text, image, document))])),
  is_error: opt(z.boolean()),
});

const userContent = z.union([z.string(), z.array(byType(text, image, document, toolResult, thinking, redactedThinking))]);
const assistantContent = z.union([z.string(), z.array(byType(text, toolUse, thinking, redactedThinking))]);
/** System text: blocks other than text add nothing (as Anthropic's API, which takes text blocks only). */
const systemContent = z.union([z.string(), z.array(byType(text))]);

const message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('user'), content: userContent }),
  z.looseObject({ role: z.literal('assistant'), content: assistantContent }),
  z.looseObject({ role: z.literal('system'), content: systemContent }),
]);

const tool = z.looseObject({
  type: opt(z.string()),
  name: z.string(),
  description: opt(z.string()),
  input_schema: opt(jsonObject),
  strict: opt(z.boolean()),
});

const parallel = { disable_parallel_tool_use: opt(z.boolean()) };
const toolChoice = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('auto'), ...parallel }),
  z.looseObject({ type: z.literal('any'), ...parallel }),
  z.looseObject({ type: z.literal('tool'), name: z.string(), ...parallel }),
  z.looseObject({ type: z.literal('none') }),
]);

const request = z.looseObject({
  model: opt(z.string()),
  max_tokens: opt(z.number()),
  messages: z.array(message),
  system: opt(systemContent),
  stop_sequences: opt(z.array(z.string())),
  temperature: opt(z.number()),
  top_p: opt(z.number()),
  stream: opt(z.boolean()),
  tools: opt(z.array(tool)),
  tool_choice: opt(toolChoice),
  thinking: opt(z.looseObject({ type: z.string(), budget_tokens: opt(z.number()) })),
  output_config: opt(z.looseObject({
    effort: opt(z.string()),
    format: opt(z.looseObject({ type: z.string(), schema: opt(jsonObject) })),
  })),
});

export type AnthropicRequestIn = z.output<typeof request>;
export type AnthropicMessageIn = AnthropicRequestIn['messages'][number];
export type AnthropicUserBlockIn = Exclude<Extract<AnthropicMessageIn, { role: 'user' }>['content'], string>[number];
export type AnthropicAssistantBlockIn = Exclude<Extract<AnthropicMessageIn, { role: 'assistant' }>['content'], string>[number];
export type AnthropicSystemIn = z.output<typeof systemContent>;
export type AnthropicImageIn = z.output<typeof image>;
export type AnthropicDocumentIn = z.output<typeof document>;
export type AnthropicToolResultIn = z.output<typeof toolResult>;
export type AnthropicToolIn = z.output<typeof tool>;
export type AnthropicToolChoiceIn = z.output<typeof toolChoice>;

export function parseAnthropicRequest(input: unknown): AnthropicRequestIn {
  return parseRequest(request, input);
}
