// Form 5 — requests as those tools document them: an OpenAI-dialect chat request for `gemini/gemini-1.5-flash`,
// and `curl -d '{…}'` without `-H 'Content-Type: application/json'` (curl then sends x-www-form-urlencoded).
import { describe, expect, it } from 'vitest';
import type { KeymuxServer } from '../../src/server/index.js';
import { CURL, chat, curl, request, seenKeys, sequential, simulator, startInProcess } from './harness.js';

const GEMINI_1 = 'AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c';
const GEMINI_2 = 'AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9';
const NIM_1 = 'nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf';
const NIM_2 = 'nvapi-VkExSimvpWS-EX-Q2HVzgVuuqHuWs6ia';
const NIM_3 = 'nvapi-f4m9m9zC_E88aRd3H3Y1uFM6yRCzDyux';

/** The OpenAI-dialect request for a Gemini model, as LLM-API-Key-Proxy and LiteLLM users send it. */
const CURL_GEMINI = `curl http://127.0.0.1:8080/v1/chat/completions -H "Content-Type: application/json" -d '{"model": "gemini/gemini-1.5-flash", "messages": [{"role": "user", "content": "What is the capital of France?"}]}'`;

/** curl -d without -H 'Content-Type: application/json': curl sends application/x-www-form-urlencoded. */
const CURL_NO_CONTENT_TYPE = `curl http://127.0.0.1:8080/v1/chat/completions -d '{"model": "nvidia/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "Hello"}]}'`;
/** A body that is a form, not JSON. */
const CURL_FORM = `curl http://127.0.0.1:8080/v1/chat/completions -d 'model=nvidia/meta/llama-3.1-8b-instruct' -d 'messages=Hello'`;

/** Token usage the Gemini pool has accounted, summed over its keys. */
function poolUsage(server: KeymuxServer): { input: number; output: number } {
  const keys = server.runtime.providers.get('gemini')!.pool.snapshot().keys;
  return { input: keys.reduce((n, k) => n + k.usage.inputTokens, 0), output: keys.reduce((n, k) => n + k.usage.outputTokens, 0) };
}

/** The pool hears a stream's usage as the stream ends: poll briefly rather than race it. */
async function eventually<T>(read: () => T, want: T, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (JSON.stringify(read()) !== JSON.stringify(want) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  expect(read()).toEqual(want);
}

describe('form 5: requests as the tools document them', () => {
  it('an OpenAI-dialect chat request for gemini/gemini-1.5-flash: translated to Gemini, every key used, usage exact', async () => {
    const sim = await simulator([GEMINI_1, GEMINI_2]);
    const { server, url } = await startInProcess({}, { GEMINI_API_KEYS: `${GEMINI_1},${GEMINI_2}`, GEMINI_BASE_URL: sim.url });

    const replies = await sequential(4, () => curl(CURL_GEMINI, url));
    for (const r of replies) {
      expect(r.json).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'echo: What is the capital of France?' } }] });
    }
    // keymux speaks Gemini's own API upstream (generateContent), with the key in x-goog-api-key.
    expect(sim.requests.map((r) => r.path)).toEqual(Array(4).fill('/v1beta/models/gemini-1.5-flash:generateContent'));
    expect(seenKeys(sim)).toEqual({ [GEMINI_1]: 2, [GEMINI_2]: 2 });

    // Usage: what the client was told is what the pool accounted, token for token.
    const told = replies.map((r) => r.json.usage as { prompt_tokens: number; completion_tokens: number; total_tokens: number });
    for (const u of told) expect(u.total_tokens).toBe(u.prompt_tokens + u.completion_tokens);
    const once = { input: told[0]!.prompt_tokens, output: told[0]!.completion_tokens };
    expect(once.input).toBeGreaterThan(0);
    expect(poolUsage(server)).toEqual({ input: 4 * once.input, output: 4 * once.output });

    // Streaming with include_usage: the last chunk carries the same usage, and the pool counts it.
    const streamed = await chat(url, 'gemini/gemini-1.5-flash', 'What is the capital of France?', {}, { stream: true, stream_options: { include_usage: true } });
    expect(streamed.status).toBe(200);
    const chunks = streamed.text
      .split('\n')
      .filter((l) => l.startsWith('data: ') && l !== 'data: [DONE]')
      .map((l) => JSON.parse(l.slice(6)) as { choices: Array<{ delta?: { content?: string } }>; usage?: unknown });
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('echo: What is the capital of France?');
    expect(chunks.at(-1)?.usage).toEqual(told[0]);
    expect(sim.requests.at(-1)?.path).toBe('/v1beta/models/gemini-1.5-flash:streamGenerateContent');
    await eventually(() => poolUsage(server), { input: 5 * once.input, output: 5 * once.output });

    // Streaming without it: the client gets no usage chunk, the pool still counts every token.
    const plain = await chat(url, 'gemini/gemini-1.5-flash', 'What is the capital of France?', {}, { stream: true });
    expect(plain.status).toBe(200);
    expect(plain.text).not.toContain('"usage"');
    await eventually(() => poolUsage(server), { input: 6 * once.input, output: 6 * once.output });
    expect(seenKeys(sim)).toEqual({ [GEMINI_1]: 3, [GEMINI_2]: 3 });
  });

  describe('curl -d without a Content-Type (application/x-www-form-urlencoded)', () => {
    const BODY = '{"model": "nvidia/meta/llama-3.1-8b-instruct", "messages": [{"role": "user", "content": "Hello"}]}';

    async function nimServer() {
      const sim = await simulator([NIM_1, NIM_2, NIM_3, GEMINI_1], { flavor: 'nvidia_nim' });
      const started = await startInProcess({}, { NVIDIA_API_KEY: `${NIM_1},${NIM_2},${NIM_3}`, NVIDIA_NIM_BASE_URL: `${sim.url}/v1`, GEMINI_API_KEY: GEMINI_1, GEMINI_BASE_URL: sim.url });
      return { sim, ...started };
    }
    const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

    it('a body that parses as JSON is accepted on every JSON route; every key used', async () => {
      const { sim, url } = await nimServer();
      const replies = await sequential(3, () => request(`${url}/v1/chat/completions`, { body: BODY, headers: FORM }));
      expect(replies.map((r) => r.json.choices[0].message.content)).toEqual(Array(3).fill('echo: Hello'));
      expect(seenKeys(sim)).toEqual({ [NIM_1]: 1, [NIM_2]: 1, [NIM_3]: 1 });

      const anthropic = await request(`${url}/v1/messages`, {
        headers: { ...FORM, 'anthropic-version': '2023-06-01' },
        body: '{"model": "nvidia/meta/llama-3.1-8b-instruct", "max_tokens": 32, "messages": [{"role": "user", "content": "Hi"}]}',
      });
      expect(anthropic.status).toBe(200);
      expect(anthropic.json).toMatchObject({ type: 'message', content: [{ type: 'text', text: 'echo: Hi' }] });
      const gemini = await request(`${url}/v1beta/models/gemini-1.5-flash:generateContent`, { headers: FORM, body: '{"contents": [{"parts": [{"text": "Hi"}]}]}' });
      expect(gemini.status).toBe(200);
      expect(gemini.json.candidates[0].content.parts[0].text).toBe('echo: Hi');
    });

    it('one that does not parse gets the 400 that says so, and reaches no provider', async () => {
      const { sim, url } = await nimServer();
      const r = await request(`${url}/v1/chat/completions`, { body: 'model=nvidia/meta/llama-3.1-8b-instruct&messages=Hello', headers: FORM });
      expect(r.status).toBe(400);
      expect(r.json.error.code).toBe('KMX_ERR_BAD_JSON');
      expect(r.json.error.message).toMatch(/^The request body is not valid JSON: .*\(sent as application\/x-www-form-urlencoded; send JSON with Content-Type: application\/json\)$/);
      expect(sim.requests).toEqual([]);
    });

    it(`the documented curl lines, with ${CURL ?? 'fetch (curl is not installed)'}`, async () => {
      const { sim, url } = await nimServer();
      for (let i = 0; i < 3; i++) {
        const r = await curl(CURL_NO_CONTENT_TYPE, url);
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ object: 'chat.completion', choices: [{ message: { content: 'echo: Hello' } }] });
      }
      expect(seenKeys(sim)).toEqual({ [NIM_1]: 1, [NIM_2]: 1, [NIM_3]: 1 });

      const bad = await curl(CURL_FORM, url);
      expect(bad.status).toBe(400);
      expect(bad.json).toEqual({
        error: {
          // The middle is V8's own JSON.parse message, worded differently across Node versions.
          message: expect.stringMatching(/^The request body is not valid JSON: .+ \(sent as application\/x-www-form-urlencoded; send JSON with Content-Type: application\/json\)$/),
          type: 'invalid_request_error',
          param: null,
          code: 'KMX_ERR_BAD_JSON',
        },
      });
      expect(sim.requests.length).toBe(3);
    });
  });
});
