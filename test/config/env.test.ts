import { describe, expect, it } from 'vitest';
import { keyVarNames, keysFromEnv } from '../../src/config/env.js';
import { load, loadError, keysOf } from './helpers.js';

describe('keys from the environment', () => {
  it('NAME_API_KEYS is a comma list', () => {
    expect(keysOf(load({}, { OPENAI_API_KEYS: 'sk-a,sk-b' }), 'openai')).toEqual(['sk-a', 'sk-b']);
  });

  it('NAME_API_KEY is a comma list too', () => {
    expect(keysOf(load({}, { NVIDIA_NIM_API_KEY: 'nvapi-a,nvapi-b,nvapi-c' }), 'nvidia_nim')).toEqual(['nvapi-a', 'nvapi-b', 'nvapi-c']);
  });

  it('NVIDIA_NIM_API_KEY="nvapi-a,nvapi-b,nvapi-c" in .env is three keys', () => {
    const config = load({ '.env': 'NVIDIA_NIM_API_KEY="nvapi-a,nvapi-b,nvapi-c"\n' });
    expect(keysOf(config, 'nvidia_nim')).toEqual(['nvapi-a', 'nvapi-b', 'nvapi-c']);
  });

  it('a real env value that kept its quotes is unquoted, whole or per item', () => {
    expect(keysOf(load({}, { NVIDIA_NIM_API_KEY: '"nvapi-a,nvapi-b"' }), 'nvidia_nim')).toEqual(['nvapi-a', 'nvapi-b']);
    expect(keysOf(load({}, { OPENAI_API_KEYS: `"sk-a", 'sk-b'` }), 'openai')).toEqual(['sk-a', 'sk-b']);
  });

  it('NAME_API_KEY_<n> in numeric order, each a comma list', () => {
    const env = { OPENAI_API_KEY_10: 'sk-10', OPENAI_API_KEY_2: 'sk-2a,sk-2b', OPENAI_API_KEY_1: 'sk-1' };
    expect(keysOf(load({}, env), 'openai')).toEqual(['sk-1', 'sk-2a', 'sk-2b', 'sk-10']);
  });

  it('reads _API_KEYS, then _API_KEY, then the numbered ones', () => {
    expect(keyVarNames({ GROQ_API_KEY_3: 'x', GROQ_API_KEY_1: 'y', GROQ_API_KEYX_1: 'z' }, 'GROQ')).toEqual([
      'GROQ_API_KEYS',
      'GROQ_API_KEY',
      'GROQ_API_KEY_1',
      'GROQ_API_KEY_3',
    ]);
    const env = { GROQ_API_KEY_1: 'gsk-3', GROQ_API_KEY: 'gsk-2', GROQ_API_KEYS: 'gsk-1' };
    expect(keysFromEnv(env, ['GROQ'])).toEqual({ keys: ['gsk-1', 'gsk-2', 'gsk-3'], vars: ['GROQ_API_KEYS', 'GROQ_API_KEY', 'GROQ_API_KEY_1'] });
  });

  it('trims, drops empty items, merges duplicates keeping the first', () => {
    const env = { OPENAI_API_KEYS: ' sk-a ,, sk-b ,', OPENAI_API_KEY: 'sk-b,sk-c', OPENAI_API_KEY_1: 'sk-a' };
    expect(keysOf(load({}, env), 'openai')).toEqual(['sk-a', 'sk-b', 'sk-c']);
  });

  it('alias prefixes add keys to the canonical provider, canonical name first', () => {
    const config = load({}, { GOOGLE_API_KEY: 'AIza-google', GEMINI_API_KEY: 'AIza-gemini', NVIDIA_API_KEY_2: 'nvapi-2', NIM_API_KEYS: 'nvapi-nim' });
    expect(keysOf(config, 'gemini')).toEqual(['AIza-gemini', 'AIza-google']);
    expect(keysOf(config, 'nvidia_nim')).toEqual(['nvapi-2', 'nvapi-nim']);
    expect(config.providers.map((p) => p.name)).toEqual(['gemini', 'nvidia_nim']);
  });

  it('NAME_BASE_URL overrides the base URL; a bad one is an error naming the variable', () => {
    const config = load({}, { GROQ_API_KEY: 'gsk-1', GROQ_BASE_URL: 'http://localhost:9999/openai/v1/' });
    expect(config.providers[0]?.baseUrl).toBe('http://localhost:9999/openai/v1');
    const err = loadError({}, { GROQ_API_KEY: 'gsk-1', GROQ_BASE_URL: 'not a url' });
    expect(err.message).toBe('GROQ_BASE_URL: expected an http(s) URL');
  });

  it('env keys are added to file keys, deduplicated by secret', () => {
    const yaml = 'providers:\n  openai:\n    keys: [sk-file, { key: sk-both, rpm: 10 }]\n';
    const config = load({ 'keymux.yaml': yaml }, { OPENAI_API_KEYS: 'sk-both,sk-env' });
    expect(config.providers[0]?.keys).toEqual([{ key: 'sk-file' }, { key: 'sk-both', rpm: 10 }, { key: 'sk-env' }]);
  });

  it('custom providers read NAME_API_KEYS with the name upper-cased and - as _', () => {
    const yaml = 'providers:\n  my-local:\n    dialect: openai\n    baseUrl: http://127.0.0.1:11434/v1\n';
    const config = load({ 'keymux.yaml': yaml }, { MY_LOCAL_API_KEYS: 'local-a,local-b', MY_LOCAL_API_KEY_1: 'local-c' });
    expect(keysOf(config, 'my-local')).toEqual(['local-a', 'local-b', 'local-c']);
  });

  it('KEYMUX_PROXY_KEYS, PROXY_API_KEYS and PROXY_API_KEY all add proxy keys', () => {
    const config = load({}, { KEYMUX_PROXY_KEYS: 'p1,p2', PROXY_API_KEYS: 'p3', PROXY_API_KEY: 'p2,p4' });
    expect(config.proxyKeys).toEqual(['p1', 'p2', 'p3', 'p4']);
  });

  it('KEYMUX_PORT beats PORT; KEYMUX_HOST, KEYMUX_STRATEGY, KEYMUX_LOG_LEVEL', () => {
    const config = load({}, { KEYMUX_PORT: '9001', PORT: '9002', KEYMUX_HOST: '::1', KEYMUX_STRATEGY: 'least-used', KEYMUX_LOG_LEVEL: 'debug' });
    expect(config.server).toMatchObject({ port: 9001, host: '::1' });
    expect(config.strategy).toBe('least-used');
    expect(config.logLevel).toBe('debug');
    expect(load({}, { PORT: '3000' }).server.port).toBe(3000);
  });

  it('KEYMUX_CONFIG names the config file', () => {
    const config = load({ 'other.yml': 'strategy: lru\n' }, { KEYMUX_CONFIG: 'other.yml' });
    expect(config.strategy).toBe('lru');
    expect(loadError({}, { KEYMUX_CONFIG: 'nope.yaml' }).message).toBe('nope.yaml: config file not found (named by KEYMUX_CONFIG)');
  });

  it('bad env settings are errors naming the variable', () => {
    const err = loadError({}, { KEYMUX_PORT: 'eighty', KEYMUX_STRATEGY: 'fastest', KEYMUX_LOG_LEVEL: 'loud' });
    expect(err.issues.map((i) => i.path)).toEqual(['KEYMUX_PORT', 'KEYMUX_STRATEGY', 'KEYMUX_LOG_LEVEL']);
    expect(err.message).toContain('KEYMUX_STRATEGY: expected one of default, round-robin, least-used, lru, random, weighted');
  });
});

describe('.env', () => {
  const DOTENV = `# LLM-API-Key-Proxy style
PROXY_API_KEY="secret"
GEMINI_API_KEY_1="AIza-one"
GEMINI_API_KEY_2="AIza-two"
OPENROUTER_API_KEY_1="sk-or-v1-aaa"
`;

  it('works exactly as written', () => {
    const config = load({ '.env': DOTENV });
    expect(config.proxyKeys).toEqual(['secret']);
    expect(keysOf(config, 'gemini')).toEqual(['AIza-one', 'AIza-two']);
    expect(keysOf(config, 'openrouter')).toEqual(['sk-or-v1-aaa']);
    expect(config.server.host).toBe('0.0.0.0'); // proxy keys guard it
    expect(config.source.files.map((f) => f.split(/[\\/]/).pop())).toEqual(['.env']);
  });

  it('the real environment wins over .env', () => {
    const config = load({ '.env': DOTENV }, { PROXY_API_KEY: 'from-shell', GEMINI_API_KEY_1: 'AIza-shell' });
    expect(config.proxyKeys).toEqual(['from-shell']);
    expect(keysOf(config, 'gemini')).toEqual(['AIza-shell', 'AIza-two']);
  });

  it('fills ${VAR} in the config file, and never touches process.env', () => {
    const before = { ...process.env };
    const config = load({ '.env': 'PORT_FROM_DOTENV=7070\n', 'keymux.yaml': 'server:\n  port: ${PORT_FROM_DOTENV}\n' });
    expect(config.server.port).toBe(7070);
    expect(process.env).toEqual(before);
  });

  it('a bad value from .env is reported at its line in .env', () => {
    const err = loadError({ '.env': '# settings\n\nKEYMUX_PORT=99999\n' });
    expect(err.issues).toEqual([{ file: '.env', line: 3, path: 'KEYMUX_PORT', message: expect.stringContaining('65535') as unknown }]);
  });
});
