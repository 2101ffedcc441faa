// Small fetch helpers for the simulator's own tests.
import type { Simulator } from './server.js';
import { parseSse, type SseEvent } from './sse.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any;
  events: SseEvent[];
}

export async function call(
  sim: Simulator,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  method = body === undefined ? 'GET' : 'POST',
): Promise<Reply> {
  const res = await fetch(sim.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return readReply(res);
}

/** A fetch response read whole: its text, the JSON when it parses, the SSE events when it is a stream. */
export async function readReply(res: Response): Promise<Reply> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, events: parseSse(text) };
}

export const bearer = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });
export const anthropicAuth = (key: string): Record<string, string> => ({ 'x-api-key': key, 'anthropic-version': '2023-06-01' });
export const googAuth = (key: string): Record<string, string> => ({ 'x-goog-api-key': key });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function dataJson(events: SseEvent[]): any[] {
  return events.filter((e) => e.data && e.data !== '[DONE]').map((e) => JSON.parse(e.data));
}

export function chatBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'gpt-4o-mini', messages: [{ role: 'user', content: text }], ...extra };
}

export function anthropicBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: 'claude-sonnet-4-6', max_tokens: 256, messages: [{ role: 'user', content: text }], ...extra };
}

export function geminiBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { contents: [{ role: 'user', parts: [{ text }] }], ...extra };
}
