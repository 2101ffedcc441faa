import type { Readable } from 'node:stream';

/** Where a stream's body goes: each chunk, then its end or its failure, exactly one of the two. */
export interface StreamSink {
  /** One chunk, in order. false: wait, nothing more comes until resume(). */
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

/**
 * A 2xx stream's body, unread: a relay reads it once, at its own pace. No Readable in between: what undici's
 * parser reads goes to the sink in the same call (a body stream's push, 'data' ticks and async iterator cost
 * more CPU than relaying a short stream), and a sink that says wait pauses the parser itself.
 */
export interface StreamBody {
  /** Starts delivery, once: what arrived before is delivered at once, in order. */
  read(sink: StreamSink): void;
  /** The sink can take more after its data() said wait. */
  resume(): void;
  /** Lets the body go, read or not: the upstream request is aborted if it is still coming. Idempotent. */
  destroy(): void;
}

/** Where a ChunkQueue's chunks come from: told to go on after a pause, or that nobody will read any more. */
export interface Producer {
  resume(): void;
  cancel(): void;
}

/**
 * A StreamBody fed by its producer: push() each chunk (false: pause until producer.resume()), then finish() or
 * fail(). Chunks that come before the sink (the head and the first events of a short stream arrive in one read,
 * before the relay has written the client's headers) wait in order, up to `highWater` bytes before the producer
 * is asked to pause, as a Readable's buffer would.
 */
export class ChunkQueue implements StreamBody {
  #queue: Buffer[] = [];
  #queued = 0;
  #sink: StreamSink | undefined;
  /** What the producer said last: more to come, the end, or its failure. */
  #state: 'open' | 'ended' | Error = 'open';
  /** The sink said wait. */
  #waiting = false;
  /** The end or the failure was delivered, or the body let go: nothing more reaches the sink. */
  #done = false;

  constructor(
    private readonly producer: Producer,
    private readonly highWater = 64 * 1024,
  ) {}

  push(chunk: Buffer): boolean {
    if (this.#done || this.#state !== 'open') return true;
    const sink = this.#sink;
    if (sink !== undefined && !this.#waiting && this.#queue.length === 0) {
      if (sink.data(chunk)) return true;
      this.#waiting = true;
      return false;
    }
    this.#queue.push(chunk);
    this.#queued += chunk.length;
    return this.#queued < this.highWater;
  }

  finish(): void {
    this.#close('ended');
  }

  fail(err: Error): void {
    this.#close(err);
  }

  read(sink: StreamSink): void {
    if (this.#sink !== undefined) throw new Error('a stream body is read once');
    this.#sink = sink;
    this.#flush();
  }

  resume(): void {
    this.#waiting = false;
    this.#flush();
  }

  destroy(): void {
    if (this.#done) return;
    this.#done = true;
    this.#queue = [];
    if (this.#state === 'open') this.producer.cancel();
  }

  #close(state: 'ended' | Error): void {
    if (this.#done || this.#state !== 'open') return;
    this.#state = state;
    // A failure does not wait behind a sink that said wait (a client gone quiet, or gone: its 'drain' may never
    // come): what is queued is dropped and the failure told now, as a destroyed Readable's iterator would.
    if (state instanceof Error && this.#waiting && this.#sink !== undefined) {
      this.#queue = [];
      this.#queued = 0;
      this.#waiting = false;
    }
    this.#flush();
  }

  /** Delivers what waits while the sink takes it; then the end or the failure, or asks the producer for more. */
  #flush(): void {
    const sink = this.#sink;
    if (sink === undefined) return;
    while (this.#queue.length > 0 && !this.#waiting) {
      const c = this.#queue.shift()!;
      this.#queued -= c.length;
      if (!sink.data(c)) this.#waiting = true;
      if (this.#done) return;
    }
    if (this.#waiting || this.#done) return;
    const state = this.#state;
    if (state === 'open') return this.producer.resume();
    this.#done = true;
    if (state === 'ended') sink.end();
    else sink.error(state);
  }
}

/** A Readable as a StreamBody: a decoded stream, or a test's chunks. A Readable that closes before its end fails it. */
export function fromReadable(r: Readable): StreamBody {
  const q = new ChunkQueue({ resume: () => r.resume(), cancel: () => r.destroy() });
  r.on('data', (c: Buffer | string) => {
    if (!q.push(typeof c === 'string' ? Buffer.from(c) : c)) r.pause();
  });
  r.on('end', () => q.finish());
  r.on('error', (err) => q.fail(err));
  r.on('close', () => q.fail(prematureClose()));
  return q;
}

export const prematureClose = (): Error => Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
