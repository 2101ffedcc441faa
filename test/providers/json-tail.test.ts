// A relayed 2xx JSON answer is judged on its usage member, read from the end of its text (json-tail.ts), instead of
// parsing the whole answer. These tests hold the reader to the one rule that makes that safe: it answers only when
// it can prove the member is the top-level one, and for every body the verdict is the one the whole parse gives.
import { describe, expect, it } from 'vitest';
import { NOT_FOUND, tailMember } from '../../src/providers/json-tail.js';
import { CATALOG, createAdapter, parseMaybeJson, resolveProfile } from '../../src/providers/index.js';

describe('tailMember', () => {
  it('reads a top-level object member written last or followed by other members', () => {
    expect(tailMember('{"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4}}', 'usage')).toEqual({ prompt_tokens: 3, completion_tokens: 4 });
    expect(tailMember('{"id":"x","usage":{"a":1},"service_tier":"default","system_fingerprint":"fp_}{\\"x"}', 'usage')).toEqual({ a: 1 });
    expect(tailMember(' { "usage" : { "a" : [1, {"b": "}"}] } , "n": [1,2,{"c":null}] } \n', 'usage')).toEqual({ a: [1, { b: '}' }] });
  });

  it('refuses a member that is nested, not an object, absent, or behind an escaped quote', () => {
    expect(tailMember('{"usage":{"a":1},"meta":{"usage":{"b":2}}}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"meta":{"usage":{"b":2}},"x":1}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"usage":null}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"usage":5}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"id":"x"}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"a\\"usage":{"b":2}}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('[{"usage":{"b":2}}]', 'usage')).toBe(NOT_FOUND);
  });

  it('refuses text that is cut off or does not end its object', () => {
    expect(tailMember('{"usage":{"a":1},"x":"unterminated}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"usage":{"a":1}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"usage":{"a":1}]}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('{"usage":{"a":1,}}', 'usage')).toBe(NOT_FOUND);
    expect(tailMember('', 'usage')).toBe(NOT_FOUND);
  });

  it('never reads a quoted word inside a string as the member', () => {
    // The model's text quoting JSON: its quotes are escaped, so `"usage":` never appears unescaped in it.
    const body = JSON.stringify({ choices: [{ message: { content: 'say {"usage":{"prompt_tokens":999}}' } }], usage: { prompt_tokens: 1 } });
    expect(tailMember(body, 'usage')).toEqual({ prompt_tokens: 1 });
    const noUsage = JSON.stringify({ choices: [{ message: { content: '{"usage":{"prompt_tokens":999}}' } }] });
    expect(tailMember(noUsage, 'usage')).toBe(NOT_FOUND);
  });
});

const ctx = { now: Date.parse('2026-11-25T12:00:00Z'), model: 'm' };
const adapters = CATALOG.map((info) => createAdapter(resolveProfile(info, info.dialect === 'azure' ? { baseUrl: 'https://r.openai.azure.com' } : {})));

const BODIES: Array<[string, string]> = [
  ['OpenAI chat, usage before service_tier', JSON.stringify({ id: 'c', choices: [{ message: { content: 'hi "usage": {}' } }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7, prompt_tokens_details: { cached_tokens: 1 } }, service_tier: 'default', system_fingerprint: 'fp' })],
  ['Anthropic message', JSON.stringify({ id: 'm', type: 'message', content: [{ type: 'text', text: 'x' }], usage: { input_tokens: 3, output_tokens: 4, cache_read_input_tokens: 2 } })],
  ['Gemini response', JSON.stringify({ candidates: [{ content: { parts: [{ text: 'x' }] } }], usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 4, totalTokenCount: 7 }, modelVersion: 'g', responseId: 'r' })],
  ['OpenRouter 200 carrying an error', JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded', metadata: { provider_name: 'X' } }, usage: { prompt_tokens: 1 } })],
  ['an error word in a string only', JSON.stringify({ choices: [{ finish_reason: 'error' }], usage: { prompt_tokens: 1, completion_tokens: 1 } })],
  ['Responses stream event nesting usage', JSON.stringify({ type: 'response.completed', response: { usage: { input_tokens: 5, output_tokens: 6 } } })],
  ['usage that says nothing', JSON.stringify({ id: 'x', usage: {} })],
  ['no usage', JSON.stringify({ id: 'x', object: 'list', data: [] })],
  ['a Gemini JSON array', JSON.stringify([{ candidates: [] }, { usageMetadata: { promptTokenCount: 1 } }])],
  ['HTML', '<html>busy</html>'],
  ['cut off', '{"id":"x","usage":{"prompt_tokens":1},"sys'],
  // Past the 2 KB tail decoded from the bytes: usage inside it, before it, and a cut through a character at its start.
  ['long, usage last', JSON.stringify({ id: 'c', choices: [{ message: { content: 'word '.repeat(3000) } }], usage: { prompt_tokens: 9, completion_tokens: 8 } })],
  ['long, usage first', JSON.stringify({ usage: { prompt_tokens: 9, completion_tokens: 8 }, choices: [{ message: { content: 'word '.repeat(3000) } }] })],
  ['long, multi-byte at the cut', JSON.stringify({ choices: [{ message: { content: 'é€😀'.repeat(2000) } }], usage: { prompt_tokens: 2, completion_tokens: 3 } })],
  ['long, a usage lookalike quoted in the tail', JSON.stringify({ usage: { prompt_tokens: 1 }, choices: [{ message: { content: 'x'.repeat(5000) + ' "usage":{"prompt_tokens":999}' } }] })],
];

describe('classifyText', () => {
  it.each(BODIES)('%s: the same verdict as classifying the whole parsed body, for every provider and status', (_name, text) => {
    for (const a of adapters) {
      for (const status of [200, 201, 204, 400, 429, 500]) {
        const headers = { 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-limit-requests': '10', 'openai-organization': 'org-1' };
        const whole = a.classify({ status, headers, body: parseMaybeJson(text) }, ctx);
        const read = a.classifyText(status, headers, text, ctx);
        expect(read.outcome, `${a.profile.name} ${status}`).toEqual(whole);
        expect(read.body()).toEqual(parseMaybeJson(text));
        // From the bytes, decoding only what the verdict needs: the same verdict, body and text.
        const fromBytes = a.classifyText(status, headers, Buffer.from(text), ctx);
        expect(fromBytes.outcome, `${a.profile.name} ${status} (bytes)`).toEqual(whole);
        expect(fromBytes.text()).toBe(text);
        expect(fromBytes.body()).toEqual(parseMaybeJson(text));
      }
    }
  });
});
