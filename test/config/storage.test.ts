import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { load, loadError, tempDir } from './helpers.js';

describe('storage and prices settings', () => {
  it('the library keeps state in memory by default; a program may default to SQLite; dataDir resolves against cwd', () => {
    const cwd = tempDir();
    expect(loadConfig({ cwd, env: {} }).storage).toEqual({ type: 'memory', dataDir: join(cwd, 'data'), retentionDays: 90 });
    expect(loadConfig({ cwd, env: {}, defaults: { storage: { type: 'sqlite' } } }).storage).toEqual({ type: 'sqlite', dataDir: join(cwd, 'data'), retentionDays: 90 });
  });

  it('the file beats a program default, env beats the file', () => {
    const cwd = tempDir({ 'keymux.yaml': 'storage: { type: memory, dataDir: state, retentionDays: 30 }\n' });
    const serve = { storage: { type: 'sqlite' as const } };
    expect(loadConfig({ cwd, env: {}, defaults: serve }).storage).toEqual({ type: 'memory', dataDir: join(cwd, 'state'), retentionDays: 30 });
    const env = { KEYMUX_STORAGE: 'sqlite', KEYMUX_DATA_DIR: '/var/lib/keymux', KEYMUX_RETENTION_DAYS: '7' };
    expect(loadConfig({ cwd, env, defaults: serve }).storage).toEqual({ type: 'sqlite', dataDir: '/var/lib/keymux', retentionDays: 7 });
  });

  it('price overrides per provider/model', () => {
    const config = load({ 'keymux.yaml': 'prices:\n  openai/gpt-4o: { input: 2, output: 8 }\n  groq/llama-3.1-8b-instant: { input: 0.05, output: 0.08, cachedInput: 0 }\n' });
    expect(config.prices).toEqual({ 'openai/gpt-4o': { input: 2, output: 8 }, 'groq/llama-3.1-8b-instant': { input: 0.05, output: 0.08, cachedInput: 0 } });
  });

  it('says what is wrong', () => {
    const err = loadError(
      { 'keymux.yaml': 'storage: { type: disk, retentionDays: 0 }\nprices:\n  gpt-4o: { input: 1, output: 1 }\n  openai/x: { input: -1, output: 1, cached: 1 }\n' },
      { KEYMUX_RETENTION_DAYS: 'forever' },
    );
    const text = err.message;
    expect(text).toMatch(/storage\.type.*expected one of memory, sqlite/);
    expect(text).toMatch(/KEYMUX_RETENTION_DAYS.*whole number/);
    expect(text).toMatch(/expected 'provider\/model'/);
    expect(text).toMatch(/must be at least 0/);
    expect(text).toMatch(/unknown field 'cached'/);
  });
});
