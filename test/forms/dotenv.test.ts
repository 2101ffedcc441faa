// Form 3 — a `.env` of numbered keys with quoted values and comments, as LLM-API-Key-Proxy's quick start has
// users write it, read from the directory keymux starts in.
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chat, curl, providers, seenKeys, sequential, simulator, startInProcess, startKeymux, tempDir } from './harness.js';

const GEMINI_1 = 'AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c';
const GEMINI_2 = 'AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9';
const OPENROUTER_1 = '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';

const DOTENV = `# The key your apps send to the proxy (Authorization: Bearer …)
PROXY_API_KEY="secret"

# Provider keys: one per line, numbered _1, _2, …
GEMINI_API_KEY_1="AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c"
GEMINI_API_KEY_2="AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9"
OPENROUTER_API_KEY_1="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"
`;

/** The request as LLM-API-Key-Proxy documents it, keymux's address aside. */
const CURL_GEMINI = `curl http://127.0.0.1:8080/v1/chat/completions -H "Content-Type: application/json" -H "Authorization: Bearer secret" -d '{"model": "gemini/gemini-2.5-flash", "messages": [{"role": "user", "content": "What is the capital of France?"}]}'`;

const AUTH = { authorization: 'Bearer secret' };

describe('form 3: a .env of numbered keys', { timeout: 60_000 }, () => {
  it('keymux serve in the directory of the .env: proxy key required, every key used', async () => {
    const sim = await simulator([GEMINI_1, GEMINI_2, OPENROUTER_1], { flavor: 'openrouter' });
    const cwd = tempDir({ '.env': DOTENV });
    const km = await startKeymux('keymux serve', { cwd, env: { GEMINI_BASE_URL: sim.url, OPENROUTER_BASE_URL: `${sim.url}/api/v1` } });
    expect(km.started).toMatchObject({
      providers: ['gemini (2 keys)', 'openrouter (1 key)'],
      auth: 'proxy keys required',
      files: [`${realpathSync(cwd)}/.env`],
    });
    expect(km.logs.filter((l) => l.level >= 40)).toEqual([]); // no warning about any of it

    // The quotes are the file's, not the key's: neither a missing key nor `"secret"` gets in.
    expect((await chat(km.url, 'gemini/gemini-2.5-flash', 'hi')).status).toBe(401);
    expect((await chat(km.url, 'gemini/gemini-2.5-flash', 'hi', { authorization: 'Bearer "secret"' })).status).toBe(401);
    expect(sim.requests).toEqual([]);

    await sequential(4, () => curl(CURL_GEMINI, km.url));
    await sequential(2, (i) => chat(km.url, 'openrouter/anthropic/claude-3-opus', `q${i}`, AUTH));
    const answer = await curl(CURL_GEMINI, km.url);
    expect(answer.json.choices[0].message.content).toBe('echo: What is the capital of France?');
    expect(seenKeys(sim, (r) => r.dialect === 'gemini')).toEqual({ [GEMINI_1]: 3, [GEMINI_2]: 2 });
    expect(seenKeys(sim, (r) => r.dialect === 'openai')).toEqual({ [OPENROUTER_1]: 2 });
    expect(sim.requests.filter((r) => r.dialect === 'openai').every((r) => r.path === '/api/v1/chat/completions' && r.model === 'anthropic/claude-3-opus')).toBe(true);

    expect((await providers(km.url, AUTH)).map((p) => [p.name, p.keys])).toEqual([
      ['gemini', 2],
      ['openrouter', 1],
    ]);
    expect(await km.stop()).toBe(0);
  });

  it('the variables set in the shell win over the .env, as with every .env loader', async () => {
    const sim = await simulator([GEMINI_1, GEMINI_2, OPENROUTER_1]);
    const km = await startKeymux('GEMINI_API_KEY_2= PROXY_API_KEY=other keymux serve', {
      cwd: tempDir({ '.env': DOTENV }),
      env: { GEMINI_BASE_URL: sim.url, OPENROUTER_BASE_URL: `${sim.url}/api/v1` },
    });
    expect(km.started.providers).toEqual(['gemini (1 key)', 'openrouter (1 key)']);
    expect((await chat(km.url, 'gemini/gemini-2.5-flash', 'hi', AUTH)).status).toBe(401);
    await sequential(2, (i) => chat(km.url, 'gemini/gemini-2.5-flash', `q${i}`, { authorization: 'Bearer other' }));
    expect(seenKeys(sim)).toEqual({ [GEMINI_1]: 2 });
    expect(await km.stop()).toBe(0);
  });

  it('the same .env saved by Windows Notepad (byte-order mark, CRLF), the proxy key on its first line', async () => {
    const NOTEPAD = `\uFEFFPROXY_API_KEY="secret"\r\nGEMINI_API_KEY_1="${GEMINI_1}"\r\nGEMINI_API_KEY_2="${GEMINI_2}"\r\n`;
    const sim = await simulator([GEMINI_1, GEMINI_2]);
    const { url, config } = await startInProcess({ '.env': NOTEPAD }, { GEMINI_BASE_URL: sim.url });
    expect(config.proxyKeys).toEqual(['secret']);
    expect(config.server.host).toBe('0.0.0.0'); // guarded by a proxy key, keymux's default is to listen on every interface
    expect((await chat(url, 'gemini/gemini-2.5-flash', 'hi')).status).toBe(401);
    await sequential(4, (i) => chat(url, 'gemini/gemini-2.5-flash', `q${i}`, AUTH));
    expect(seenKeys(sim)).toEqual({ [GEMINI_1]: 2, [GEMINI_2]: 2 });
  });
});
