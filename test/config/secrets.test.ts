// Issue #13 (13): a key written where a name belongs (a field, a provider, a variable) must not come back whole
// in any config error or warning; it is shown masked, as the pool shows keys (`sk-…a1b2`).
import { describe, expect, it } from 'vitest';
import { maskKey } from '../../src/pool/index.js';
import { ConfigError } from '../../src/config/index.js';
import { redactKeys } from '../../src/config/redact.js';
import { load, loadError } from './helpers.js';

const OPENAI = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z';
const ANTHROPIC = 'sk-ant-api03-Zq9xW8vU7tS6rR5pQ4oN3mL2kJ1hG0fE';
const GROQ = 'gsk_Qm4Rt7Yw2Ez5Xc8Vb1Nh6Jk3Lp9As0Df';
const NVIDIA = 'nvapi-r4Xs0wTHX3GZR3CBopPMBFGxRAki7nTf';
const GEMINI = 'AIzaSyD3f9Kq2Lm8Np4Rs6Tu0Vw1Xy7Za5Bc';
/** No known prefix: an Azure or Mistral style key, 32 opaque characters. */
const OPAQUE = '9f3b2c7d1e8a4f6b0c5d2e9a7b1c3d4e';

/** Everything a load says: the error's message, its issues' every field, and the warnings. */
function said(run: () => unknown): string {
  try {
    const config = run() as { warnings: readonly string[] };
    return config.warnings.join('\n');
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [err.message, ...err.issues.flatMap((i) => [i.file ?? '', i.path, i.message])].join('\n');
  }
}

/** Neither the key, nor its body in any case (a name derived from it upper-cases it), nor a long piece of it. */
function expectNoKey(text: string, key: string): void {
  expect(text).not.toContain(key);
  const body = key.slice(-16, -4);
  expect(text.toUpperCase()).not.toContain(body.toUpperCase());
}

describe('a key where a name belongs is masked in every message', () => {
  const fileCases: Array<[string, string, Record<string, string>]> = [
    ['a field of a provider (the issue: `sk-proj-…:` under openai:)', OPENAI, { 'keymux.yaml': `providers:\n  openai:\n    ${OPENAI}:\n` }],
    ['a top-level field', ANTHROPIC, { 'keymux.yaml': `strategy: lru\n${ANTHROPIC}:\n` }],
    ['a provider name', GROQ, { 'keymux.yaml': `providers:\n  ${GROQ}:\n    keys: [x]\n` }],
    ['a provider name, with the key as its list', NVIDIA, { 'keymux.yaml': `providers:\n  ${NVIDIA}: [a, b]\n` }],
    ['a field of server:', GEMINI, { 'keymux.yaml': `server:\n  ${GEMINI}: 1\n` }],
    ['a field of a key item', OPENAI, { 'keymux.yaml': `providers:\n  openai:\n    keys:\n      - { key: x, ${OPENAI}: 1 }\n` }],
    ['a key item written as `key:` (a map of one field)', OPENAI, { 'keymux.yaml': `providers:\n  openai:\n    keys:\n      - ${OPENAI}:\n` }],
    ['a ${NAME} that is a key', GROQ, { 'keymux.yaml': `providers:\n  groq:\n    keys: ["\${${GROQ}}"]\n` }],
    ['an alias name', OPAQUE, { 'keymux.yaml': `aliases:\n  ${OPAQUE}: ${OPAQUE}\n` }],
    ['an unknown field with no known prefix', OPAQUE, { 'keymux.yaml': `providers:\n  mistral:\n    ${OPAQUE}: 1\n` }],
    ['a YAML alias named like a key', OPENAI, { 'keymux.yaml': `providers:\n  openai:\n    keys: [*${OPENAI}]\n` }],
    ['JSON: a field of a provider', OPENAI, { 'keymux.json': JSON.stringify({ providers: { openai: { [OPENAI]: 1 } } }, null, 2) }],
    ['JSON: a top-level field', ANTHROPIC, { 'keymux.json': JSON.stringify({ strategy: 'lru', [ANTHROPIC]: { keys: [] } }) }],
    ['JSON: a provider name in a key file', GROQ, { 'api_keys.json': JSON.stringify({ openai: { keys: ['a'] }, [GROQ]: { keys: ['b'] } }) }],
  ];

  it.each(fileCases)('%s', (_, key, files) => {
    const configPath = files['api_keys.json'] ? 'api_keys.json' : undefined;
    const text = said(() => load(files, {}, configPath ? { configPath } : {}));
    expect(text).not.toBe('');
    expectNoKey(text, key);
    expect(text).toContain(maskKey(key));
  });

  const envCases: Array<[string, string, Record<string, string>, Record<string, string>]> = [
    ['KEYMUX_CONFIG holding a key', OPENAI, {}, { KEYMUX_CONFIG: OPENAI }],
    ['a key pasted into KEYMUX_STRATEGY', ANTHROPIC, {}, { KEYMUX_STRATEGY: ANTHROPIC }],
    ['a key pasted into KEYMUX_PORT', GROQ, {}, { KEYMUX_PORT: GROQ }],
    ['a key pasted into NAME_BASE_URL', GROQ, {}, { GROQ_API_KEY: 'gsk-1', GROQ_BASE_URL: GROQ }],
    ['.env: KEYMUX_CONFIG holding a key', NVIDIA, { '.env': `KEYMUX_CONFIG=${NVIDIA}\n` }, {}],
    ['.env: a key pasted into KEYMUX_LOG_LEVEL', GEMINI, { '.env': `KEYMUX_LOG_LEVEL="${GEMINI}"\n` }, {}],
    ['.env: a key on a line of its own', OPENAI, { '.env': `OPENAI_API_KEY=sk-a\n${OPENAI}\n` }, {}],
    ['.env: a line missing its =', OPENAI, { '.env': `OPENAI_API_KEY ${OPENAI}\nGROQ_API_KEY=gsk-1\n` }, {}],
    ['.env: a key as the variable name', NVIDIA, { '.env': `${NVIDIA}=1\nNVIDIA_API_KEY=nvapi-x\n` }, {}],
  ];

  it.each(envCases)('%s', (_, key, files, env) => {
    const text = said(() => load(files, env));
    expectNoKey(text, key);
  });

  it('.env: a line without = is a warning at its line (masked), and does not swallow the next variable', () => {
    const config = load({ '.env': `OPENAI_API_KEY ${OPENAI}\nGROQ_API_KEY=gsk-1\n` });
    expect(config.providers.map((p) => p.name)).toEqual(['groq']);
    expect(config.warnings).toEqual([expect.stringMatching(/^\.env:1: not NAME=value/)]);
    expectNoKey(config.warnings.join('\n'), OPENAI);
  });

  it('the duplicate-key warning shows the masked form only (YAML, JSON and a key file)', () => {
    for (const [files, configPath] of [
      [{ 'keymux.yaml': `providers:\n  openai:\n    keys: [${OPENAI}, "${OPENAI}"]\n` }, undefined],
      [{ 'keymux.json': JSON.stringify({ providers: { openai: { keys: [OPENAI, { key: OPENAI, rpm: 5 }] } } }) }, undefined],
      [{ 'api_keys.json': JSON.stringify({ openai: { keys: [OPENAI, OPENAI] } }) }, 'api_keys.json'],
    ] as const) {
      const config = load(files, {}, configPath ? { configPath } : {});
      const text = config.warnings.join('\n');
      expect(text).toContain(`duplicate key ${maskKey(OPENAI)}`);
      expectNoKey(text, OPENAI);
    }
  });

  it('a ConfigError built from any issue masks key-shaped text in file, path and message', () => {
    const err = new ConfigError([{ file: `/tmp/${GROQ}.yaml`, path: `providers.${OPENAI}`, message: `'${NVIDIA}' and ${OPAQUE}` }]);
    expectNoKey(err.message, GROQ);
    expectNoKey(err.message, OPENAI);
    expectNoKey(err.message, NVIDIA);
    expectNoKey(err.message, OPAQUE);
    expect(err.issues[0]).toEqual({ file: `/tmp/${maskKey(GROQ)}.yaml`, path: `providers.${maskKey(OPENAI)}`, message: `'${maskKey(NVIDIA)}' and ${maskKey(OPAQUE)}` });
  });
});

describe('redactKeys: what looks like a key', () => {
  const KEYS = [
    OPENAI,
    ANTHROPIC,
    GROQ,
    NVIDIA,
    GEMINI,
    OPAQUE,
    'sk-or-v1-fc58a70483e930f1f5ad3fe803a4bf7d',
    'sk-live-0123456789abcdefSECRET',
    'xai-4pQ8rT2vX6zB0dF3hJ7lN1',
    'csk-9wm2k4x8r3t6y1p5v7n0c2b4',
    'fw_3ZbH7mQ9nR2tV5xW8yA1cE4g',
    'pplx-a1b2c3d4e5f6a7b8c9d0',
    'hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345',
    'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9',
    'Xk7pQ2mZ9vR4tY1wB6nC3hJ8', // Mistral style, no prefix
    'SK_PROJ_AB3DEF6HIJ9KLM2NOP5QRS8TUV1WXY4Z', // a key upper-cased into an env prefix
  ];
  const NOT_KEYS = [
    'claude-3-5-sonnet-20241022',
    'gpt-4o-mini-2024-07-18',
    'meta-llama/Llama-3.3-70B-Instruct-Turbo',
    'moonshotai/kimi-k2-instruct',
    'qwen2-vl-72b-instruct-gptq-int4',
    'mixtral-8x7b-32768',
    'gemini-2.0-flash-thinking-exp-01-21',
    'deepseek-r1-distill-llama-70b',
    'text-embedding-3-large',
    'providers.openai.keys[12].maxConcurrent',
    'requestTimeoutMs',
    'NVIDIA_NIM_API_KEY_10',
    'OPENROUTER_API_KEYS',
    'https://integrate.api.nvidia.com/v1',
    'keymux-config-AbC123/keymux.yaml',
    'duplicate key sk-…a1b2',
    'sk-a, sk-file, gsk-1, nvapi-a',
  ];

  it.each(KEYS)('masks %s', (key) => {
    expect(redactKeys(`x '${key}' y`)).toBe(`x '${maskKey(key)}' y`);
  });

  it.each(NOT_KEYS)('leaves %s alone', (text) => {
    expect(redactKeys(text)).toBe(text);
  });

  it('is idempotent: a masked form stays as it is', () => {
    const once = redactKeys(`${OPENAI} ${OPAQUE}`);
    expect(redactKeys(once)).toBe(once);
  });
});
