// A chat completion as a Responses API `response` object: the assistant's text becomes a message item, each
// tool call a function_call item; finish_reason becomes the status; usage is renamed. The envelope echoes the
// request, as OpenAI's does (the SDKs read tools and instructions back from it).
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { OpenAIMessage } from '../types.js';
import type { ResponsesRequest } from './request.js';

export const newId = (prefix: string): string => `${prefix}_${randomUUID().replace(/-/g, '')}`;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

const chatUsage = z.looseObject({
  prompt_tokens: z.number().optional(),
  completion_tokens: z.number().optional(),
  prompt_tokens_details: z.looseObject({ cached_tokens: z.number().nullish() }).nullish(),
  completion_tokens_details: z.looseObject({ reasoning_tokens: z.number().nullish() }).nullish(),
});

export function responseUsage(u: unknown): ResponseUsage | null {
  const r = chatUsage.safeParse(u);
  if (!r.success) return null;
  const input = r.data.prompt_tokens ?? 0;
  const output = r.data.completion_tokens ?? 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: r.data.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: r.data.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: input + output,
  };
}

export type OutputItem = Record<string, unknown> & { type: string };

export const textPart = (text: string): Record<string, unknown> => ({ type: 'output_text', text, annotations: [], logprobs: [] });

export function messageItem(id: string, status: string, text: string | undefined, refusal?: string): OutputItem {
  const content = [...(text !== undefined ? [textPart(text)] : []), ...(refusal ? [{ type: 'refusal', refusal }] : [])];
  return { id, type: 'message', status, role: 'assistant', content };
}

export const reasoningPart = (text: string): Record<string, unknown> => ({ type: 'reasoning_text', text });

/** Open models' visible reasoning (chat's reasoning_content / reasoning) as a reasoning item's reasoning_text. */
export function reasoningItem(id: string, status: string, text: string | undefined): OutputItem {
  return { id, type: 'reasoning', status, summary: [], content: text !== undefined ? [reasoningPart(text)] : [] };
}

export function functionCallItem(id: string, status: string, call: { call_id: string; name: string; arguments: string }): OutputItem {
  return { id, type: 'function_call', status, ...call };
}

/** How the answer ended: chat's finish_reason in Responses' words. */
export function statusOf(finish: unknown): { status: 'completed' | 'incomplete'; incomplete_details: { reason: string } | null } {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export interface Envelope {
  id: string;
  model: string;
  createdAt: number;
  req: ResponsesRequest;
}

/** The `response` object around some output, in one state. */
export function responseObject(
  e: Envelope,
  state: { status: string; output: OutputItem[]; usage: ResponseUsage | null; incomplete_details?: { reason: string } | null },
): Record<string, unknown> {
  const r = e.req;
  return {
    id: e.id,
    object: 'response',
    created_at: e.createdAt,
    status: state.status,
    background: false,
    error: null,
    incomplete_details: state.incomplete_details ?? null,
    instructions: r.instructions ?? null,
    max_output_tokens: r.max_output_tokens ?? null,
    model: e.model,
    output: state.output,
    parallel_tool_calls: r.parallel_tool_calls ?? true,
    previous_response_id: r.previous_response_id ?? null,
    reasoning: { effort: r.reasoning?.effort ?? null, summary: null },
    store: r.store !== false,
    temperature: r.temperature ?? 1,
    text: { format: r.text?.format ?? { type: 'text' } },
    tool_choice: r.tool_choice ?? 'auto',
    tools: r.tools ?? [],
    top_p: r.top_p ?? 1,
    truncation: 'disabled',
    usage: state.usage,
    metadata: {},
  };
}

const chatCompletion = z.looseObject({
  choices: z
    .array(
      z.looseObject({
        finish_reason: z.string().nullish(),
        message: z.looseObject({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
          reasoning_content: z.string().nullish(),
          reasoning: z.string().nullish(),
          tool_calls: z.array(z.looseObject({ id: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string().nullish() }) })).nullish(),
        }),
      }),
    )
    .min(1),
  usage: z.unknown().optional(),
});

export interface Converted {
  response: Record<string, unknown>;
  /** The assistant turn as a chat message, for the conversation a later previous_response_id continues. */
  assistant: OpenAIMessage;
}

/** A chat completion as a `response`, or undefined when the body is not one (it is relayed as it came). */
export function chatToResponse(body: unknown, e: Envelope): Converted | undefined {
  const r = chatCompletion.safeParse(body);
  if (!r.success) return undefined;
  const choice = r.data.choices[0];
  if (!choice) return undefined;
  const m = choice.message;
  const output: OutputItem[] = [];
  const reasoning = m.reasoning_content ?? m.reasoning;
  if (reasoning) output.push(reasoningItem(newId('rs'), 'completed', reasoning));
  if (m.content || m.refusal) output.push(messageItem(newId('msg'), 'completed', m.content ?? undefined, m.refusal ?? undefined));
  const calls = (m.tool_calls ?? []).map((c) => ({ call_id: c.id, name: c.function.name, arguments: c.function.arguments ?? '' }));
  for (const c of calls) output.push(functionCallItem(newId('fc'), 'completed', c));
  const st = statusOf(choice.finish_reason);
  const response = responseObject(e, { ...st, output, usage: responseUsage(r.data.usage) });
  return { response, assistant: assistantMessage(m.content ?? '', calls) };
}

export function assistantMessage(text: string, calls: ReadonlyArray<{ call_id: string; name: string; arguments: string }>): OpenAIMessage {
  return {
    role: 'assistant',
    content: text || null,
    ...(calls.length > 0 && { tool_calls: calls.map((c) => ({ id: c.call_id, type: 'function' as const, function: { name: c.name, arguments: c.arguments || '{}' } })) }),
  };
}
