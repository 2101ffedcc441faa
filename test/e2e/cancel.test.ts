// A client that goes away mid-stream: keymux aborts its upstream request and frees the key (not counted as a
// failure), on a pass-through stream and on a translated one alike.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anthropicClient, openaiClient, startStack, type Stack } from './helpers.js';

let stack: Stack;
beforeAll(async () => {
  // Slow streams, so the client certainly leaves before the end.
  const slow = { chunkDelayMs: 500 };
  stack = await startStack({
    keys: { 'sk-a': slow, 'nvapi-a': slow },
    env: (sim) => ({ OPENAI_API_KEYS: 'sk-a', OPENAI_BASE_URL: `${sim}/v1`, NVIDIA_NIM_API_KEYS: 'nvapi-a', NVIDIA_NIM_BASE_URL: `${sim}/v1` }),
  });
});
afterAll(() => stack.close());

function keyState(provider: string): { status: string; inFlight: number } {
  const k = stack.server.runtime.providers.get(provider)!.pool.snapshot().keys[0]!;
  return { status: k.status, inFlight: k.inFlight };
}

describe('the client leaves mid-stream', () => {
  it('openai SDK breaks out of a pass-through stream → upstream aborted, key active and free', async () => {
    const s = await openaiClient(stack.url).chat.completions.create({
      model: 'openai/gpt-4o-mini',
      stream: true,
      messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
    });
    for await (const ch of s) {
      expect(ch.object).toBe('chat.completion.chunk');
      break; // the SDK aborts its request
    }
    const r = await stack.sim.waitFor((q) => q.key === 'sk-a' && q.aborted, 10_000);
    expect(r.path).toBe('/v1/chat/completions');
    await expect.poll(() => keyState('openai'), { timeout: 10_000 }).toEqual({ status: 'active', inFlight: 0 });
  });

  it('anthropic SDK aborts a translated stream → upstream aborted, key active and free', async () => {
    const ms = anthropicClient(stack.url).messages.stream({
      model: 'nvidia_nim/meta/llama-3.1-8b-instruct',
      max_tokens: 100,
      messages: [{ role: 'user', content: 'one two three four five six seven eight' }],
    });
    await new Promise<void>((resolve) => ms.once('text', () => resolve()));
    ms.abort();
    await expect(ms.done()).rejects.toThrow();
    await stack.sim.waitFor((q) => q.key === 'nvapi-a' && q.aborted, 10_000);
    await expect.poll(() => keyState('nvidia_nim'), { timeout: 10_000 }).toEqual({ status: 'active', inFlight: 0 });
  });
});
