import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { adapterFor, isUsageOnlyEvent } from '../../src/providers/index.js';
import { finished, streamUsage } from './helpers.js';

/** A tracker of the given dialect, from a catalog provider that speaks it. */
const tracker = (provider: 'openai' | 'anthropic' | 'gemini') => adapterFor(provider).trackStream();

const chunk = (content: string, finish: string | null = null) => ({
  id: 'chatcmpl-123', object: 'chat.completion.chunk', created: 1764072000, model: 'gpt-4o-mini',
  choices: [{ index: 0, delta: { content }, finish_reason: finish }], usage: null,
});

describe('OpenAI stream usage', () => {
  it('takes the final choices: [] chunk (include_usage)', () => {
    const t = tracker('openai');
    for (const c of [chunk(''), chunk('Hel'), chunk('lo'), chunk('', 'stop')]) t.onEvent(c);
    expect(streamUsage(t)).toBeUndefined();
    t.onEvent({ id: 'chatcmpl-123', object: 'chat.completion.chunk', choices: [], usage: {
      prompt_tokens: 9, completion_tokens: 12, total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 },
    } });
    // ok (no error), with the usage.
    expect(finished(t)).toEqual({ kind: 'ok', usage: { inputTokens: 9, outputTokens: 12, totalTokens: 21, cachedTokens: 0, reasoningTokens: 0 } });
  });

  it('an interrupted stream has no usage and no error', () => {
    const t = tracker('openai');
    t.onEvent(chunk('Hel'));
    t.onEvent(chunk('lo'));
    expect(finished(t)).toEqual({ kind: 'ok' });
  });

  it('Groq puts the usage in x_groq', () => {
    const t = tracker('openai');
    t.onEvent({ ...chunk('', 'stop'), x_groq: { id: 'req_01', usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 } } });
    expect(streamUsage(t)).toEqual({ inputTokens: 20, outputTokens: 5, totalTokens: 25 });
  });

  it('Responses API: response.completed', () => {
    const t = tracker('openai');
    t.onEvent({ type: 'response.created', response: { id: 'resp_1', status: 'in_progress', usage: null } }, 'response.created');
    t.onEvent({ type: 'response.output_text.delta', delta: 'Hi' }, 'response.output_text.delta');
    t.onEvent({ type: 'response.completed', response: { id: 'resp_1', status: 'completed', usage: {
      input_tokens: 36, input_tokens_details: { cached_tokens: 0 }, output_tokens: 87, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 123,
    } } }, 'response.completed');
    expect(streamUsage(t)).toEqual({ inputTokens: 36, outputTokens: 87, cachedTokens: 0, reasoningTokens: 0, totalTokens: 123 });
  });

  it('OpenRouter’s mid-stream error chunk (finish_reason "error")', () => {
    const t = tracker('openai');
    t.onEvent(chunk('partial'));
    t.onEvent({ id: 'gen-1', object: 'chat.completion.chunk', error: { code: 502, message: 'Provider disconnected' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] });
    expect(finished(t)).toEqual({ kind: 'server_error', reason: 'Provider disconnected' });
  });
});

describe('Anthropic stream usage', () => {
  const start = { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], model: 'claude-sonnet-4-5',
    stop_reason: null, usage: { input_tokens: 472, cache_creation_input_tokens: 0, cache_read_input_tokens: 100, output_tokens: 2 } } };

  it('input from message_start, output from the LAST message_delta (cumulative, not added)', () => {
    const t = tracker('anthropic');
    t.onEvent(start, 'message_start');
    t.onEvent({ type: 'ping' }, 'ping');
    t.onEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start');
    t.onEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } }, 'content_block_delta');
    t.onEvent({ type: 'ping' }, 'ping');
    t.onEvent({ type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 89 } }, 'message_delta');
    t.onEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: null, output_tokens: 120 } }, 'message_delta');
    t.onEvent({ type: 'message_stop' }, 'message_stop');
    // ok (no error), with the usage.
    expect(finished(t)).toEqual({ kind: 'ok', usage: { inputTokens: 572, outputTokens: 120, cachedTokens: 100, totalTokens: 692 } });
  });

  it('notes event: error (what it knew before stays unreported: the attempt failed)', () => {
    const t = tracker('anthropic');
    t.onEvent(start, 'message_start');
    expect(streamUsage(t)).toMatchObject({ inputTokens: 572, outputTokens: 2 });
    t.onEvent({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, 'error');
    expect(finished(t)).toEqual({ kind: 'server_error', reason: 'Overloaded' });
  });

  it('nothing before message_start', () => expect(streamUsage(tracker('anthropic'))).toBeUndefined());
});

describe('Gemini stream usage', () => {
  it('takes usageMetadata from the last chunk', () => {
    const t = tracker('gemini');
    t.onEvent({ candidates: [{ content: { parts: [{ text: 'Hel' }], role: 'model' }, index: 0 }], usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } });
    t.onEvent({ candidates: [{ content: { parts: [{ text: 'lo' }], role: 'model' }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 8, candidatesTokenCount: 12, thoughtsTokenCount: 30, cachedContentTokenCount: 4, totalTokenCount: 50 } });
    expect(streamUsage(t)).toEqual({ inputTokens: 8, outputTokens: 42, reasoningTokens: 30, cachedTokens: 4, totalTokens: 50 });
  });

  it('accepts a whole JSON-array body and notes an error chunk', () => {
    const withUsage = { usageMetadata: { promptTokenCount: 3, totalTokenCount: 3 } };
    const t = tracker('gemini');
    t.onEvent([withUsage, { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } }]);
    expect(finished(t)).toEqual({ kind: 'server_error', reason: 'Internal error' });
    // Without the error chunk, the usage an earlier element of the array carried is the stream's.
    const u = tracker('gemini');
    u.onEvent([withUsage, { candidates: [] }]);
    expect(streamUsage(u)).toEqual({ inputTokens: 3, totalTokens: 3 });
  });
});

describe('which events a tracker needs parsed', () => {
  it('OpenAI: usage and errors, not the "usage": null of every chunk', () => {
    const t = tracker('openai');
    expect(t.wants(JSON.stringify(chunk('Hel')))).toBe(false);
    expect(t.wants('{"choices":[{"delta":{"content":"x"}}],"usage": null}')).toBe(false);
    expect(t.wants(JSON.stringify({ choices: [], usage: { prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 } }))).toBe(true);
    expect(t.wants(JSON.stringify({ ...chunk('', 'stop'), x_groq: { usage: { prompt_tokens: 20 } } }))).toBe(true);
    expect(t.wants(JSON.stringify({ type: 'response.completed', response: { usage: { input_tokens: 36 } } }), 'response.completed')).toBe(true);
    expect(t.wants(JSON.stringify({ error: { message: 'Provider disconnected' }, choices: [] }))).toBe(true);
    expect(t.wants('{"message":"x"}', 'error')).toBe(true);
  });

  it('Anthropic: any usage (message_start, message_delta) and errors', () => {
    const t = tracker('anthropic');
    expect(t.wants('{"type":"message_start","message":{"usage":{"input_tokens":1}}}', 'message_start')).toBe(true);
    expect(t.wants('{"type":"message_delta","usage":{"output_tokens":1}}', 'message_delta')).toBe(true);
    expect(t.wants('{"type":"content_block_delta","delta":{"type":"text_delta","text":"Hi"}}', 'content_block_delta')).toBe(false);
    expect(t.wants('{"type":"ping"}', 'ping')).toBe(false);
    expect(t.wants('{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'error')).toBe(true);
  });

  it('Gemini: usageMetadata and errors', () => {
    const t = tracker('gemini');
    expect(t.wants('{"candidates":[],"usageMetadata":{"promptTokenCount":3}}')).toBe(true);
    expect(t.wants('{"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}')).toBe(false);
    expect(t.wants('{"error":{"code":500,"message":"Internal error"}}')).toBe(true);
  });
});

describe('wants, on text and on bytes', () => {
  // The relay's fast lane asks about a whole chunk's bytes: the answer must be the text's for one event, and for
  // several events, true whenever any of them is wanted.
  const events: Array<['openai' | 'anthropic' | 'gemini', string]> = [
    ['openai', JSON.stringify(chunk('hi'))],
    ['openai', JSON.stringify({ ...chunk(''), choices: [], usage: { prompt_tokens: 1 } })],
    ['openai', JSON.stringify({ ...chunk(''), usage: null, x_groq: { usage: { prompt_tokens: 1 } } })],
    ['openai', '{"usage" :   null, "choices": []}'],
    ['openai', JSON.stringify({ error: { message: 'boom' } })],
    ['anthropic', JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'é' } })],
    ['anthropic', JSON.stringify({ type: 'message_delta', usage: { output_tokens: 3 } })],
    ['gemini', JSON.stringify({ candidates: [{ content: { parts: [{ text: 'x' }] } }] })],
    ['gemini', JSON.stringify({ candidates: [], usageMetadata: { promptTokenCount: 1 } })],
  ];
  it.each(events)('%s: %s', (dialect, data) => {
    const t = tracker(dialect);
    expect(t.wants(Buffer.from(data))).toBe(t.wants(data));
    const several = Buffer.from(`data: ${JSON.stringify(chunk('a'))}\n\ndata: ${data}\n\n`);
    expect(t.wants(several)).toBe(t.wants(JSON.stringify(chunk('a'))) || t.wants(data));
    // wanted() points into the event that is wanted, or nowhere.
    const second = several.indexOf('\n\n') + 2;
    const at = t.wanted(several, 0);
    if (t.wants(JSON.stringify(chunk('a')))) expect(at).toBeLessThan(second);
    else if (t.wants(data)) expect(at).toBeGreaterThanOrEqual(second);
    else expect(at).toBe(-1);
    expect(t.wanted(several, second) >= 0).toBe(t.wants(data));
    expect(t.wanted(several, several.length)).toBe(-1);
  });

  it('wanted() finds an event named error, at the start or after any line end, and no other name', () => {
    const t = tracker('anthropic');
    const plain = 'data: {"type":"ping"}\n\n';
    const bytes = (s: string) => Buffer.from(s);
    expect(t.wanted(bytes('event: error\ndata: {"x":1}\n\n'), 0)).toBe(0);
    expect(t.wanted(bytes('event:error\ndata: {"x":1}\n\n'), 0)).toBe(0);
    expect(t.wanted(bytes(`${plain}event: error\ndata: {}\n\n`), 0)).toBe(plain.length);
    // The name on a later line of its event.
    expect(t.wanted(bytes(`${plain}data: {}\nevent: error\n\n`), 0)).toBe(plain.length + 'data: {}\n'.length);
    // From the start of a later event, the error event before it is behind.
    expect(t.wanted(bytes(`event: error\ndata: {}\n\n${plain}`), 'event: error\ndata: {}\n\n'.length)).toBe(-1);
    for (const other of ['event:  error', 'event: errors', 'event: error_x', 'event: ping', 'xevent: error']) {
      expect(t.wanted(bytes(`${plain}${other}\ndata: {}\n\n`), 0), other).toBe(-1);
    }
  });
});

describe('wanted(), short chunks and long ones alike', () => {
  // Up to 1 KB a chunk is searched by one regular expression over its latin1 text; past it, by one indexOf per
  // word on its bytes. Both must give the same positions: the same chunk, put after 1.1 KB of prose that holds
  // nothing wanted (ending in a line end, as an event does), is searched the other way.
  const pieces = ['"usage"', '"usage', ':', ' ', '\t', '\u00a0', 'null', 'nullx', 'null}', '{"a":1}', '"error"', '"error', 'error"', 'event: error\n', 'event:error\n', 'event:  error\n', 'xevent: error\n', '\n', '\n\n', 'data: ', 'é', '"usageMetadata"', 'x'];
  const ws = fc.array(fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0'), { maxLength: 2 }).map((a) => a.join(''));
  // A usage member, or something close to one: the null it must be told from, spaced every way.
  const usageLike = fc
    .tuple(fc.constantFrom('"usage"', '"usage', '"usageMetadata"', '"usage_x"'), ws, fc.constantFrom(':', ''), ws, fc.constantFrom('null', 'nullx', 'null}', 'null_', 'null9', '{"a":1}', ''))
    .map((p) => p.join(''));
  const eventLike = fc.tuple(fc.constantFrom('', '\n', 'x'), fc.constantFrom('event:', 'event: ', 'event:  '), fc.constantFrom('error', 'errors', 'ping'), fc.constantFrom('\n', '', ' \n')).map((p) => p.join(''));
  const pad = `data: {"text":"${'the quick brown fox jumps over the lazy dog '.repeat(94)}"}\n\n`;
  it.each(['openai', 'anthropic', 'gemini'] as const)('%s', (dialect) => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...pieces), usageLike, eventLike), { maxLength: 16 }), fc.nat(), (parts, cut) => {
        const text = parts.join('');
        const short = Buffer.from(text);
        const from = short.length === 0 ? 0 : cut % (short.length + 1);
        const long = Buffer.concat([Buffer.from(pad), short]);
        expect(long.length).toBeGreaterThan(4096);
        const a = tracker(dialect).wanted(short, from);
        const b = tracker(dialect).wanted(long, pad.length + from);
        expect(a).toBe(b < 0 ? -1 : b - pad.length);
        // wants() on an event's data: the same answer by text as by bytes.
        expect(tracker(dialect).wants(text)).toBe(tracker(dialect).wants(Buffer.from(text)));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isUsageOnlyEvent: the usage chunk known by its bytes', () => {
  const usage = { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 };
  const event = (v: unknown, space?: number) => Buffer.from(`data: ${JSON.stringify(v, null, space)}\n\n`);
  it('is the include_usage chunk, compact or spaced, and nothing else', () => {
    expect(isUsageOnlyEvent(event({ id: 'c', choices: [], usage }))).toBe(true);
    expect(isUsageOnlyEvent(event({ id: 'c', choices: [], usage }, 2))).toBe(true);
    expect(isUsageOnlyEvent(Buffer.from('data: {"id":"c","choices" : [ ] ,"usage" : {"total_tokens":7}}\n\n'))).toBe(true);
    // Azure's first chunk: no choices, its prompt filter results, no usage.
    expect(isUsageOnlyEvent(event({ choices: [], prompt_filter_results: [{ prompt_index: 0 }], usage: null }))).toBe(false);
    expect(isUsageOnlyEvent(event({ choices: [], prompt_filter_results: [] }))).toBe(false);
    expect(isUsageOnlyEvent(event({ ...chunk('x'), usage }))).toBe(false);
    expect(isUsageOnlyEvent(event({ choices: [], usage, error: { message: 'x' } }))).toBe(false);
    // The words as text in a string are escaped, never a member.
    expect(isUsageOnlyEvent(event({ ...chunk('"choices":[] and "usage":{"total_tokens":1}') }))).toBe(false);
  });
  it('never says yes to an event that is not one (any text, spacing, members)', () => {
    const text = fc.oneof(fc.string(), fc.constantFrom('"choices":[]', '"usage":{"a":1}', '"error"', '\\', '"'));
    const obj = fc.record(
      {
        id: text,
        choices: fc.oneof(fc.constant([]), fc.array(fc.record({ index: fc.nat(), delta: fc.record({ content: text }) }), { minLength: 1, maxLength: 2 })),
        usage: fc.oneof(fc.constant(null), fc.constant(usage)),
        error: fc.record({ message: text }),
        note: text,
      },
      { requiredKeys: ['id'] },
    );
    fc.assert(
      fc.property(obj, fc.constantFrom(undefined, 1, 2), (v, space) => {
        const usageOnly = Array.isArray(v.choices) && v.choices.length === 0 && v.usage != null && v.error === undefined;
        if (isUsageOnlyEvent(event(v, space))) expect(usageOnly).toBe(true);
        if (usageOnly && !JSON.stringify(v).includes('"error"')) expect(isUsageOnlyEvent(event(v, space))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
