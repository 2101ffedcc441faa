// A stream's body between undici's parser and the relay (src/server/stream-body.ts): chunks reach the sink in
// order whether they came before or after it, a sink that says wait holds everything (the producer is paused
// past the buffer), the end or the failure comes exactly once and after every chunk, and letting the body go
// cancels the producer only while it still has more to send. fromReadable gives a Readable the same contract,
// a Readable that closes before its end included (as the `for await` over undici's body failed it).
import fc from 'fast-check';
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ChunkQueue, fromReadable, type StreamBody, type StreamSink } from '../../src/server/stream-body.js';

interface Seen {
  chunks: string[];
  ends: number;
  errors: Error[];
}

/** A sink that records; `waitAfter(n)`: says wait after its n-th chunk. */
function recorder(waitAt: ReadonlySet<number> = new Set()): { sink: StreamSink; seen: Seen } {
  const seen: Seen = { chunks: [], ends: 0, errors: [] };
  const sink: StreamSink = {
    data: (c) => {
      seen.chunks.push(c.toString());
      return !waitAt.has(seen.chunks.length);
    },
    end: () => seen.ends++,
    error: (e) => seen.errors.push(e),
  };
  return { sink, seen };
}

function producer() {
  const p = { resumed: 0, cancelled: 0 };
  return { p, impl: { resume: () => p.resumed++, cancel: () => p.cancelled++ } };
}

const b = (s: string) => Buffer.from(s);

describe('ChunkQueue', () => {
  it('delivers what came before the sink, then what comes after, in order, then the end once', () => {
    const { impl } = producer();
    const q = new ChunkQueue(impl);
    expect(q.push(b('a'))).toBe(true);
    expect(q.push(b('b'))).toBe(true);
    const { sink, seen } = recorder();
    q.read(sink);
    expect(seen.chunks).toEqual(['a', 'b']);
    expect(q.push(b('c'))).toBe(true);
    q.finish();
    q.finish();
    q.fail(new Error('late'));
    expect(seen).toEqual({ chunks: ['a', 'b', 'c'], ends: 1, errors: [] });
  });

  it('an end that came before the sink waits behind the chunks', () => {
    const q = new ChunkQueue(producer().impl);
    q.push(b('x'));
    q.finish();
    const { sink, seen } = recorder();
    q.read(sink);
    expect(seen).toEqual({ chunks: ['x'], ends: 1, errors: [] });
  });

  it('asks the producer to pause past its buffer while nobody reads', () => {
    const q = new ChunkQueue(producer().impl, 10);
    expect(q.push(b('12345'))).toBe(true);
    expect(q.push(b('67890'))).toBe(false);
  });

  it('a sink that says wait gets nothing more, the end included, until resume(); then the producer is asked for more', () => {
    const { p, impl } = producer();
    const q = new ChunkQueue(impl);
    const { sink, seen } = recorder(new Set([1]));
    q.read(sink);
    expect(q.push(b('a'))).toBe(false);
    q.push(b('b'));
    q.finish();
    expect(seen).toEqual({ chunks: ['a'], ends: 0, errors: [] });
    q.resume();
    expect(seen).toEqual({ chunks: ['a', 'b'], ends: 1, errors: [] });
    const q2 = new ChunkQueue(impl);
    q2.read(recorder(new Set([1])).sink);
    q2.push(b('a'));
    const before = p.resumed;
    q2.resume();
    expect(p.resumed).toBe(before + 1);
  });

  it('a failure comes once, after the chunks before it', () => {
    const q = new ChunkQueue(producer().impl);
    q.push(b('a'));
    q.fail(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    q.push(b('after'));
    q.finish();
    const { sink, seen } = recorder();
    q.read(sink);
    expect(seen.chunks).toEqual(['a']);
    expect(seen.ends).toBe(0);
    expect(seen.errors.map((e) => (e as { code?: string }).code)).toEqual(['UND_ERR_SOCKET']);
  });

  it('a failure while the sink waits is told at once, the chunks queued behind it dropped', () => {
    const q = new ChunkQueue(producer().impl);
    const { sink, seen } = recorder(new Set([1]));
    q.read(sink);
    q.push(b('a'));
    q.push(b('queued'));
    q.fail(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }));
    expect(seen.chunks).toEqual(['a']);
    expect(seen.errors).toHaveLength(1);
    q.resume();
    expect(seen.chunks).toEqual(['a']);
    expect(seen.errors).toHaveLength(1);
  });

  it('destroy() cancels a producer with more to send, once; after its end it cancels nothing, and the sink hears nothing more', () => {
    const { p, impl } = producer();
    const q = new ChunkQueue(impl);
    const { sink, seen } = recorder();
    q.read(sink);
    q.push(b('a'));
    q.destroy();
    q.destroy();
    q.push(b('b'));
    q.fail(new Error('aborted'));
    expect(p.cancelled).toBe(1);
    expect(seen).toEqual({ chunks: ['a'], ends: 0, errors: [] });
    const done = new ChunkQueue(impl);
    done.finish();
    done.destroy();
    expect(p.cancelled).toBe(1);
  });

  it('a sink may let the body go from inside data(): nothing more is delivered', () => {
    const q = new ChunkQueue(producer().impl);
    q.push(b('a'));
    q.push(b('b'));
    q.finish();
    const seen: string[] = [];
    let ended = false;
    q.read({ data: (c) => (seen.push(c.toString()), q.destroy(), true), end: () => (ended = true), error: () => {} });
    expect(seen).toEqual(['a']);
    expect(ended).toBe(false);
  });

  it('reads once', () => {
    const q = new ChunkQueue(producer().impl);
    q.read(recorder().sink);
    expect(() => q.read(recorder().sink)).toThrow(/once/);
  });

  it('any interleaving of pushes, waits and resumes delivers every chunk once, in order, then the end', () => {
    const step = fc.oneof(fc.constant('push' as const), fc.constant('resume' as const), fc.constant('read' as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 60 }), (steps, waits) => {
        const q = new ChunkQueue(producer().impl, 3);
        const got: string[] = [];
        let ends = 0;
        let read = false;
        let n = 0;
        const sink: StreamSink = { data: (c) => (got.push(c.toString()), !(waits[got.length] ?? false)), end: () => ends++, error: () => {} };
        for (const s of steps) {
          if (s === 'push') q.push(b(String(n++)));
          else if (s === 'read' && !read) {
            read = true;
            q.read(sink);
          } else if (s === 'resume' && read) q.resume();
        }
        q.finish();
        if (!read) q.read(sink);
        for (let i = 0; i <= n && ends === 0; i++) q.resume();
        expect(got).toEqual(Array.from({ length: n }, (_, i) => String(i)));
        expect(ends).toBe(1);
      }),
    );
  });
});

/** Reads a StreamBody to its end: its text, or its failure. */
function readAll(body: StreamBody): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    body.read({ data: (c) => (parts.push(c), true), end: () => resolve(Buffer.concat(parts).toString('utf8')), error: reject });
  });
}

describe('fromReadable', () => {
  it('gives a Readable\'s bytes, multi-byte characters split across chunks included', async () => {
    const bytes = Buffer.from('{"text":"héllo wörld"}');
    expect(await readAll(fromReadable(Readable.from([bytes.subarray(0, 11), bytes.subarray(11)])))).toBe('{"text":"héllo wörld"}');
    expect(await readAll(fromReadable(Readable.from([Buffer.alloc(0)])))).toBe('');
  });

  it('fails with the Readable\'s error, and with ERR_STREAM_PREMATURE_CLOSE when it closes before its end', async () => {
    const broken = new PassThrough();
    const a = readAll(fromReadable(broken));
    broken.write('{"x":');
    broken.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    await expect(a).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    const cut = new PassThrough();
    const c = readAll(fromReadable(cut));
    cut.write('{"x":');
    cut.destroy();
    await expect(c).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('pauses the Readable while the sink waits, and destroy() destroys it', async () => {
    const src = new PassThrough();
    const body = fromReadable(src);
    let taken = 0;
    body.read({ data: () => (taken++, false), end: () => {}, error: () => {} });
    src.write('a');
    await new Promise((r) => setImmediate(r));
    expect(taken).toBe(1);
    expect(src.isPaused()).toBe(true);
    body.destroy();
    expect(src.destroyed).toBe(true);
  });
});
