import { isUtf8 } from 'node:buffer';
/**
 * Incremental Server-Sent Events splitter. Feeds raw upstream bytes, yields whole events with their raw text
 * (so a pass-through can write them untouched) and their parsed `event:` name and `data:` payload.
 * Comments (`: keep-alive`) and blank keep-alive lines come out as events with no data, and are relayed.
 */
export interface SseEvent {
  /** The event's text including its terminating blank line, normalised to \n line ends. */
  raw: string;
  event?: string;
  /** The data lines joined with \n; undefined for a comment-only event. */
  data?: string;
}

/**
 * Most one event may be, in characters. Upstream events are small (a token, a tool-call fragment); the largest
 * legitimate ones carry a generated image inline (a few MB of base64). Past the cap the stream is broken: an event
 * that never ends would otherwise grow in memory for as long as the provider sends.
 */
export const MAX_SSE_EVENT_CHARS = 16 * 1024 * 1024;

/** An event grew past the cap before its end: the stream cannot be relayed. */
export class SseEventTooLarge extends Error {
  constructor(max: number) {
    super(`an event exceeded ${max} characters without ending`);
    this.name = 'SseEventTooLarge';
  }
}

export class SseSplitter {
  // The BOM is dropped below, as a TextDecoder that does not ignore it would, whichever decoder made the text.
  // Made on first need (a split or invalid character): most streams never need one, and making one per stream
  // cost more than splitting a short stream.
  #decoder: InstanceType<typeof TextDecoder> | undefined;
  /**
   * The unfinished event's text, in the pieces it came in: joined once, when its end arrives. Appending to one
   * string instead would copy (flatten) the whole event at every search, quadratic for an event sent in many reads.
   */
  #parts: string[] = [];
  #size = 0;
  /** The text so far ends in \n: a \n at the start of the next piece ends the event. */
  #endsInNewline = false;
  /** The last piece ended in \r (already made \n): a \n that starts the next piece belongs to it. */
  #cr = false;
  /** No bytes of a split character are waiting in the decoder. */
  #clean = true;
  #started = false;
  readonly #max: number;

  constructor(maxEventChars = MAX_SSE_EVENT_CHARS) {
    this.#max = maxEventChars;
  }

  /**
   * Whether push(chunk) would give the chunk's own text, cut into events: nothing pending, valid UTF-8 decoded as
   * is, no \r to normalise and no byte-order mark to drop.
   */
  #exactFor(chunk: Uint8Array): boolean {
    const bom = !this.#started && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
    return this.#size === 0 && !this.#cr && this.#clean && !bom && chunk.indexOf(13) < 0 && isUtf8(chunk);
  }

  /**
   * A chunk push() would cut into events exactly, leaving nothing pending (see #exactFor; and it ends with an
   * event's blank line): the byte offset at which each of its events ends, and the chunk counts as pushed. Else
   * undefined, and nothing changed: push() it. A blank line is ASCII and no byte of a multi-byte character is,
   * so these are the cuts push() would make in the chunk's text.
   */
  takeWhole(chunk: Buffer): number[] | undefined {
    const n = chunk.length;
    if (n < 2 || chunk[n - 1] !== 10 || chunk[n - 2] !== 10 || !this.#exactFor(chunk)) return undefined;
    const ends: number[] = [];
    for (let at = 0; at < n; ) {
      // The next \n followed by another. A search for one byte is memchr; one for the two bytes "\n\n" cost 140 ns
      // a call, four times as much, in an event of 250 bytes (whose only \n is usually its end).
      let i = chunk.indexOf(10, at);
      while (i >= 0 && chunk[i + 1] !== 10) i = chunk.indexOf(10, i + 1);
      // "…\n\n\n": the last \n starts an event that has not ended.
      if (i < 0) return undefined;
      ends.push((at = i + 2));
    }
    this.#started = true;
    return ends;
  }

  /** Whole events completed by this chunk. Each character is searched once; throws SseEventTooLarge past the cap. */
  push(chunk: Uint8Array): SseEvent[] {
    let text = this.#decode(chunk);
    if (!text) return [];
    if (this.#cr && text.charCodeAt(0) === 10) {
      // That \n was the \r's: a \n after it is a line end of its own, even when it comes in the next chunk.
      this.#cr = false;
      text = text.slice(1);
      if (!text) return [];
    }
    this.#cr = text.charCodeAt(text.length - 1) === 13;
    if (text.includes('\r')) text = text.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let start = 0;
    // An end split between the pending text and this piece.
    if (this.#endsInNewline && text.charCodeAt(0) === 10) {
      out.push(parseEvent(this.#take('\n')));
      start = 1;
    }
    let idx: number;
    while ((idx = text.indexOf('\n\n', start)) >= 0) {
      const piece = text.slice(start, idx + 2);
      out.push(parseEvent(this.#size > 0 ? this.#take(piece) : piece));
      start = idx + 2;
    }
    if (start < text.length) {
      const rest = start === 0 ? text : text.slice(start);
      this.#parts.push(rest);
      this.#size += rest.length;
      this.#endsInNewline = rest.charCodeAt(rest.length - 1) === 10;
      if (this.#size > this.#max) throw new SseEventTooLarge(this.#max);
    }
    return out;
  }

  /** The pending text plus its end, as one string; the pending text is emptied. */
  #take(end: string): string {
    this.#parts.push(end);
    const raw = this.#parts.join('');
    this.#parts = [];
    this.#size = 0;
    this.#endsInNewline = false;
    return raw;
  }

  /**
   * Buffer's decoding is several times faster than TextDecoder's (~6 µs against ~40 µs for 32 KB on Node 20)
   * and gives the same text for a chunk of whole, valid characters; anything else (a character split between
   * chunks, invalid bytes) goes through the streaming TextDecoder, until a chunk ends in ASCII and so leaves
   * nothing behind in it.
   */
  #decode(chunk: Uint8Array): string {
    if (this.#clean && isUtf8(chunk)) return this.#text(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8'));
    const text = (this.#decoder ??= new TextDecoder('utf-8', { ignoreBOM: true })).decode(chunk, { stream: true });
    if (chunk.length > 0) this.#clean = chunk[chunk.length - 1]! < 0x80;
    return this.#text(text);
  }

  #text(text: string): string {
    if (this.#started || !text) return text;
    this.#started = true;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /** Whatever is left when the stream ends without a final blank line. */
  flush(): SseEvent[] {
    const tail = this.#text(this.#decoder?.decode() ?? '').replace(/\r\n?/g, '\n');
    const rest = this.#take(tail);
    return rest.trim() ? [parseEvent(rest.endsWith('\n') ? rest + '\n' : rest + '\n\n')] : [];
  }
}

/** One event's text (with its blank line, \n line ends) read into its name and data. */
export function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data: string | undefined;
  // Line by line with indexOf, not split(): most events are one data line, and the array cost more than it.
  for (let start = 0; start < raw.length; ) {
    let end = raw.indexOf('\n', start);
    if (end < 0) end = raw.length;
    if (raw.startsWith('data:', start)) {
      const v = raw.slice(raw.charCodeAt(start + 5) === 32 ? start + 6 : start + 5, end);
      data = data === undefined ? v : data + '\n' + v;
    } else if (raw.startsWith('event:', start)) {
      event = raw.slice(raw.charCodeAt(start + 6) === 32 ? start + 7 : start + 6, end);
    }
    start = end + 1;
  }
  const e: SseEvent = { raw };
  if (event !== undefined) e.event = event;
  if (data !== undefined) e.data = data;
  return e;
}

/** Formats one SSE event. */
export function sse(data: unknown, event?: string): string {
  const d = typeof data === 'string' ? data : JSON.stringify(data);
  return event ? `event: ${event}\ndata: ${d}\n\n` : `data: ${d}\n\n`;
}
