// readText reads an upstream body whole with 'data' listeners (no async iterator): the same answers as the
// `for await` it replaced, for a body that ends, overflows, fails, or closes before its end.
import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { UpstreamBodyError, readText } from '../../src/server/upstream.js';

describe('readText', () => {
  it('joins the chunks of a body into its text, multi-byte characters split across chunks included', async () => {
    const bytes = Buffer.from('{"text":"héllo wörld"}');
    const body = Readable.from([bytes.subarray(0, 11), bytes.subarray(11)], { objectMode: false });
    expect(await readText(body, 1000)).toBe('{"text":"héllo wörld"}');
    expect(await readText(Readable.from([Buffer.alloc(0)]), 10)).toBe('');
  });

  it('fails past the limit with KMX_UPSTREAM_TOO_LARGE and drops the body', async () => {
    const body = new PassThrough();
    const read = readText(body, 5);
    body.write(Buffer.from('1234'));
    body.write(Buffer.from('5678'));
    const err = await read.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamBodyError);
    expect((err as UpstreamBodyError).code).toBe('KMX_UPSTREAM_TOO_LARGE');
    expect(body.destroyed).toBe(true);
  });

  it('fails with the body\'s error, and with ERR_STREAM_PREMATURE_CLOSE when it closes before its end', async () => {
    const broken = new PassThrough();
    const a = readText(broken, 100);
    broken.write('{"x":');
    broken.destroy(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    await expect(a).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });

    const cut = new PassThrough();
    const b = readText(cut, 100);
    cut.write('{"x":');
    cut.destroy();
    await expect(b).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('a body already failed or closed before it is read fails the same way', async () => {
    const failed = new PassThrough();
    failed.on('error', () => {});
    failed.destroy(Object.assign(new Error('aborted'), { code: 'UND_ERR_ABORTED' }));
    await expect(readText(failed, 100)).rejects.toMatchObject({ code: 'UND_ERR_ABORTED' });
    const closed = new PassThrough();
    closed.destroy();
    await expect(readText(closed, 100)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });
});
