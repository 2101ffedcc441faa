// Random bodies at every entry of the server, same-dialect and translated, against the simulator: whatever a
// client posts, keymux answers it without a 500 of its own (no KMX_ERR_INTERNAL). An upstream's own 5xx,
// relayed (it carries x-keymux-attempts), is the provider's answer, not a keymux crash.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { anthropicBody, chatBody, geminiBody, startThreeProviders, type Harness } from './helpers.js';
import { ANTHROPIC, GEMINI, ONE_SHOT, OPENAI, anthropicRequest, bodies, embeddingsRequest, geminiRequest, openAIRequest, responsesRequest } from './fuzz-bodies.js';

/** Cases per (entry, target): 15 pairs, ~3,000 requests in all. */
const RUNS = 200;
const TIMEOUT = 60_000;

let h: Harness;
beforeAll(async () => {
  h = await startThreeProviders(ONE_SHOT);
});
afterAll(() => h.close());


/**
 * Most bodies address the target (else nearly all would stop at model resolution); some keep their own model.
 * The model goes in as the object's last member (JSON.parse keeps the last of duplicates), spliced into the text:
 * re-serialising a deeply nested body would overflow this test's own stack.
 */
const addressed = (text: string, model: string | undefined, pick: number): string => {
  if (model === undefined || pick === 0) return text;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return text;
  const end = text.lastIndexOf('}');
  const member = `"model":${JSON.stringify(model)}`;
  return Object.keys(v).length === 0 ? `{${member}}` : `${text.slice(0, end)},${member}}`;
};

interface Entry {
  path: string;
  headers?: Record<string, string>;
  bodies: fc.Arbitrary<string>;
  /** Models to address: the entry's own dialect first, then translated targets. `undefined`: the model is in the path. */
  targets: ReadonlyArray<string | undefined>;
}

const anthropicHeaders = { 'anthropic-version': '2023-06-01' };
const ENTRIES: Entry[] = [
  { path: '/v1/chat/completions', bodies: bodies(openAIRequest, chatBody('hi', { tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] })), targets: [OPENAI, ANTHROPIC, GEMINI] },
  { path: '/v1/messages', headers: anthropicHeaders, bodies: bodies(anthropicRequest, anthropicBody('hi', { system: 'be brief', tools: [{ name: 'f', input_schema: { type: 'object' } }] })), targets: [ANTHROPIC, OPENAI, GEMINI] },
  { path: '/v1/messages/count_tokens', headers: anthropicHeaders, bodies: bodies(anthropicRequest, anthropicBody('count me')), targets: [ANTHROPIC, OPENAI] },
  { path: '/v1beta/models/gemini-2.5-flash:generateContent', bodies: bodies(geminiRequest, geminiBody('hi', { systemInstruction: { parts: [{ text: 's' }] } })), targets: [undefined] },
  { path: '/v1beta/models/gemini-2.5-flash:streamGenerateContent', bodies: bodies(geminiRequest, geminiBody('hi')), targets: [undefined] },
  { path: '/v1/embeddings', bodies: bodies(embeddingsRequest, { model: 'text-embedding-3-small', input: ['a', 'b'] }), targets: [OPENAI, ANTHROPIC] },
  { path: '/v1/responses', bodies: bodies(responsesRequest, { model: 'gpt-4o', input: [{ role: 'user', content: 'hi' }], instructions: 'x' }), targets: [OPENAI, GEMINI] },
];

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; relayed: boolean }> {
  const res = await fetch(h.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text(), relayed: res.headers.has('x-keymux-attempts') };
}

describe('fuzz: random and mutated bodies at every entry never get a 500 from keymux', () => {
  const cases = ENTRIES.flatMap((e) => e.targets.map((t) => [`${e.path} → ${t ?? 'gemini (model in path)'}`, e, t] as const));
  test.each(cases)('%s', { timeout: TIMEOUT }, async (_name, entry, target) => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(entry.bodies, fc.nat({ max: 9 }), async (raw, pick) => {
        const body = addressed(raw, target, pick);
        const r = await post(entry.path, body, entry.headers);
        seen.set(r.status, (seen.get(r.status) ?? 0) + 1);
        expect(r.text, body.slice(0, 2_000)).not.toContain('KMX_ERR_INTERNAL');
        if (!r.relayed) expect(r.status, `${r.text.slice(0, 500)}\nfor ${body.slice(0, 2_000)}`).not.toBe(500);
      }),
      { numRuns: RUNS },
    );
    // Both halves exercised: requests refused at the entry, and requests that went all the way.
    expect([...seen.keys()].some((s) => s >= 400 && s < 500)).toBe(true);
    expect(seen.get(200) ?? 0).toBeGreaterThan(0);
  });
});
