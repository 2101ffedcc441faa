import type { ServerResponse } from 'node:http';
import { DIALECT, sseText, type Dialect, type StreamItem } from '../dialects/index.js';
import { containsText, earlierOf, indexOfText, isUsageOnlyChunk, isUsageOnlyEvent, type StreamEnd, type StreamTracker } from '../providers/index.js';
import type { StreamTranslator } from '../translate/index.js';
import { maskText, type Secret } from './mask.js';
import { parseEvent, SseSplitter, type SseEvent } from './sse.js';
import type { StreamBody } from './stream-body.js';

export type StreamPlan =
  /**
   * Events go to the client as the provider wrote them; `stripUsageChunk` drops the usage-only chunk keymux asked
   * for; `model` renames the model the events name (a fallback group's name, not its target's).
   */
  | { mode: 'passthrough'; stripUsageChunk?: boolean; contentType?: string; model?: string }
  /** Gemini without alt=sse: the client gets one JSON array, streamed element by element. */
  | { mode: 'gemini-array'; contentType?: string }
  /** Each upstream event is translated into the client's dialect; `array`: as one JSON array (Gemini without alt=sse). */
  | { mode: 'translate'; translator: StreamTranslator; contentType?: string; array?: boolean };

/**
 * Relays an upstream SSE stream to the client (its head written, not yet sent), event by event, feeding the
 * provider's tracker on the way, and says how the stream ended: complete, broken (the client gets its dialect's
 * error event), or cancelled (the client left; the upstream request is already aborted by then). What that means
 * for the key is the adapter's call, not the relay's.
 */
export function relayStream(
  body: StreamBody,
  res: ServerResponse,
  plan: StreamPlan,
  tracker: StreamTracker,
  client: Dialect,
  signal: AbortSignal,
  /** The key of the attempt: masked wherever the provider echoes it (events are whole here, so a key never straddles two writes). */
  secret?: Secret,
): Promise<StreamEnd> {
  const splitter = new SseSplitter();
  let first = true;
  const arrayMode = plan.mode === 'gemini-array';
  /** Translated items in the client's framing: SSE, or elements of the Gemini JSON array. */
  const format = (items: readonly StreamItem[]): string => {
    if (plan.mode !== 'translate' || !plan.array) return sseText(items);
    let s = '';
    for (const it of items) {
      s += (first ? '[' : ',\r\n') + JSON.stringify(it.data);
      first = false;
    }
    return s;
  };
  /** Events as they go out. `found`: the one event given was found by nextRead, so it is read without asking again. */
  const handle = (events: SseEvent[], found = false): string => {
    let out = '';
    for (const ev of events) {
      const data = ev.data;
      if (data === undefined || data === '[DONE]') {
        if (plan.mode === 'passthrough') out += ev.raw;
        else if (plan.mode === 'translate' && data === '[DONE]') out += format(plan.translator.end());
        continue;
      }
      // Parse only what the tracker reads or what must be transformed: pass-through stays cheap.
      let parsed: unknown;
      const rename = plan.mode === 'passthrough' && plan.model !== undefined && data.includes('"model"');
      if (plan.mode !== 'passthrough' || rename || found || tracker.wants(data, ev.event)) {
        try {
          parsed = JSON.parse(data);
        } catch {
          parsed = undefined;
        }
        if (parsed !== undefined) tracker.onEvent(parsed, ev.event);
      }
      if (plan.mode === 'passthrough') {
        if (plan.stripUsageChunk && parsed !== undefined && isUsageOnlyChunk(parsed)) continue;
        out += rename && plan.model !== undefined && renameModel(parsed, plan.model) ? sseText([{ ...(ev.event ? { event: ev.event } : {}), data: parsed }]) : ev.raw;
      } else if (arrayMode) {
        out += (first ? '[' : ',\r\n') + data;
        first = false;
      } else if (plan.mode === 'translate' && parsed !== undefined) {
        out += format(plan.translator.push(ev.event, parsed));
      }
    }
    return out;
  };

  const newModel = plan.mode === 'passthrough' ? plan.model : undefined;
  /**
   * Where in a chunk of whole events the next event the relay must read may be (an error, a usage, the model to
   * rename), at or after `from`; -1 if nowhere. Each word is searched in the whole chunk, once per hit, and only
   * the events holding a hit are decoded: a look-alike costs a decode, never a miss.
   */
  const nextRead = (b: Buffer, from: number): number =>
    newModel === undefined ? tracker.wanted(b, from) : earlierOf(tracker.wanted(b, from), indexOfText(b, '"model"', from));
  /** Usage chunks dropped unread (the client did not ask for them): the tracker reads them once the end is out. */
  let later: Buffer[] | undefined;
  const dropLater = plan.mode === 'passthrough' && plan.stripUsageChunk === true;
  /** An event holding a hit, decoded and relayed: undefined when it goes out as it came, else what goes instead. */
  const reread = (ev: Buffer): string | undefined => {
    // The usage chunk keymux asked for, known by its bytes: nothing of it goes out, so nothing waits for its parse.
    if (dropLater && isUsageOnlyEvent(ev)) {
      (later ??= []).push(ev);
      return '';
    }
    const parsed = parseEvent(ev.toString('utf8'));
    const out = handle([parsed], true);
    return out === parsed.raw ? undefined : out;
  };
  /** The stream failed (the provider's side, or relaying it): the client gets its dialect's error event, unless it left. */
  const failed = (e: unknown): StreamEnd => {
    body.destroy();
    if (signal.aborted || res.destroyed) return { kind: 'cancelled' };
    const message = `The provider's stream broke: ${(e as { code?: string }).code ?? (e as Error).message}`;
    if (!res.writableEnded) {
      if (plan.mode === 'translate' && plan.array) res.end(format(plan.translator.error(message)) + (first ? '[]' : ']'));
      else res.end(streamError(plan, client, message, first));
    }
    return { kind: 'broken', message };
  };
  return new Promise<StreamEnd>((resolve) => {
    const settle = (run: () => StreamEnd): void => {
      try {
        resolve(run());
      } catch (e) {
        resolve(failed(e));
      }
    };
    let wrote = false;
    body.read({
      data(b) {
        // The client left: nothing more goes out (its abort has already reached the upstream request).
        if (res.destroyed) {
          resolve(failed(new Error('the client went away')));
          return false;
        }
        try {
          // Pass-through of a chunk of whole events with no key in it (most chunks of a real stream): walked as
          // bytes, never decoded whole. Its unchanged events go out as its own bytes; most chunks go out as they came.
          const ends = plan.mode === 'passthrough' && endsEvent(b) && (secret === undefined || !containsText(b, secret.key)) ? splitter.takeWhole(b) : undefined;
          const out = ends ? spliced(b, ends, nextRead, reread) : maskText(handle(splitter.push(b)), secret);
          if (out.length === 0) return true;
          wrote = true;
          if (res.write(out)) return true;
          // The client's socket is full: the body waits (and, past its buffer, the upstream read) until it drains.
          drained(res, () => body.resume());
          return false;
        } catch (e) {
          resolve(failed(e));
          return false;
        }
      },
      end() {
        settle(() => {
          let tail = handle(splitter.flush());
          if (plan.mode === 'translate') tail += format(plan.translator.end());
          if (arrayMode || (plan.mode === 'translate' && plan.array)) tail += first ? '[]' : ']';
          res.end(maskText(tail, secret));
          // Only a complete stream's usage counts (a broken one's outcome is the network's): read it now, after the end.
          if (later) for (const ev of later) readLater(ev, tracker);
          return { kind: 'complete' };
        });
      },
      error(e) {
        settle(() => failed(e));
      },
    });
    // The head goes with the first events when they were already here (read() gives what came with the head:
    // one write, no cork to wait for), and alone at once when none was, so a slow first token never holds it back.
    if (!wrote && !res.writableEnded) res.flushHeaders();
  });
}

/** A usage chunk dropped on the way, given to the tracker as the relay would have given it. */
function readLater(ev: Buffer, tracker: StreamTracker): void {
  const { data, event } = parseEvent(ev.toString('utf8'));
  if (data === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return;
  }
  tracker.onEvent(parsed, event);
}

/** Whether a chunk ends with an event's blank line: only such a chunk can be whole events (SseSplitter#takeWhole). */
const endsEvent = (b: Buffer): boolean => b.length >= 2 && b[b.length - 1] === 10 && b[b.length - 2] === 10;

/**
 * A chunk of whole events (`ends`: the byte offset each ends at) as it goes out: the chunk itself when no event
 * changes, else its unchanged runs as slices of it, with each changed event's new text (a usage chunk dropped, a
 * model renamed) in its place. Only events holding a position `nextRead` gives are reread.
 */
function spliced(
  chunk: Buffer,
  ends: readonly number[],
  nextRead: (chunk: Buffer, from: number) => number,
  reread: (event: Buffer) => string | undefined,
): Buffer {
  let parts: Buffer[] | undefined;
  let from = 0;
  let at = 0;
  let hit = nextRead(chunk, 0);
  for (let e = 0; e < ends.length && hit >= 0; e++) {
    const end = ends[e]!;
    if (hit < end) {
      const out = reread(chunk.subarray(at, end));
      if (out !== undefined) {
        parts ??= [];
        if (at > from) parts.push(chunk.subarray(from, at));
        if (out) parts.push(Buffer.from(out));
        from = end;
      }
      hit = nextRead(chunk, end);
    }
    at = end;
  }
  if (!parts) return chunk;
  if (from < chunk.length) parts.push(chunk.subarray(from));
  return Buffer.concat(parts);
}

/**
 * Names `model` where a dialect's answer names it: the top level (OpenAI's chunks and bodies, Anthropic's message)
 * and Anthropic's message_start (`message.model`). Says whether it changed anything.
 */
export function renameModel(v: unknown, model: string): boolean {
  if (!isRecord(v)) return false;
  let changed = false;
  for (const o of [v, v.message]) {
    if (isRecord(o) && typeof o.model === 'string' && o.model !== model) {
      o.model = model;
      changed = true;
    }
  }
  return changed;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The client dialect's way to say "the stream failed" after the first byte. */
function streamError(plan: StreamPlan, client: Dialect, message: string, nothingYet: boolean): string {
  // A translator knows what it has opened (a content block, a tool call) and closes it properly.
  if (plan.mode === 'translate') return sseText(plan.translator.error(message));
  const items = DIALECT[client].streamError(502, message, 'KMX_ERR_UPSTREAM');
  if (plan.mode === 'gemini-array') return (nothingYet ? '[' : ',\r\n') + JSON.stringify(items[0]?.data) + ']';
  return sseText(items);
}

/** Calls `then` once the response drains, or closes (a client that left: the abort signal ends the stream). */
function drained(res: ServerResponse, then: () => void): void {
  const done = (): void => {
    res.off('drain', done);
    res.off('close', done);
    then();
  };
  res.on('drain', done);
  res.on('close', done);
}
