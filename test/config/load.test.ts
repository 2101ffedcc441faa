import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig, type Config } from '../../src/config/index.js';
import { load, loadError, tempDir } from './helpers.js';

describe('defaults < file < env < flags', () => {
  const FILE = 'server: { port: 9000, host: 10.0.0.1 }\nstrategy: lru\nlogLevel: warn\n';

  it('defaults when there is nothing', () => {
    const config = load({});
    expect(config).toEqual({
      server: {
        host: '127.0.0.1',
        port: 8080,
        bodyLimit: 32 * 1024 * 1024,
        requestTimeoutMs: 600_000,
        headersTimeoutMs: 300_000,
        cors: [],
        clientHeadersTimeoutMs: 30_000,
        clientRequestTimeoutMs: 300_000,
        keepAliveTimeoutMs: 65_000,
        maxConnections: 4_096,
        maxUpstreamBodyBytes: 64 * 1024 * 1024,
      },
      proxyKeys: [],
      clients: [],
      strategy: 'default',
      retry: { maxAttempts: 3, spillWaitMs: 300 },
      queue: { timeoutMs: 30_000, maxWaiting: 1_000, tierWaitMs: 300 },
      cooldown: { defaultMs: 1_000, maxMs: 600_000, quotaMs: 3_600_000 },
      logLevel: 'info',
      recovery: { recheckMs: 3_600_000 },
      requestLog: { maxBytes: 100 * 1024 * 1024, keep: 5 },
      storage: { type: 'memory', dataDir: expect.stringMatching(/keymux-config-[^/\\]+[/\\]data$/) as string, retentionDays: 90 },
      prices: {},
      admin: { keys: [], allowPlaintextKeys: false },
      redis: { prefix: 'keymux:', usage: 'local', leaseTtlMs: 60_000, timeoutMs: 100 },
      providers: [],
      aliases: {},
      groups: {},
      source: { files: [] },
      warnings: [],
    } satisfies Config);
    expect(config.server.port).toBe(DEFAULTS.server.port);
  });

  it('the file beats the defaults', () => {
    const config = load({ 'keymux.yaml': FILE });
    expect(config.server).toMatchObject({ port: 9000, host: '10.0.0.1' });
    expect([config.strategy, config.logLevel]).toEqual(['lru', 'warn']);
  });

  it('env beats the file', () => {
    const env = { KEYMUX_PORT: '9100', KEYMUX_HOST: '10.0.0.2', KEYMUX_STRATEGY: 'random', KEYMUX_LOG_LEVEL: 'error' };
    const config = load({ 'keymux.yaml': FILE }, env);
    expect(config.server).toMatchObject({ port: 9100, host: '10.0.0.2' });
    expect([config.strategy, config.logLevel]).toEqual(['random', 'error']);
  });

  it('flags beat env', () => {
    const config = load({ 'keymux.yaml': FILE }, { KEYMUX_PORT: '9100', KEYMUX_HOST: '10.0.0.2' }, { flags: { port: 9200, host: '::' } });
    expect(config.server).toMatchObject({ port: 9200, host: '::' });
  });

  it('host defaults to 0.0.0.0 once proxy keys exist (file or env), 127.0.0.1 otherwise', () => {
    expect(load({ 'keymux.yaml': 'proxyKeys: [pk-1]\n' }).server.host).toBe('0.0.0.0');
    expect(load({}, { KEYMUX_PROXY_KEYS: 'pk-1' }).server.host).toBe('0.0.0.0');
    const both = load({ 'keymux.yaml': 'proxyKeys: [pk-1, pk-2]\n' }, { PROXY_API_KEY: 'pk-2,pk-3' });
    expect(both.proxyKeys).toEqual(['pk-1', 'pk-2', 'pk-3']);
  });

  it('sizes and durations in the file', () => {
    const yaml = 'server: { bodyLimit: 512kb, requestTimeoutMs: 2m, headersTimeoutMs: 45s }\nqueue: { timeoutMs: 0, maxWaiting: 10 }\ncooldown: { defaultMs: 500, maxMs: 1h }\n';
    const config = load({ 'keymux.yaml': yaml });
    expect(config.server).toMatchObject({ bodyLimit: 512 * 1024, requestTimeoutMs: 120_000, headersTimeoutMs: 45_000 });
    expect(config.queue).toEqual({ timeoutMs: 0, maxWaiting: 10, tierWaitMs: 300 });
    expect(config.cooldown).toEqual({ defaultMs: 500, maxMs: 3_600_000, quotaMs: 3_600_000 });
    expect(load({ 'keymux.yaml': 'server: { bodyLimit: 1048576 }\n' }).server.bodyLimit).toBe(1_048_576);
  });
});

describe('the result', () => {
  it('is frozen all the way down', () => {
    const config = load({ 'keymux.yaml': 'providers:\n  openai:\n    keys: [{ key: sk-a, rpm: 5 }]\n    headers: { X-A: b }\naliases: { a: openai/gpt-4o }\n' });
    for (const v of [config, config.server, config.providers, config.providers[0], config.providers[0]?.keys, config.providers[0]?.keys[0], config.providers[0]?.headers, config.aliases, config.source.files, config.warnings]) {
      expect(Object.isFrozen(v)).toBe(true);
    }
    expect(() => {
      (config.server as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(() => (config.providers as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  it('lists the files read', () => {
    const cwd = tempDir({ 'keymux.yaml': 'strategy: lru\n', '.env': 'OPENAI_API_KEY=sk-a\n' });
    expect(loadConfig({ cwd, env: {} }).source.files).toEqual([join(cwd, 'keymux.yaml'), join(cwd, '.env')]);
  });
});

describe('finding the file', () => {
  it('keymux.yaml, then keymux.yml, then keymux.json; several is a warning', () => {
    const config = load({ 'keymux.yml': 'strategy: lru\n', 'keymux.json': '{"strategy": "random"}' });
    expect(config.strategy).toBe('lru');
    expect(config.warnings).toEqual(['several config files: using keymux.yml, ignoring keymux.json']);
  });

  it('configPath is relative to cwd; a missing one is an error', () => {
    expect(load({ 'conf.yaml': 'strategy: weighted\n' }, {}, { configPath: 'conf.yaml' }).strategy).toBe('weighted');
    expect(loadError({}, {}, { configPath: 'missing.yaml' }).message).toBe('missing.yaml: config file not found');
  });

  it('an empty file or empty sections are fine', () => {
    expect(load({ 'keymux.yaml': '' }).strategy).toBe('default');
    expect(load({ 'keymux.yaml': 'server:\nproviders:\n' }).server.port).toBe(8080);
  });

  it('a file that is not a map is an error', () => {
    expect(loadError({ 'keymux.yaml': '- a\n- b\n' }).message).toMatch(/^keymux\.yaml:1: expected a map of settings/);
  });
});
