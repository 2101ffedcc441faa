// Form 1 — a list in the single-key variable: `NVIDIA_NIM_API_KEY="nvapi-a,nvapi-b,nvapi-c"` is three keys.
// The way free-claude-code users pool NIM keys; the same for every NAME_API_KEY, NAME_API_KEYS, NAME_API_KEY_N.
import { describe, expect, it } from 'vitest';
import { chat, providers, request, seenKeys, sequential, simulator, startInProcess, startKeymux, tempDir } from './harness.js';

const NIM_MODEL = 'moonshotai/kimi-k2-instruct';

/** Claude Code's request (what free-claude-code serves), and an OpenAI SDK's: both on the one NIM pool. */
async function sixRequests(url: string): Promise<void> {
  await sequential(6, (i) =>
    i % 2 === 0
      ? request(`${url}/v1/messages`, {
          headers: { 'anthropic-version': '2023-06-01', 'x-api-key': 'anything' },
          body: { model: NIM_MODEL, max_tokens: 64, messages: [{ role: 'user', content: `hello ${i}` }] },
        })
      : chat(url, `nvidia_nim/${NIM_MODEL}`, `hello ${i}`),
  );
}

describe('form 1: a comma list in the single-key variable', { timeout: 60_000 }, () => {
  it('NVIDIA_NIM_API_KEY="nvapi-a,nvapi-b,nvapi-c" keymux serve — three keys, all used', async () => {
    const sim = await simulator(['nvapi-a', 'nvapi-b', 'nvapi-c'], { flavor: 'nvidia_nim' });
    const km = await startKeymux('NVIDIA_NIM_API_KEY="nvapi-a,nvapi-b,nvapi-c" keymux serve', {
      cwd: tempDir(),
      env: { NVIDIA_NIM_BASE_URL: `${sim.url}/v1` },
    });
    expect(km.started.providers).toEqual(['nvidia_nim (3 keys)']);

    await sixRequests(km.url);
    const seen = seenKeys(sim);
    expect(Object.keys(seen).sort()).toEqual(['nvapi-a', 'nvapi-b', 'nvapi-c']);
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(6);
    expect(sim.requests.every((r) => r.status === 200 && r.model === NIM_MODEL)).toBe(true);

    const [nim] = await providers(km.url);
    expect(nim).toMatchObject({ name: 'nvidia_nim', keys: 3 });
    expect(await km.stop()).toBe(0);
  });

  it("the same line in free-claude-code's .env, with real-looking keys", async () => {
    const DOTENV = `NVIDIA_NIM_API_KEY="nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf,nvapi-VkExSimvpWS-EX-Q2HVzgVuuqHuWs6ia,nvapi-f4m9m9zC_E88aRd3H3Y1uFM6yRCzDyux"
MODEL="moonshotai/kimi-k2-instruct"
`;
    const KEYS = ['nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf', 'nvapi-VkExSimvpWS-EX-Q2HVzgVuuqHuWs6ia', 'nvapi-f4m9m9zC_E88aRd3H3Y1uFM6yRCzDyux'];
    const sim = await simulator(KEYS, { flavor: 'nvidia_nim' });
    const km = await startKeymux('keymux serve', { cwd: tempDir({ '.env': DOTENV }), env: { NVIDIA_NIM_BASE_URL: `${sim.url}/v1` } });
    expect(km.started.providers).toEqual(['nvidia_nim (3 keys)']);

    await sixRequests(km.url);
    expect(Object.keys(seenKeys(sim)).sort()).toEqual([...KEYS].sort());
    expect(await km.stop()).toBe(0);
  });

  it('the value with its quotes kept (docker run --env-file passes them through) is still three keys', async () => {
    const sim = await simulator(['nvapi-a', 'nvapi-b', 'nvapi-c'], { flavor: 'nvidia_nim' });
    const km = await startKeymux('keymux serve', {
      cwd: tempDir(),
      // No shell in between: the variable's value is `"nvapi-a,nvapi-b,nvapi-c"`, quotes and all.
      env: { NVIDIA_NIM_API_KEY: '"nvapi-a,nvapi-b,nvapi-c"', NVIDIA_NIM_BASE_URL: `${sim.url}/v1` },
    });
    await sixRequests(km.url);
    expect(Object.keys(seenKeys(sim)).sort()).toEqual(['nvapi-a', 'nvapi-b', 'nvapi-c']);
    expect(await km.stop()).toBe(0);
  });

  it('every NAME_API_KEYS, NAME_API_KEY, NAME_API_KEY_N: items trimmed, quotes and empty items dropped, duplicates merged', async () => {
    const A = 'sk-or-v1-fc58a70483e930f1f5ad3fe803a4bf7d';
    const B = 'sk-or-v1-d1816e7a4fc4eac3c29921f623610506';
    const C = 'sk-or-v1-ba362659bd39e6eb7630efc6a5c6937f';
    const D = 'sk-or-v1-3949ac3fa887c2e1275accb052c42834';
    const env = {
      OPENROUTER_API_KEYS: ` ${A} , "${B}",, ${A},`,
      OPENROUTER_API_KEY: `${B},${C}`,
      OPENROUTER_API_KEY_1: `'${D}'`,
      OPENROUTER_API_KEY_2: A,
    };
    const sim = await simulator([A, B, C, D], { flavor: 'openrouter' });
    const { url, config } = await startInProcess({}, { ...env, OPENROUTER_BASE_URL: `${sim.url}/api/v1` });
    expect(config.providers.find((p) => p.name === 'openrouter')?.keys.map((k) => k.key)).toEqual([A, B, C, D]);

    await sequential(8, (i) => chat(url, 'openrouter/anthropic/claude-3.5-sonnet', `q${i}`));
    const seen = seenKeys(sim);
    expect(Object.keys(seen).sort()).toEqual([A, B, C, D].sort());
    expect(sim.requests.every((r) => r.status === 200 && r.model === 'anthropic/claude-3.5-sonnet')).toBe(true);
    expect((await providers(url)).find((p) => p.name === 'openrouter')?.keys).toBe(4);
  });
});
