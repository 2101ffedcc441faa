import type { Dispatcher } from 'undici';
import type { Headers, PreparedCall } from '../providers/index.js';

export interface UpstreamResponse {
  status: number;
  headers: Headers;
  /** The body, unread: a stream to relay, or to read with readText(). */
  body: Dispatcher.ResponseData['body'];
}

/** Most an error or non-streaming body may be; a provider answer beyond it is cut off rather than buffered. */
const MAX_BUFFERED = 64 * 1024 * 1024;

/** Sends a prepared call with one key; the secret exists only in the headers built here. */
export async function send(dispatcher: Dispatcher, call: PreparedCall, key: string, signal: AbortSignal): Promise<UpstreamResponse> {
  const res = await dispatcher.request({
    origin: call.url.origin,
    path: call.url.pathname + call.url.search,
    method: call.method,
    headers: call.headers(key),
    body: call.body ?? null,
    signal,
  });
  return { status: res.statusCode, headers: res.headers as Headers, body: res.body };
}

export async function readText(body: UpstreamResponse['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of body) {
    size += (c as Buffer).length;
    if (size > MAX_BUFFERED) {
      body.destroy();
      break;
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses JSON when it parses; the raw text otherwise (adapters accept both). */
export function parseMaybeJson(text: string): unknown {
  const c = text.trimStart().charCodeAt(0);
  if (c !== 123 && c !== 91) return text; // '{' or '['
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
