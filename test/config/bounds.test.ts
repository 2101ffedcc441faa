// Issue #13: config input is bounded. A huge file or a YAML alias bomb fails fast with a ConfigError naming the
// file, instead of hanging or running out of memory.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/index.js';
import { MAX_CONFIG_BYTES, MAX_CONFIG_VALUES } from '../../src/config/file.js';
import { load, loadError } from './helpers.js';

/** Fails the test if loading takes longer than `ms`: the bound must act before the work, not after. */
function quickError(files: Record<string, string>, env: Record<string, string> = {}, ms = 3_000): ConfigError {
  const started = Date.now();
  const err = loadError(files, env);
  expect(Date.now() - started).toBeLessThan(ms);
  return err;
}

describe('bounded config input', { timeout: 30_000 }, () => {
  it('a config file over the size limit is an error naming the file and the limit', () => {
    const text = `# ${'x'.repeat(MAX_CONFIG_BYTES)}\nstrategy: lru\n`;
    const err = quickError({ 'keymux.yaml': text });
    expect(err.issues).toEqual([{ file: 'keymux.yaml', path: '', message: expect.stringMatching(/^too large: .* \(the limit is 1 MB\)$/) as unknown }]);
  });

  it('a .env over the size limit too', () => {
    const err = quickError({ '.env': `A=${'x'.repeat(MAX_CONFIG_BYTES)}\n` });
    expect(err.issues).toEqual([{ file: '.env', path: '', message: expect.stringMatching(/^too large: /) as unknown }]);
  });

  it('billion laughs (aliases of aliases) is an error naming the file', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const err = quickError({ 'keymux.yaml': levels.join('\n') });
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]).toMatchObject({ file: 'keymux.yaml', path: '' });
    expect(err.message).toMatch(/^keymux\.yaml(:\d+)?: aliases expand to more than [\d,]+ values/);
  });

  it('one big anchor aliased many times (each alias counted once by the YAML library) is an error', () => {
    const big = `[${Array.from({ length: 20_000 }, (_, i) => i).join(',')}]`;
    const yaml = `x: &big ${big}\nproviders:\n  openai:\n    models: [${Array(900).fill('*big').join(', ')}]\n`;
    const err = quickError({ 'keymux.yaml': yaml });
    expect(err.message).toMatch(/^keymux\.yaml(:\d+)?: aliases expand to more than [\d,]+ values/);
  });

  it('a big map merged (<<) many times is an error before the merge copies it', () => {
    const big = `{${Array.from({ length: 10_000 }, (_, i) => `k${i}: 1`).join(', ')}}`;
    const yaml = `x: &big ${big}\naliases: [${Array(900).fill('{<<: *big}').join(', ')}]\n`;
    const err = quickError({ 'keymux.yaml': yaml });
    expect(err.message).toMatch(/^keymux\.yaml(:\d+)?: aliases expand to more than [\d,]+ values/);
  });

  it('an alias inside its own anchor is an error, not a stack overflow', () => {
    const err = quickError({ 'keymux.yaml': 'providers: &p\n  openai:\n    keys: [*p]\n' });
    expect(err.message).toBe('keymux.yaml:3: an alias (*p) inside its own anchor makes an endless value');
  });

  it('the limits leave room for a real config: ten thousand keys with merged defaults', () => {
    expect(MAX_CONFIG_VALUES).toBeGreaterThanOrEqual(100_000);
    const lines = ['providers:', '  openai:', '    keys:', '      - &d { key: sk-proj-first, rpm: 30, maxConcurrent: 2 }'];
    for (let i = 1; i < 10_000; i++) lines.push(`      - { <<: *d, key: sk-proj-${String(i).padStart(40, '0')} }`);
    const text = lines.join('\n');
    expect(text.length).toBeLessThan(MAX_CONFIG_BYTES);
    const keys = load({ 'keymux.yaml': text }).providers[0]?.keys ?? [];
    expect(keys).toHaveLength(10_000);
    expect(keys[9_999]).toEqual({ key: `sk-proj-${String(9_999).padStart(40, '0')}`, rpm: 30, maxConcurrent: 2 });
  });
});
