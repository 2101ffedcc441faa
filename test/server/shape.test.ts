// Malformed request shapes never reach a 500: the nesting depth is bounded at the entry, each dialect's
// top-level fields are checked at its route (400 naming the field), and what passes through same-dialect is
// the provider's to refuse.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MAX_JSON_DEPTH } from '../../src/server/body.js';
import { call, startThreeProviders, type Harness } from './helpers.js';

const ANTHROPIC = { 'anthropic-version': '2023-06-01' };
const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);
function deepSchema(levels: number): string {
  let s = '{"type":"string"}';
  for (let i = 0; i < levels; i++) s = `{"type":"object","properties":{"a":${s}}}`;
  return s;
}
const user = '[{"role":"user","content":"x"}]';

let h: Harness;
beforeAll(async () => {
  h = await startThreeProviders();
});
afterAll(() => h.close());

const post = (path: string, raw: string, headers: Record<string, string> = {}) =>
  call(h.url, path, undefined, { raw, headers: { 'content-type': 'application/json', ...headers } });

describe('JSON nesting depth is bounded at the entry', () => {
  test.each([
    ['100k nested arrays, same dialect', '/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${nested(100_000)}}`],
    ['100k nested arrays in an extra field', '/v1/messages', `{"model":"anthropic/claude-x","max_tokens":5,"messages":${user},"x":${nested(100_000)}}`],
    ['100k nested arrays, count_tokens', '/v1/messages/count_tokens', `{"model":"openai/gpt-4o","messages":${nested(100_000)}}`],
    ['a tool schema 5,000 levels deep, same dialect', '/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema(5_000)}}}]}`],
    ['a tool schema 5,000 levels deep, translated', '/v1/chat/completions', `{"model":"gemini/gemini-2.5-flash","messages":${user},"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema(5_000)}}}]}`],
    ['deep contents, Gemini', '/v1beta/models/gemini-2.5-flash:generateContent', `{"contents":[{"parts":${nested(50_000)}}]}`],
  ])('%s: 400 naming the limit', async (_name, path, raw) => {
    const r = await post(path, raw, path.startsWith('/v1/messages') ? ANTHROPIC : {});
    expect(r.status).toBe(400);
    expect(r.text).toContain(`${MAX_JSON_DEPTH} levels`);
    if (!path.startsWith('/v1/messages') && !path.startsWith('/v1beta')) expect(r.json.error.code).toBe('KMX_ERR_BAD_REQUEST');
  });

  test('a schema well inside the limit still goes through', async () => {
    const r = await post('/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"tools":[{"type":"function","function":{"name":"f","parameters":${deepSchema(40)}}}]}`);
    expect(r.status).toBe(200);
  });
});

describe('top-level shapes are checked per dialect, with a 400 naming the field', () => {
  test.each([
    ['/v1/chat/completions', '{"model":5,"messages":[]}', '"model"'],
    ['/v1/chat/completions', '{"model":"openai/gpt-4o","messages":"hi"}', '"messages"'],
    ['/v1/chat/completions', '{"model":"openai/gpt-4o"}', '"messages"'],
    ['/v1/chat/completions', '{"model":"openai/gpt-4o","messages":[null]}', 'messages[0]'],
    ['/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"tools":[null]}`, 'tools[0]'],
    ['/v1/chat/completions', `{"model":"anthropic/claude-x","messages":${user},"tools":{"a":1}}`, '"tools"'],
    ['/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"stream":"yes"}`, '"stream"'],
    ['/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"stream_options":"x"}`, '"stream_options"'],
    ['/v1/embeddings', '{"model":"openai/text-embedding-3-small","input":{"a":1}}', '"input"'],
    ['/v1/responses', '{"model":"openai/gpt-4o","input":[1,2]}', 'input[0]'],
    ['/v1/messages', '{"model":"anthropic/claude-x","max_tokens":5,"messages":[[]]}', 'messages[0]'],
    ['/v1/messages', `{"model":"anthropic/claude-x","max_tokens":5,"messages":${user},"system":5}`, '"system"'],
    ['/v1/messages/count_tokens', '{"model":"anthropic/claude-x","messages":{}}', '"messages"'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', '{"contents":[null]}', 'contents[0]'],
    ['/v1beta/models/gemini-2.5-flash:generateContent', '{"contents":[{"parts":[{"text":"x"}]}],"tools":[7]}', 'tools[0]'],
    ['/v1beta/models/gemini-2.5-flash:embedContent', '{"content":"x"}', '"content"'],
  ])('%s %s', async (path, raw, field) => {
    const n = h.sim.requests.length;
    const r = await post(path, raw, path.startsWith('/v1/messages') ? ANTHROPIC : {});
    expect(r.status).toBe(400);
    expect(r.text).toContain(field.replace(/"/g, '\\"'));
    expect(h.sim.requests.length).toBe(n);
  });

  test('null means "not set" for optional fields, as the APIs take it', async () => {
    const r = await post('/v1/chat/completions', `{"model":"openai/gpt-4o","messages":${user},"tools":null,"stop":null,"stream":null,"stream_options":null}`);
    expect(r.status).toBe(200);
  });
});

describe('malformed inner shapes: never a 500, same dialect or translated', () => {
  test.each([
    ['/v1/messages', 'anthropic/claude-x', '{"model":"M","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":null}]}]}'],
    ['/v1/messages', 'openai/gpt-4o', '{"model":"M","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":null}]}]}'],
    ['/v1/messages', 'gemini/gemini-2.5-flash', '{"model":"M","max_tokens":5,"messages":[{"role":"user","content":[{"type":"image","source":null}]}]}'],
    ['/v1/chat/completions', 'openai/gpt-4o', '{"model":"M","messages":[{"role":"user","content":[{"type":"image_url","image_url":null}]}]}'],
    ['/v1/chat/completions', 'anthropic/claude-x', '{"model":"M","messages":[{"role":"user","content":[{"type":"image_url","image_url":null}]}]}'],
    ['/v1/chat/completions', 'gemini/gemini-2.5-flash', '{"model":"M","messages":[{"role":"user","content":[{"type":"image_url","image_url":null}]}]}'],
    ['/v1/chat/completions', 'openai/gpt-4o', '{"model":"M","messages":[{"role":"user","content":[null]}]}'],
  ])('%s → %s', async (path, model, raw) => {
    const r = await post(path, raw.replace('"M"', JSON.stringify(model)), path.startsWith('/v1/messages') ? ANTHROPIC : {});
    expect(r.status).toBeLessThan(500);
  });
});
