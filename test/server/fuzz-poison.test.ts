// Every member of a rich request, at every entry and for every target, replaced in turn by a value that breaks
// code which coerces what it was given: an object whose toString and valueOf are null (String(), Number() and
// template literals throw on it), an object with a __proto__ member, and a huge number. Random fuzzing found the
// first of these once in ~3,000 cases (max_tokens); this sweep tries each member on purpose. keymux must answer
// each with a 4xx of its own or relay the provider's answer, never a 500 of its own (KMX_ERR_INTERNAL).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ANTHROPIC, GEMINI, ONE_SHOT, OPENAI } from './fuzz-bodies.js';
import { startThreeProviders, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startThreeProviders(ONE_SHOT);
});
afterAll(() => h.close());


const schema = { type: 'object', properties: { city: { type: 'string', description: 'where' } }, required: ['city'] };

const CHAT = {
  messages: [
    { role: 'system', content: 'be brief' },
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }], name: 'u' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } }] },
    { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
  ],
  tools: [{ type: 'function', function: { name: 'weather', description: 'w', parameters: schema, strict: true } }],
  tool_choice: { type: 'function', function: { name: 'weather' } },
  max_tokens: 64,
  max_completion_tokens: 64,
  temperature: 0.5,
  top_p: 0.9,
  stop: ['x'],
  n: 1,
  seed: 7,
  user: 'u1',
  stream: false,
  stream_options: { include_usage: true },
  response_format: { type: 'json_schema', json_schema: { name: 'r', schema } },
  reasoning_effort: 'low',
  parallel_tool_calls: true,
  logprobs: false,
  metadata: { a: 'b' },
};

const MESSAGES = {
  max_tokens: 64,
  system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
    { role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm', signature: 's' }, { type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Oslo' } }] },
    { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'sunny' }], is_error: false }] },
  ],
  tools: [{ name: 'weather', description: 'w', input_schema: schema }],
  tool_choice: { type: 'tool', name: 'weather' },
  thinking: { type: 'enabled', budget_tokens: 1024 },
  temperature: 0.5,
  top_p: 0.9,
  top_k: 5,
  stop_sequences: ['x'],
  stream: false,
  metadata: { user_id: 'u1' },
};

const GEMINI_BODY = {
  contents: [
    { role: 'user', parts: [{ text: 'look' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] },
    { role: 'model', parts: [{ functionCall: { name: 'weather', args: { city: 'Oslo' } } }] },
    { role: 'user', parts: [{ functionResponse: { name: 'weather', response: { sky: 'sunny' } } }] },
  ],
  systemInstruction: { parts: [{ text: 'be brief' }] },
  tools: [{ functionDeclarations: [{ name: 'weather', description: 'w', parameters: schema }] }],
  toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['weather'] } },
  generationConfig: { maxOutputTokens: 64, temperature: 0.5, topP: 0.9, topK: 5, stopSequences: ['x'], responseMimeType: 'application/json', thinkingConfig: { thinkingBudget: 0 } },
  safetySettings: [{ category: 'HARM_CATEGORY_HARASSMENT', threshold: 'BLOCK_NONE' }],
};

const RESPONSES = {
  input: [
    { role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=' }] },
    { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
    { type: 'function_call_output', call_id: 'c1', output: 'sunny' },
  ],
  instructions: 'be brief',
  tools: [{ type: 'function', name: 'weather', description: 'w', parameters: schema }],
  tool_choice: { type: 'function', name: 'weather' },
  max_output_tokens: 64,
  temperature: 0.5,
  top_p: 0.9,
  reasoning: { effort: 'low' },
  text: { format: { type: 'json_schema', name: 'r', schema } },
  stream: false,
  store: false,
};

const EMBEDDINGS = { input: ['a', 'b'], dimensions: 8, encoding_format: 'float', user: 'u1' };

/** Values that break code coercing what it reads; each is spliced in as JSON text. */
const POISONS = ['{"toString":null,"valueOf":null}', '{"__proto__":{"toString":null},"length":-1}', '1e308'];

type Path = Array<string | number>;

/** Every path to a value in a JSON tree, the root excluded. */
function paths(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([...at, i]), paths(x, [...at, i], out)));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) (out.push([...at, k]), paths(x, [...at, k], out));
  return out;
}

const MARK = '"__poison__"';

/** `body` as JSON text with the value at `path` replaced by `poison` (spliced in as text: it is not a JS value). */
function poisoned(body: unknown, path: Path, poison: string): string {
  const copy = structuredClone(body) as Record<string | number, unknown>;
  let parent: Record<string | number, unknown> = copy;
  for (const seg of path.slice(0, -1)) parent = parent[seg] as Record<string | number, unknown>;
  parent[path.at(-1)!] = '__poison__';
  return JSON.stringify(copy).replace(MARK, poison);
}

interface Entry {
  path: string;
  headers?: Record<string, string>;
  body: Record<string, unknown>;
  /** Models to address; `undefined`: the model is in the path. */
  targets: ReadonlyArray<string | undefined>;
  /** Also the streaming variant of the entry (a `stream: true` body, or Gemini's streaming path). */
  streamPath?: string;
}

const anthropicHeaders = { 'anthropic-version': '2023-06-01' };
const ENTRIES: Entry[] = [
  { path: '/v1/chat/completions', body: CHAT, targets: [OPENAI, ANTHROPIC, GEMINI] },
  { path: '/v1/messages', headers: anthropicHeaders, body: MESSAGES, targets: [ANTHROPIC, OPENAI, GEMINI] },
  { path: '/v1/messages/count_tokens', headers: anthropicHeaders, body: MESSAGES, targets: [ANTHROPIC, OPENAI] },
  { path: '/v1beta/models/gemini-2.5-flash:generateContent', body: GEMINI_BODY, targets: [undefined], streamPath: '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse' },
  { path: '/v1/embeddings', body: EMBEDDINGS, targets: [OPENAI] },
  { path: '/v1/responses', body: RESPONSES, targets: [OPENAI, GEMINI] },
];

async function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; relayed: boolean }> {
  const res = await fetch(h.url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text(), relayed: res.headers.has('x-keymux-attempts') };
}

describe('poison at every member: no entry answers a coercion trap with a 500 of its own', () => {
  const cases = ENTRIES.flatMap((e) => e.targets.map((t) => [`${e.path} → ${t ?? 'gemini (model in path)'}`, e, t] as const));
  test.each(cases)('%s', { timeout: 60_000 }, async (_name, entry, target) => {
    const variants: Array<{ path: string; body: Record<string, unknown> }> = [{ path: entry.path, body: target ? { ...entry.body, model: target } : entry.body }];
    if (entry.streamPath) variants.push({ path: entry.streamPath, body: variants[0]!.body });
    else if (entry.path !== '/v1/embeddings' && !entry.path.endsWith('count_tokens')) variants.push({ path: entry.path, body: { ...variants[0]!.body, stream: true } });
    const failures: string[] = [];
    let tried = 0;
    for (const v of variants) {
      // The seed itself goes through: the sweep starts from a request keymux serves.
      const seed = await post(v.path, JSON.stringify(v.body), entry.headers);
      expect(seed.status, seed.text.slice(0, 300)).toBe(200);
      for (const p of paths(v.body)) {
        for (const poison of POISONS) {
          const text = poisoned(v.body, p, poison);
          const r = await post(v.path, text, entry.headers);
          tried++;
          if (r.text.includes('KMX_ERR_INTERNAL') || (r.status >= 500 && !r.relayed)) failures.push(`${v.path} ${p.join('.')} = ${poison}: ${r.status} ${r.text.slice(0, 200)}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(tried).toBe(variants.reduce((n, v) => n + paths(v.body).length * POISONS.length, 0));
  });
});
