// Issue #13 (14): comma lists whose items are quoted one by one, and JSON-array-looking values, in every
// comma-list setting (provider keys, proxy keys, a ${VAR} list item, a list written as one string).
import { describe, expect, it } from 'vitest';
import { splitList } from '../../src/config/util.js';
import { load, keysOf } from './helpers.js';

describe('splitList', () => {
  it.each([
    ['"sk-a","sk-b"', ['sk-a', 'sk-b']],
    ["'sk-a','sk-b'", ['sk-a', 'sk-b']],
    [` "sk-a" , 'sk-b' ,, `, ['sk-a', 'sk-b']],
    [`" sk-a ", ' sk-b '`, ['sk-a', 'sk-b']],
    ['"sk-a,sk-b"', ['sk-a', 'sk-b']],
    [`'"sk-a","sk-b"'`, ['sk-a', 'sk-b']],
    [`"'sk-a', 'sk-b'"`, ['sk-a', 'sk-b']],
    ["['sk-a', 'sk-b']", ['sk-a', 'sk-b']],
    ['["sk-a", "sk-b"]', ['sk-a', 'sk-b']],
    ['[sk-a, sk-b]', ['sk-a', 'sk-b']],
    [`"['sk-a', 'sk-b']"`, ['sk-a', 'sk-b']],
    [`'["sk-a","sk-b"]'`, ['sk-a', 'sk-b']],
    ["[ 'sk-a' ,\n 'sk-b' , ]", ['sk-a', 'sk-b']],
    ['[]', []],
    ['""', []],
    ['sk-a', ['sk-a']],
    ['"sk-a"', ['sk-a']],
    ['"sk-a","sk-a", sk-b', ['sk-a', 'sk-b']],
  ])('%j', (text, items) => {
    expect(splitList(text)).toEqual(items);
  });
});

describe('every comma-list setting', () => {
  it('provider keys from the environment: each item quoted, or a JSON-looking array', () => {
    expect(keysOf(load({}, { OPENAI_API_KEYS: '"sk-a","sk-b"' }), 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(keysOf(load({}, { OPENAI_API_KEY: "'sk-a', 'sk-b'" }), 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(keysOf(load({}, { OPENAI_API_KEY_1: "['sk-a', 'sk-b']" }), 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(keysOf(load({}, { NVIDIA_NIM_API_KEY: '["nvapi-a","nvapi-b"]' }), 'nvidia_nim')).toEqual(['nvapi-a', 'nvapi-b']);
  });

  it.each([
    ['OPENAI_API_KEYS="sk-a","sk-b"'],
    ['OPENAI_API_KEYS="sk-a", "sk-b"'],
    ["OPENAI_API_KEYS='sk-a','sk-b'"],
    ["OPENAI_API_KEYS='sk-a', 'sk-b' # two keys"],
    [`OPENAI_API_KEYS='"sk-a","sk-b"'`],
    ["OPENAI_API_KEYS=['sk-a', 'sk-b']"],
    ['OPENAI_API_KEYS=["sk-a", "sk-b"]'],
    ['export OPENAI_API_KEYS = "sk-a" , "sk-b"'],
  ])('provider keys from .env: %s', (line) => {
    const config = load({ '.env': `# keys\n${line}\nKEYMUX_PORT=9001\n` });
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(config.server.port).toBe(9001);
    expect(config.warnings).toEqual([]);
  });

  it('a quoted item may hold a # and the comment after the list is dropped', () => {
    expect(keysOf(load({ '.env': 'OPENAI_API_KEYS="sk-#a", "sk-b" # the two\n' }), 'openai')).toEqual(['sk-#a', 'sk-b']);
  });

  it('a plain quoted .env value is left to the .env parser', () => {
    const config = load({ '.env': 'OPENAI_API_KEYS="sk-a, sk-b" # comment\nPROXY_API_KEY="p-1"\n' });
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(config.proxyKeys).toEqual(['p-1']);
  });

  it('proxy keys, from the environment and from .env', () => {
    expect(load({}, { KEYMUX_PROXY_KEYS: '"p-1","p-2"', PROXY_API_KEY: "['p-3', 'p-1']" }).proxyKeys).toEqual(['p-1', 'p-2', 'p-3']);
    expect(load({ '.env': `PROXY_API_KEYS="p-1","p-2"\nPROXY_API_KEY=['p-3']\n` }).proxyKeys).toEqual(['p-1', 'p-2', 'p-3']);
  });

  it('a list written as one string in the file, and a ${VAR} list item', () => {
    const yaml = [
      `proxyKeys: "'p-1', 'p-2'"`,
      'providers:',
      '  openai:',
      `    keys: "['sk-a', 'sk-b']"`,
      '  groq:',
      '    keys: ["${GROQ_KEYS}", gsk-c]',
      `    models: '"llama-a","llama-b"'`,
    ].join('\n');
    const config = load({ 'keymux.yaml': yaml }, { GROQ_KEYS: `'gsk-a','gsk-b'` });
    expect(config.proxyKeys).toEqual(['p-1', 'p-2']);
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(keysOf(config, 'groq')).toEqual(['gsk-a', 'gsk-b', 'gsk-c']);
    expect(config.providers.find((p) => p.name === 'groq')?.models).toEqual(['llama-a', 'llama-b']);
  });
});
