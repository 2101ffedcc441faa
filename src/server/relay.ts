import type { ServerResponse } from 'node:http';
import type { Outcome } from '../pool/index.js';
import type { UsageTracker } from '../providers/index.js';
import { errorBody, type ClientDialect } from './errors.js';
import { SseSplitter, sse, type SseEvent } from './sse.js';
import type { UpstreamResponse } from './upstream.js';

/** A dialect translator's streaming half, as src/translate provides it. */
export interface StreamTranslator {
  push(event: string | undefined, data: unknown): Array<{ event?: string; data: unknown }>;
  end(): Array<{ event?: string; data: unknown }>;
}

export type StreamPlan =
  /** Events go to the client as the provider wrote them; `stripUsageChunk` drops the usage-only chunk keymux asked for. */
  | { mode: 'passthrough'; stripUsageChunk?: boolean; contentType?: string }
  /** Gemini without alt=sse: the client gets one JSON array, streamed element by element. */
  | { mode: 'gemini-array'; contentType?: string }
  /** Each upstream event is translated into the client's dialect. */
  | { mode: 'translate'; translator: StreamTranslator; contentType?: string };

/**
 * Relays an upstream SSE stream to the client, event by event, and returns the attempt's final outcome:
 * ok with the usage read from the stream; network when the upstream broke (the client gets its dialect's
 * error event); cancelled when the client left (the upstream request is already aborted by then).
 */
export async function relayStream(
  body: UpstreamResponse['body'],
  res: ServerResponse,
  plan: StreamPlan,
  tracker: UsageTracker,
  client: ClientDialect,
  signal: AbortSignal,
): Promise<Outcome> {
  const splitter = new SseSplitter();
  let first = true;
  const arrayMode = plan.mode === 'gemini-array';
  const handle = (events: SseEvent[]): string => {
    let out = '';
    for (const ev of events) {
      const data = ev.data;
      if (data === undefined || data === '[DONE]') {
        if (plan.mode === 'passthrough') out += ev.raw;
        else if (plan.mode === 'translate' && data === '[DONE]') out += format(plan.translator.end());
        continue;
      }
      // Parse only what carries usage or an error, or what must be transformed: pass-through stays cheap.
      const needParse = plan.mode !== 'passthrough' || ev.event === 'error' || data.includes('"error"') || mayCarryUsage(data, client);
      let parsed: unknown;
      if (needParse) {
        try {
          parsed = JSON.parse(data);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) tracker.onEvent(parsed, ev.event);
      }
      if (plan.mode === 'passthrough') {
        if (plan.stripUsageChunk && parsed !== undefined && isUsageOnlyChunk(parsed)) continue;
        out += ev.raw;
      } else if (arrayMode) {
        out += (first ? '[' : ',\r\n') + data;
        first = false;
      } else if (plan.mode === 'translate' && parsed !== undefined) {
        out += format(plan.translator.push(ev.event, parsed));
      }
    }
    return out;
  };

  try {
    for await (const chunk of body) {
      const out = handle(splitter.push(chunk as Buffer));
      if (out && !res.write(out)) await drained(res);
    }
    let tail = handle(splitter.flush());
    if (plan.mode === 'translate') tail += format(plan.translator.end());
    if (arrayMode) tail += first ? '[]' : ']';
    res.end(tail);
    const err = tracker.error();
    if (err) return { kind: 'server_error', reason: err.message.slice(0, 200) };
    const usage = tracker.usage();
    return usage ? { kind: 'ok', usage } : { kind: 'ok' };
  } catch (e) {
    if (signal.aborted || res.destroyed) return { kind: 'cancelled' };
    const message = `The provider's stream broke: ${(e as { code?: string }).code ?? (e as Error).message}`;
    if (!res.writableEnded) res.end(streamError(client, message, arrayMode, first));
    return { kind: 'network', reason: message };
  } finally {
    if (!body.destroyed) body.destroy();
  }
}

/**
 * Whether an event may carry usage. Once keymux asks for include_usage, OpenAI puts `"usage":null` in every
 * chunk: those tell the OpenAI tracker nothing and are not parsed (a chunk parses if any "usage" in it is
 * not null, such as Groq's `x_groq.usage`). Other dialects' trackers read more than the counters (Anthropic's
 * message_start marks usage as seen), so for them any "usage" counts.
 */
function mayCarryUsage(data: string, client: ClientDialect): boolean {
  for (let i = data.indexOf('"usage'); i >= 0; i = data.indexOf('"usage', i + 6)) {
    if (client !== 'openai') return true;
    NULL_USAGE.lastIndex = i;
    if (!NULL_USAGE.test(data)) return true;
  }
  return false;
}
const NULL_USAGE = /"usage"\s*:\s*null\b/y;

function format(events: Array<{ event?: string; data: unknown }>): string {
  let s = '';
  for (const e of events) s += sse(e.data, e.event);
  return s;
}

/** OpenAI's include_usage chunk: no choices, only usage. */
function isUsageOnlyChunk(v: unknown): boolean {
  const o = v as { choices?: unknown[]; usage?: unknown };
  return Array.isArray(o.choices) && o.choices.length === 0 && o.usage != null;
}

/** The dialect's way to say "the stream failed" after the first byte. */
function streamError(client: ClientDialect, message: string, arrayMode: boolean, nothingYet: boolean): string {
  if (client === 'anthropic') return sse({ type: 'error', error: { type: 'api_error', message } }, 'error');
  const body = errorBody(client, 502, 'KMX_ERR_UPSTREAM', message);
  if (arrayMode) return (nothingYet ? '[' : ',\r\n') + JSON.stringify(body) + ']';
  return sse(body);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
