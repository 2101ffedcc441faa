// The OpenAI chat.completions request as the openai → anthropic and openai → gemini translators read
// it. Objects are loose: fields no translator reads pass untouched (and get a warning at the top level).
import { z } from 'zod';
import { byType, jsonObject, opt, parseRequest } from './parse.js';

const text = z.looseObject({ type: z.literal('text'), text: z.string() });
const refusal = z.looseObject({ type: z.literal('refusal'), refusal: z.string() });
const imageUrl = z.looseObject({ type: z.literal('image_url'), image_url: z.looseObject({ url: z.string() }) });
const inputAudio = z.looseObject({ type: z.literal('input_audio'), input_audio: z.looseObject({ data: z.string(), format: z.string() }) });
const file = z.looseObject({
  type: z.literal('file'),
  file: z.looseObject({ file_data: opt(z.string()), file_id: opt(z.string()), filename: opt(z.string()) }),
});

/** Text-only content (system, developer, tool): parts other than text add nothing, as before there was a parse. */
const textContent = opt(z.union([z.string(), z.array(byType(text))]));

const toolCall = byType(
  z.looseObject({
    type: z.literal('function'),
    id: z.string(),
    function: z.looseObject({ name: z.string(), arguments: opt(z.string()) }),
  }),
);

const message = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: textContent }),
  z.looseObject({ role: z.literal('developer'), content: textContent }),
  z.looseObject({ role: z.literal('user'), content: z.union([z.string(), z.array(byType(text, imageUrl, inputAudio, file))]) }),
  z.looseObject({
    role: z.literal('assistant'),
    content: opt(z.union([z.string(), z.array(byType(text, refusal))])),
    tool_calls: opt(z.array(toolCall)),
  }),
  z.looseObject({ role: z.literal('tool'), tool_call_id: z.string(), content: textContent }),
  // The legacy role is refused by name; nothing of it is read.
  z.looseObject({ role: z.literal('function') }),
]);

const tool = byType(
  z.looseObject({
    type: z.literal('function'),
    function: z.looseObject({
      name: z.string(),
      description: opt(z.string()),
      parameters: opt(jsonObject),
      strict: opt(z.boolean()),
    }),
  }),
);

const toolChoice = z.union([
  z.enum(['none', 'auto', 'required']),
  byType(
    z.looseObject({ type: z.literal('function'), function: z.looseObject({ name: z.string() }) }),
    z.looseObject({
      type: z.literal('allowed_tools'),
      allowed_tools: z.looseObject({
        mode: z.enum(['auto', 'required']),
        tools: z.array(z.looseObject({ function: opt(z.looseObject({ name: z.string() })) })),
      }),
    }),
  ),
]);

const request = z.looseObject({
  model: opt(z.string()),
  messages: z.array(message),
  max_tokens: opt(z.number()),
  max_completion_tokens: opt(z.number()),
  temperature: opt(z.number()),
  top_p: opt(z.number()),
  stop: opt(z.union([z.string(), z.array(z.string())])),
  n: opt(z.number()),
  seed: opt(z.number()),
  presence_penalty: opt(z.number()),
  frequency_penalty: opt(z.number()),
  stream: opt(z.boolean()),
  tools: opt(z.array(tool)),
  tool_choice: opt(toolChoice),
  parallel_tool_calls: opt(z.boolean()),
  // Any string: an effort this version does not know maps to no thinking rather than a refusal.
  reasoning_effort: opt(z.string()),
  response_format: opt(z.looseObject({
    type: z.string(),
    json_schema: opt(z.looseObject({ schema: opt(jsonObject) })),
  })),
  user: opt(z.string()),
  safety_identifier: opt(z.string()),
  modalities: opt(z.array(z.string())),
});

export type OpenAIRequestIn = z.output<typeof request>;
export type OpenAIMessageIn = OpenAIRequestIn['messages'][number];
export type OpenAIUserPartIn = Exclude<Extract<OpenAIMessageIn, { role: 'user' }>['content'], string>[number];
export type OpenAIAssistantIn = Extract<OpenAIMessageIn, { role: 'assistant' }>;
export type OpenAIFileIn = z.output<typeof file>['file'];

/** The text of system, developer and tool content: its text parts joined. */
export function textOf(content: z.output<typeof textContent>): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => (p.type === 'text' ? p.text : '')).join('\n\n');
}

export function parseOpenAIRequest(input: unknown): OpenAIRequestIn {
  return parseRequest(request, input);
}
