// Pass-through's byte lane (relay.ts): a chunk of whole SSE events is walked as bytes, and what keymux relays
// unchanged is written as the very bytes it came in. These tests drive relayStream with chunks cut exactly where
// a test wants them, and check both sides of the rule: what qualifies goes out as the same Buffer, and everything
// the splitter exists for (usage, errors, the key, \r\n, a split event, invalid UTF-8) still gets it. A property
// test holds any cutting of a stream to what the splitter alone makes of it.
import fc from 'fast-check';
import { Readable, Writable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import { expect, test } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import { relayStream } from '../../src/server/relay.js';
import { fromReadable } from '../../src/server/stream-body.js';

const KEY = 'sk-test-fastlane-1234';
const secret = { key: KEY, masked: 'sk-…1234' };

/** A response that records each write as it was given. */
function sink(): { res: ServerResponse; writes: Array<Buffer | string>; text(): string } {
  const writes: Array<Buffer | string> = [];
  const w = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      cb();
    },
  });
  const res = Object.assign(w, {
    write(chunk: Buffer | string) {
      writes.push(chunk);
      return true;
    },
    end(chunk?: Buffer | string) {
      if (chunk !== undefined && chunk !== '') writes.push(chunk);
      return w;
    },
    // The head, sent alone when no event came with it: nothing to record here.
    flushHeaders() {},
  });
  return { res: res as unknown as ServerResponse, writes, text: () => writes.map((c) => c.toString()).join('') };
}

const chunk = (s: string) => Buffer.from(s, 'utf8');
const ev = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
const delta = (content: string) => ev({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }], usage: null });

async function relay(chunks: Buffer[], plan: Parameters<typeof relayStream>[2] = { mode: 'passthrough' }) {
  const s = sink();
  const tracker = adapterFor('openai').trackStream();
  const end = await relayStream(fromReadable(Readable.from(chunks)), s.res, plan, tracker, 'openai', new AbortController().signal, secret);
  return { ...s, end, outcome: tracker.finish(end, { kind: 'ok' }) };
}

test('chunks of whole, plain events go out as the same Buffers, and the usage chunk is still read', async () => {
  const a = chunk(delta('héllo ') + delta('wörld'));
  const b = chunk(delta('!'));
  const usage = chunk(ev({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } }) + 'data: [DONE]\n\n');
  const first = chunk(delta('x'));
  const r = await relay([first, a, b, usage]);
  expect(r.writes[0]).toBe(first);
  expect(r.writes[1]).toBe(a);
  expect(r.writes[2]).toBe(b);
  expect(r.text()).toBe([first, a, b, usage].map(String).join(''));
  expect(r.outcome).toMatchObject({ kind: 'ok', usage: { inputTokens: 4, outputTokens: 3 } });
});

test('the key in a chunk of whole events is masked: that chunk takes the slow lane', async () => {
  const a = chunk(delta(`the key is ${KEY}`));
  const r = await relay([chunk(delta('x')), a]);
  expect(r.text()).not.toContain(KEY);
  expect(r.text()).toContain('sk-…1234');
});

test('an error event in a whole chunk reaches the tracker', async () => {
  const r = await relay([chunk(delta('x')), chunk(ev({ error: { message: 'overloaded', type: 'server_error' } }))]);
  expect(r.outcome.kind).toBe('server_error');
});

test('a split event, \\r\\n line ends and invalid UTF-8 go through the splitter, as before', async () => {
  const whole = delta('one') + delta('two');
  const split = await relay([chunk(delta('x')), chunk(whole.slice(0, 30)), chunk(whole.slice(30))]);
  expect(split.text()).toBe(delta('x') + whole);
  const crlf = await relay([chunk(delta('x')), chunk(delta('y').replace(/\n/g, '\r\n'))]);
  expect(crlf.text()).toBe(delta('x') + delta('y'));
  const bad = Buffer.concat([chunk('data: {"choices":[{"delta":{"content":"a'), Buffer.from([0xff]), chunk('"}}]}\n\n')]);
  const invalid = await relay([chunk(delta('x')), bad]);
  expect(invalid.writes[1]).not.toBe(bad);
  expect(invalid.text()).toContain('a\ufffd');
});

test('a plan that renames the model never takes the fast lane', async () => {
  const a = chunk(ev({ id: 'c', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'x' } }] }));
  const r = await relay([chunk(delta('x')), a], { mode: 'passthrough', model: 'my-group' });
  expect(r.text()).toContain('"model":"my-group"');
});

test('a chunk of whole events with one to drop goes out as its own bytes around the dropped event', async () => {
  // keymux asked for the usage chunk the client did not: it is read, then cut out of the chunk by byte offsets
  // (multi-byte text before it shifts them from the character offsets).
  const usage = ev({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } });
  const text = delta('héllo 世界 😀') + delta('!') + usage + 'data: [DONE]\n\n';
  const r = await relay([chunk(text)], { mode: 'passthrough', stripUsageChunk: true });
  expect(r.text()).toBe(delta('héllo 世界 😀') + delta('!') + 'data: [DONE]\n\n');
  expect(Buffer.isBuffer(r.writes[0])).toBe(true);
  expect(r.outcome).toMatchObject({ kind: 'ok', usage: { inputTokens: 4, outputTokens: 3 } });
});

test('a dropped usage chunk is read once the end has gone out; one the client asked for, on the way', async () => {
  const usage = ev({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } });
  const order = async (plan: Parameters<typeof relayStream>[2]) => {
    const seen: string[] = [];
    const s = sink();
    const end = s.res.end.bind(s.res);
    s.res.end = ((c?: string) => (seen.push('end'), end(c))) as typeof s.res.end;
    const t = adapterFor('openai').trackStream();
    const tracker = { ...t, onEvent: (d: unknown, e?: string) => (seen.push(Array.isArray((d as { choices?: unknown }).choices) ? 'usage' : '?'), t.onEvent(d, e)) };
    const r = await relayStream(fromReadable(Readable.from([chunk(delta('x')), chunk(usage + 'data: [DONE]\n\n')])), s.res, plan, tracker, 'openai', new AbortController().signal, secret);
    return { seen, text: s.text(), outcome: tracker.finish(r, { kind: 'ok' }) };
  };
  const dropped = await order({ mode: 'passthrough', stripUsageChunk: true });
  expect(dropped.seen).toEqual(['end', 'usage']);
  expect(dropped.text).toBe(delta('x') + 'data: [DONE]\n\n');
  expect(dropped.outcome).toMatchObject({ kind: 'ok', usage: { inputTokens: 4, outputTokens: 3 } });
  const asked = await order({ mode: 'passthrough' });
  expect(asked.seen).toEqual(['usage', 'end']);
  expect(asked.text).toBe(delta('x') + usage + 'data: [DONE]\n\n');
  expect(asked.outcome).toEqual(dropped.outcome);
});

test('a whole chunk with nothing to change is written as the same Buffer, the first one too', async () => {
  const a = chunk(delta('é') + 'data: [DONE]\n\n');
  const r = await relay([a], { mode: 'passthrough', stripUsageChunk: true });
  expect(r.writes[0]).toBe(a);
});

test('a renamed model in a whole chunk: the renamed events as new text, the rest as they came', async () => {
  const named = ev({ id: 'c', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'é' } }] });
  const r = await relay([chunk(': keep-alive\n\n' + named + 'data: [DONE]\n\n')], { mode: 'passthrough', model: 'my-group' });
  expect(r.text()).toBe(': keep-alive\n\n' + ev({ id: 'c', model: 'my-group', choices: [{ index: 0, delta: { content: 'é' } }] }) + 'data: [DONE]\n\n');
});

test('a first chunk starting with a byte-order mark loses it, as before', async () => {
  const r = await relay([Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), chunk(delta('x'))])]);
  expect(r.text()).toBe(delta('x'));
});

test('a whole chunk ending in a stray newline keeps it pending, as before', async () => {
  const r = await relay([chunk(delta('x') + '\n'), chunk(delta('y'))]);
  expect(r.text()).toBe(delta('x') + '\n' + delta('y'));
});

test('a chunk ending in three newlines: the last one starts an event, kept pending', async () => {
  const r = await relay([chunk(delta('x') + '\n'), chunk('\n' + delta('y'))]);
  expect(r.text()).toBe(delta('x') + '\n\n' + delta('y'));
});

/** Events a provider's stream may hold: text of every width, usage, errors, comments, names, the key, \r\n. */
const pieces = [
  delta('héllo 世界 😀 '),
  delta('plain'),
  ev({ id: 'c', model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'named' } }], usage: null }),
  ev({ id: 'c', choices: [], usage: { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 } }),
  ev({ id: 'c', choices: [{ index: 0, delta: { content: 'an error? no' } }], usage: null }),
  ev({ error: { message: 'overloaded', type: 'server_error' } }),
  'event: error\ndata: {"message":"bad"}\n\n',
  ': keep-alive\n\n',
  '\n',
  delta(`echo ${KEY}`),
  delta('crlf').replace(/\n/g, '\r\n'),
  'data: [DONE]\n\n',
];

test('any cutting of a stream relays as the splitter alone relays it: same text, same outcome', async () => {
  const plans: Array<Parameters<typeof relayStream>[2]> = [{ mode: 'passthrough' }, { mode: 'passthrough', stripUsageChunk: true }, { mode: 'passthrough', model: 'my-group' }];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.nat({ max: pieces.length - 1 }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 8 }), fc.nat({ max: 2 }), async (picks, cuts, p) => {
      const bytes = chunk(picks.map((i) => pieces[i]!).join(''));
      const at = [...new Set(cuts.map((c) => (bytes.length ? c % bytes.length : 0)))].sort((a, b) => a - b);
      const chunks = [0, ...at, bytes.length].flatMap((from, i, all) => (i + 1 < all.length && all[i + 1]! > from ? [bytes.subarray(from, all[i + 1])] : []));
      // One byte at a time: no chunk is a whole event, so every byte goes through the splitter.
      const reference = await relay([...bytes].map((b) => Buffer.from([b])), plans[p]);
      const r = await relay(chunks, plans[p]);
      expect(r.text()).toBe(reference.text());
      expect(r.text()).not.toContain(KEY);
      expect(r.outcome).toEqual(reference.outcome);
    }),
    { numRuns: 300 },
  );
});
