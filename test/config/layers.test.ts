import { describe, expect, it } from 'vitest';
import { getAt, mergeLayers } from '../../src/config/layers.js';
import { DEFAULTS, ENV_SETTINGS, FLAG_SETTINGS, SETTING_SECTIONS, settingsSchema } from '../../src/config/schema.js';
import { load, loadError } from './helpers.js';

describe('the generic merge', () => {
  it('later layers win, field by field; undefined never overrides', () => {
    const merged = mergeLayers([
      { server: { port: 1, host: 'a' }, strategy: 'lru' },
      { server: { port: 2, host: undefined }, strategy: undefined },
      { server: undefined, logLevel: 'warn' },
    ]);
    expect(merged).toEqual({ server: { port: 2, host: 'a' }, strategy: 'lru', logLevel: 'warn' });
  });

  it('replaces lists whole and never changes its layers', () => {
    const under = { a: { list: [1, 2], n: 1 } };
    const merged = mergeLayers([under, { a: { list: [3] } }]);
    expect(merged).toEqual({ a: { list: [3], n: 1 } });
    expect(under).toEqual({ a: { list: [1, 2], n: 1 } });
  });

  it('getAt reads a path, undefined when any step is missing', () => {
    expect(getAt({ cooldown: { maxMs: 5 } }, ['cooldown', 'maxMs'])).toBe(5);
    expect(getAt({ cooldown: 3 }, ['cooldown', 'maxMs'])).toBeUndefined();
    expect(getAt({}, ['cooldown', 'maxMs'])).toBeUndefined();
  });
});

describe('the settings tree drives every layer', () => {
  it('DEFAULTS is a complete, valid settings tree', () => {
    expect(settingsSchema.safeParse(DEFAULTS).success).toBe(true);
  });

  it('the file accepts exactly the settings, section by section', () => {
    expect(Object.keys(SETTING_SECTIONS)).toEqual(Object.keys(settingsSchema.shape));
  });

  it('every env variable names a setting, and reaches it', () => {
    // Text as the environment holds it → the value the setting's schema makes of it.
    const samples: Record<string, [string, unknown]> = {
      'server.port': ['1_234', 1234],
      'server.host': [' 10.1.2.3 ', '10.1.2.3'],
      strategy: ['lru', 'lru'],
      logLevel: ['debug', 'debug'],
      'recovery.recheckMs': ['30m', 1_800_000],
      'requestLog.path': [' /var/log/kmx.jsonl ', '/var/log/kmx.jsonl'],
      'requestLog.maxBytes': ['10mb', 10 * 1024 * 1024],
      'requestLog.keep': ['3', 3],
      'storage.type': ['sqlite', 'sqlite'],
      'storage.dataDir': ['/srv/keymux', '/srv/keymux'],
      'storage.retentionDays': ['30', 30],
      'admin.keys': ['adm-1, adm-2', ['adm-1', 'adm-2']],
      'admin.encryptionKey': [' a passphrase ', 'a passphrase'],
      'admin.allowPlaintextKeys': ['1', true],
      'redis.url': [' redis://cache:6379 ', 'redis://cache:6379'],
      'redis.prefix': ['kmx:', 'kmx:'],
      'redis.usage': ['redis', 'redis'],
    };
    for (const { vars, path } of ENV_SETTINGS) {
      const sample = samples[path.join('.')];
      if (!sample) throw new Error(`no sample value for ${path.join('.')}: add one above`);
      for (const name of vars) expect(getAt(load({}, { [name]: sample[0] }), path), name).toEqual(sample[1]);
    }
    expect(Object.keys(FLAG_SETTINGS)).toEqual(['port', 'host', 'allowPlaintextKeys']);
  });

  it('a bad flag is reported as --name, each bad value at once', () => {
    const err = loadError({}, {}, { flags: { port: 70000, host: '' } });
    expect(err.issues.map((i) => i.path)).toEqual(['--port', '--host']);
  });

  it('a file setting beats the default for every section, env beats the file only where a variable maps', () => {
    const config = load({ 'keymux.yaml': 'retry: { maxAttempts: 7 }\nqueue: { maxWaiting: 5 }\nlogLevel: warn\n' }, { KEYMUX_LOG_LEVEL: 'trace' });
    expect(config.retry.maxAttempts).toBe(7);
    expect(config.queue).toEqual({ timeoutMs: DEFAULTS.queue.timeoutMs, maxWaiting: 5, tierWaitMs: DEFAULTS.queue.tierWaitMs });
    expect(config.logLevel).toBe('trace');
  });

  it('cooldown.defaultMs above maxMs is reported at the field the file set', () => {
    const yaml = 'cooldown:\n  maxMs: 10\n';
    expect(loadError({ 'keymux.yaml': yaml }).issues).toEqual([
      { file: 'keymux.yaml', line: 2, path: 'cooldown.maxMs', message: 'cooldown.defaultMs is above cooldown.maxMs' },
    ]);
    expect(loadError({ 'keymux.yaml': 'cooldown:\n  defaultMs: 1h\n' }).issues[0]).toMatchObject({ line: 2, path: 'cooldown.defaultMs' });
  });

  it('headersTimeoutMs above requestTimeoutMs is a warning, not an error', () => {
    const config = load({ 'keymux.yaml': 'server:\n  requestTimeoutMs: 1s\n  headersTimeoutMs: 2s\n' });
    expect(config.warnings).toEqual(['keymux.yaml:3: server.headersTimeoutMs: above server.requestTimeoutMs, which cuts it short']);
  });
});
