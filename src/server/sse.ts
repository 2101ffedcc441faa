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
  #decoder = new TextDecoder();
  #buf = '';

  push(chunk: Uint8Array): SseEvent[] {
    this.#buf += this.#decoder.decode(chunk, { stream: true });
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

  /** Whatever is left when the stream ends without a final blank line. */
  flush(): SseEvent[] {
    this.#buf += this.#decoder.decode();
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
