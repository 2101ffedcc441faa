// Shared helpers for the translation tests: chunk builders and the official SDKs' stream accumulators,
// which check that what we emit is a stream those SDKs accept and assemble correctly.
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import { ChatCompletionStream } from 'openai/lib/ChatCompletionStream';

/** A newline-delimited JSON ReadableStream: what the SDKs' `fromReadableStream` read. */
export function ndjson(items: unknown[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(ctrl) {
      for (const item of items) ctrl.enqueue(enc.encode(JSON.stringify(item) + '\n'));
      ctrl.close();
    },
  });
}

/** Assembles Anthropic SSE events with @anthropic-ai/sdk's MessageStream, as Claude Code's SDK does. */
export async function anthropicFinal(events: Array<{ event: string; data: object }>) {
  return MessageStream.fromReadableStream(ndjson(events.map((e) => e.data))).finalMessage();
}

/** Assembles OpenAI chunks with the openai SDK's ChatCompletionStream. */
export async function openAIFinal(chunks: unknown[]) {
  return ChatCompletionStream.fromReadableStream(ndjson(chunks)).finalChatCompletion();
}

/** One OpenAI chunk as NIM / OpenAI send it. */
export function oaChunk(delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) {
  return {
    id: 'chatcmpl-9xQ2',
    object: 'chat.completion.chunk',
    created: 1_750_000_000,
    model: 'meta/llama-3.3-70b-instruct',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
    ...extra,
  };
}

export function oaUsageChunk(prompt: number, completion: number, cached = 0) {
  return {
    id: 'chatcmpl-9xQ2',
    object: 'chat.completion.chunk',
    created: 1_750_000_000,
    model: 'meta/llama-3.3-70b-instruct',
    choices: [],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion, prompt_tokens_details: { cached_tokens: cached } },
  };
}

/** A base64 1×1 PNG. */
export const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
