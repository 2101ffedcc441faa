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

export class SseSplitter {
  // The BOM is dropped below, as a TextDecoder that does not ignore it would, whichever decoder made the text.
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #buf = '';
  /** No bytes of a split character are waiting in the decoder. */
  #clean = true;
  #started = false;

  push(chunk: Uint8Array): SseEvent[] {
    this.#buf += this.#decode(chunk);
    if (this.#buf.includes('\r')) this.#buf = this.#buf.replace(/\r\n?/g, '\n');
    const out: SseEvent[] = [];
    let idx: number;
    while ((idx = this.#buf.indexOf('\n\n')) >= 0) {
      const raw = this.#buf.slice(0, idx + 2);
      this.#buf = this.#buf.slice(idx + 2);
      out.push(parseEvent(raw));
    }
    return out;
  }

  /**
   * Buffer's decoding is several times faster than TextDecoder's (~6 µs against ~40 µs for 32 KB on Node 20)
   * and gives the same text for a chunk of whole, valid characters; anything else (a character split between
   * chunks, invalid bytes) goes through the streaming TextDecoder, until a chunk ends in ASCII and so leaves
   * nothing behind in it.
   */
  #decode(chunk: Uint8Array): string {
    if (this.#clean && isUtf8(chunk)) return this.#text(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8'));
    const text = this.#decoder.decode(chunk, { stream: true });
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
    this.#buf += this.#text(this.#decoder.decode());
    const rest = this.#buf;
    this.#buf = '';
    return rest.trim() ? [parseEvent(rest.endsWith('\n') ? rest + '\n' : rest + '\n\n')] : [];
  }
}

function parseEvent(raw: string): SseEvent {
  let event: string | undefined;
  let data: string | undefined;
  for (const line of raw.split('\n')) {
    if (line.startsWith('data:')) {
      const v = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      data = data === undefined ? v : data + '\n' + v;
    } else if (line.startsWith('event:')) {
      event = line.slice(line.charCodeAt(6) === 32 ? 7 : 6);
    }
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
