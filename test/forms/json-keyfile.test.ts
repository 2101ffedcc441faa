// Form 4 — a JSON key file whose top level is provider → { "keys": [...] } (DeepWiki's api_keys.json), passed with
// --config as is. A list item that is exactly one ${VAR} holding a comma list is that many keys.
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chat, providers, runKeymux, seenKeys, sequential, simulator, startInProcess, startKeymux, tempDir } from './harness.js';

const API_KEYS_JSON = '{"openai":{"keys":["${OPENAI_API_KEYS}"]},"google":{"keys":["${GOOGLE_API_KEYS}"]}}';

/** What the user types: the variables the file names, then keymux with the file. */
const SHELL_SESSION = `export OPENAI_API_KEYS="sk-proj-Wci3liidg58zaef5ufACjEMB8yauRfJIjEO52OaSnyenfw,sk-proj-4T7v2T3nFktSPtIOyb9vW9ZUHR6GB6P7iw4Sm3qK6UW79Z"
export GOOGLE_API_KEYS="AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c,AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9,AIzaSy3Db6jCdq5ewHysL_BQtfsdgxRZSZNijge"
keymux serve --config api_keys.json`;

const OPENAI_1 = 'sk-proj-Wci3liidg58zaef5ufACjEMB8yauRfJIjEO52OaSnyenfw';
const OPENAI_2 = 'sk-proj-4T7v2T3nFktSPtIOyb9vW9ZUHR6GB6P7iw4Sm3qK6UW79Z';
const GOOGLE_1 = 'AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c';
const GOOGLE_2 = 'AIzaSykx0HyQ48olT30PYPW-llek7JrsysjBZv9';
const GOOGLE_3 = 'AIzaSy3Db6jCdq5ewHysL_BQtfsdgxRZSZNijge';

describe('form 4: a JSON key file of provider → { keys }', { timeout: 60_000 }, () => {
  it('keymux serve --config api_keys.json: each ${VAR} item expands to its comma list, every key used', async () => {
    const sim = await simulator([OPENAI_1, OPENAI_2, GOOGLE_1, GOOGLE_2, GOOGLE_3]);
    const cwd = tempDir({ 'api_keys.json': API_KEYS_JSON });
    const km = await startKeymux(SHELL_SESSION, { cwd, env: { OPENAI_BASE_URL: `${sim.url}/v1`, GEMINI_BASE_URL: sim.url } });
    // The file's keys and the same variables read directly are one set of keys, not two.
    expect(km.started).toMatchObject({ providers: ['openai (2 keys)', 'gemini (3 keys)'], files: [`${realpathSync(cwd)}/api_keys.json`] });
    expect(km.logs.filter((l) => l.level >= 40)).toEqual([]);

    await sequential(4, (i) => chat(km.url, 'openai/gpt-4o-mini', `q${i}`));
    await sequential(6, (i) => chat(km.url, 'google/gemini-1.5-flash', `q${i}`));
    expect(seenKeys(sim, (r) => r.dialect === 'openai')).toEqual({ [OPENAI_1]: 2, [OPENAI_2]: 2 });
    expect(seenKeys(sim, (r) => r.dialect === 'gemini')).toEqual({ [GOOGLE_1]: 2, [GOOGLE_2]: 2, [GOOGLE_3]: 2 });

    expect((await providers(km.url)).map((p) => [p.name, p.keys])).toEqual([
      ['openai', 2],
      ['gemini', 3],
    ]);
    expect(await km.stop()).toBe(0);
  });

  it('an unset variable is an error naming the file, the path openai.keys[0] and the variable', async () => {
    const FORGOT_ONE = `export GOOGLE_API_KEYS="AIzaSyQGW677WeQ90k5wAIOsTlkYHci4eLcd8_c"
keymux serve --config api_keys.json`;
    const r = await runKeymux(FORGOT_ONE, { cwd: tempDir({ 'api_keys.json': API_KEYS_JSON }) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(''); // never listened
    expect(r.stderr).toBe(`keymux: invalid configuration
api_keys.json:1: openai.keys[0]: \${OPENAI_API_KEYS} is not set (set OPENAI_API_KEYS in the environment or .env, or write \${OPENAI_API_KEYS:-default})
`);
  });

  it('the expansion is the file’s own: a variable keymux does not read by itself works the same', async () => {
    const sim = await simulator([OPENAI_1, OPENAI_2]);
    const { url, config } = await startInProcess(
      { 'team_keys.json': '{"openai":{"keys":["${TEAM_OPENAI_KEYS}"]}}' },
      { TEAM_OPENAI_KEYS: ` "${OPENAI_1}", ${OPENAI_2} ,${OPENAI_1}`, OPENAI_BASE_URL: `${sim.url}/v1` },
      { configPath: 'team_keys.json' },
    );
    expect(config.providers.map((p) => [p.name, p.keys.map((k) => k.key)])).toEqual([['openai', [OPENAI_1, OPENAI_2]]]);
    await sequential(4, (i) => chat(url, 'openai/gpt-4o-mini', `q${i}`));
    expect(seenKeys(sim)).toEqual({ [OPENAI_1]: 2, [OPENAI_2]: 2 });
  });
});
