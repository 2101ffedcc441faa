// Form 2 — provider names people already type: `google` is Gemini (GOOGLE_API_KEY(S), GOOGLE_API_KEY_N, `google/`),
// `nvidia` is NVIDIA NIM (NVIDIA_API_KEY(S), `nvidia/`). Aliases live in the catalog; /v1/providers shows canonical names.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CATALOG, envPrefixes, findProvider } from '../../src/providers/catalog.js';
import { ROOT, chat, providers, request, seenKeys, sequential, simulator, startInProcess } from './harness.js';

const G1 = 'AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c';
const G2 = 'AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9';
const G3 = 'AIzaSy3Db6jCdq5ewHysL_BQtfsdgxRZSZNijge';

describe('form 2: provider aliases people already type', () => {
  it('GOOGLE_API_KEY, GOOGLE_API_KEYS, GOOGLE_API_KEY_2 and the prefix google/ reach the Gemini provider', async () => {
    const DOTENV = `GOOGLE_API_KEY=AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c
GOOGLE_API_KEYS=AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9
GOOGLE_API_KEY_2=AIzaSy3Db6jCdq5ewHysL_BQtfsdgxRZSZNijge
`;
    const sim = await simulator([G1, G2, G3]);
    const { url } = await startInProcess({ '.env': DOTENV }, { GEMINI_BASE_URL: sim.url });

    // OpenAI SDK with `google/…`, and Google's own SDK shape with a bare model: one pool.
    await sequential(4, (i) => chat(url, 'google/gemini-1.5-flash', `q${i}`));
    await sequential(2, (i) =>
      request(`${url}/v1beta/models/gemini-1.5-flash:generateContent`, { body: { contents: [{ role: 'user', parts: [{ text: `n${i}` }] }] } }),
    );
    expect(Object.keys(seenKeys(sim)).sort()).toEqual([G1, G2, G3].sort());
    expect(sim.requests.every((r) => r.dialect === 'gemini' && r.model === 'gemini-1.5-flash' && r.status === 200)).toBe(true);

    const rows = await providers(url);
    expect(rows.map((p) => p.name)).toEqual(['gemini']);
    expect(rows[0]).toMatchObject({ name: 'gemini', label: 'Google Gemini', dialect: 'gemini', aliases: ['google'], keys: 3 });
  });

  it('NVIDIA_API_KEY, NVIDIA_API_KEYS and the prefix nvidia/ reach NVIDIA NIM', async () => {
    const DOTENV = `NVIDIA_API_KEY=nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf
NVIDIA_API_KEYS=nvapi-VkExSimvpWS-EX-Q2HVzgVuuqHuWs6ia,nvapi-f4m9m9zC_E88aRd3H3Y1uFM6yRCzDyux
`;
    const N1 = 'nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf';
    const N2 = 'nvapi-VkExSimvpWS-EX-Q2HVzgVuuqHuWs6ia';
    const N3 = 'nvapi-f4m9m9zC_E88aRd3H3Y1uFM6yRCzDyux';
    const sim = await simulator([N1, N2, N3], { flavor: 'nvidia_nim' });
    const { url } = await startInProcess({ '.env': DOTENV }, { NVIDIA_NIM_BASE_URL: `${sim.url}/v1` });

    await sequential(6, (i) => chat(url, 'nvidia/meta/llama-3.1-8b-instruct', `q${i}`));
    expect(Object.keys(seenKeys(sim)).sort()).toEqual([N1, N2, N3].sort());
    // Split at the first slash: the rest is NIM's own model id, organisation included.
    expect(sim.requests.every((r) => r.model === 'meta/llama-3.1-8b-instruct' && r.status === 200)).toBe(true);

    const rows = await providers(url);
    expect(rows.map((p) => p.name)).toEqual(['nvidia_nim']);
    expect(rows[0]).toMatchObject({ label: 'NVIDIA NIM', aliases: ['nvidia', 'nim'], keys: 3 });
  });

  it('a config file may name the provider google: too; it merges with GEMINI_API_KEY into one gemini pool', async () => {
    const sim = await simulator([G1, G2]);
    const YAML = `providers:\n  google:\n    keys: [${G1}]\n`;
    const { url, config } = await startInProcess({ 'keymux.yaml': YAML }, { GEMINI_API_KEY: G2, GOOGLE_BASE_URL: sim.url });
    expect(config.providers.map((p) => [p.name, p.keys.length])).toEqual([['gemini', 2]]);
    await sequential(4, (i) => chat(url, 'gemini/gemini-1.5-flash', `q${i}`));
    expect(Object.keys(seenKeys(sim)).sort()).toEqual([G1, G2].sort());
    expect((await providers(url)).map((p) => p.name)).toEqual(['gemini']);
  });

  it('aliases live in the catalog, in one place: env prefixes and model prefixes derive from it', () => {
    expect(findProvider('google')?.name).toBe('gemini');
    expect(findProvider('nvidia')?.name).toBe('nvidia_nim');
    expect(findProvider('NVIDIA-NIM')?.name).toBe('nvidia_nim');
    expect(envPrefixes(findProvider('gemini')!)).toEqual(['GEMINI', 'GOOGLE']);
    expect(envPrefixes(findProvider('nvidia')!)).toEqual(['NVIDIA_NIM', 'NVIDIA', 'NIM']);

    // No other source file spells an alias as a provider name (comments aside; `azure` is also a dialect's name).
    const DIALECTS = new Set<string>(CATALOG.map((p) => p.dialect));
    const aliases = CATALOG.flatMap((p) => p.aliases).filter((a) => !DIALECTS.has(a));
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.endsWith(join('providers', 'catalog.ts'))) {
          const text = readFileSync(path, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
          for (const a of aliases) {
            if (new RegExp(`['"\`]${a}['"\`/]|\\b${a.toUpperCase()}_API_KEY`).test(text)) offenders.push(`${relative(ROOT, path)}: ${a}`);
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(offenders).toEqual([]);
  });
});
