import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { loadError, tempDir } from './helpers.js';

describe('redis settings', () => {
  it('off by default; KEYMUX_REDIS_URL, KEYMUX_REDIS_PREFIX and KEYMUX_USAGE over the file', () => {
    const cwd = tempDir({ 'keymux.yaml': 'redis: { url: "redis://10.0.0.5:6379/2", prefix: "kmx:", leaseTtlMs: 30s }\n' });
    expect(loadConfig({ cwd: tempDir(), env: {} }).redis).toEqual({ prefix: 'keymux:', usage: 'local', leaseTtlMs: 60_000, timeoutMs: 100 });
    expect(loadConfig({ cwd, env: {} }).redis).toEqual({ url: 'redis://10.0.0.5:6379/2', prefix: 'kmx:', usage: 'local', leaseTtlMs: 30_000, timeoutMs: 100 });
    const env = { KEYMUX_REDIS_URL: 'rediss://user:pw@cache.internal:6380', KEYMUX_REDIS_PREFIX: 'prod:', KEYMUX_USAGE: 'redis' };
    expect(loadConfig({ cwd, env }).redis).toMatchObject({ url: 'rediss://user:pw@cache.internal:6380', prefix: 'prod:', usage: 'redis' });
  });

  it('says what is wrong', () => {
    const text = loadError({ 'keymux.yaml': 'redis: { url: "http://cache:6379", leaseTtlMs: 5 }\n' }, { KEYMUX_USAGE: 'disk' }).message;
    expect(text).toMatch(/redis\.url.*expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(text).toMatch(/redis\.leaseTtlMs.*at least 1000/);
    expect(text).toMatch(/KEYMUX_USAGE.*expected one of local, redis/);
  });
});
