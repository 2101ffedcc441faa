// Added keys at rest (the vault) and across replicas (two runtimes on one store).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { AddedKeys } from '../../src/server/admin/added.js';
import { Vault } from '../../src/server/admin/vault.js';
import { Runtime } from '../../src/server/runtime.js';
import { MemoryStore } from '../../src/store/index.js';
import { configFrom } from './helpers.js';

const SECRET = 'sk-vault-test-0123456789abcdef';

describe('Vault', () => {
  it('seals with AES-256-GCM: no trace of the secret, a fresh sealing each time, opens only with its passphrase and binding', () => {
    const v = new Vault('passphrase one', false);
    const a = v.seal(SECRET, 'openai\u0000k1');
    const b = v.seal(SECRET, 'openai\u0000k1');
    expect(a).toMatch(/^v1\./);
    expect(a).not.toBe(b);
    for (const s of [a, Buffer.from(a).toString('utf8')]) {
      expect(s).not.toContain(SECRET);
      expect(s).not.toContain(Buffer.from(SECRET).toString('base64url'));
    }
    expect(v.open(a, 'openai\u0000k1')).toBe(SECRET);
    expect(() => v.open(a, 'openai\u0000k2')).toThrow(/does not open/);
    expect(() => new Vault('passphrase two', false).open(a, 'openai\u0000k1')).toThrow(/does not open/);
    expect(() => new Vault(undefined, true).open(a, 'openai\u0000k1')).toThrow(/no KEYMUX_ENCRYPTION_KEY/);
    const parts = a.split('.');
    parts[4] = Buffer.from('x' + Buffer.from(parts[4]!, 'base64url').toString('latin1'), 'latin1').toString('base64url');
    expect(() => v.open(parts.join('.'), 'openai\u0000k1')).toThrow(/does not open/);
  });

  it('without a passphrase: refuses, or encodes in plain where allowed (and says so)', () => {
    expect(new Vault(undefined, false).canSeal).toBe(false);
    expect(() => new Vault(undefined, false).seal(SECRET, 'b')).toThrow(/not allowed/);
    const plain = new Vault(undefined, true);
    const s = plain.seal(SECRET, 'b');
    expect(s).toMatch(/^plain\./);
    expect(plain.open(s, 'b')).toBe(SECRET);
  });
});

describe('added keys across replicas', () => {
  it('a key added on one runtime is served by another sharing the store, and leaves it when deleted', async () => {
    const store = new MemoryStore();
    const config = configFrom({ OPENAI_API_KEYS: 'sk-configured-aaaaaaaa' });
    const logger = pino({ level: 'silent' });
    const vault = new Vault('shared passphrase', false);
    const [rt1, rt2] = [new Runtime(config, { store }), new Runtime(config, { store })];
    const [a, b] = [new AddedKeys(rt1, vault, logger), new AddedKeys(rt2, vault, logger)];
    await b.sync();
    expect(rt2.providers.get('openai')!.pool.snapshot().keys).toHaveLength(1);
    const id = await a.add('openai', { key: SECRET, label: 'new' }, Date.now());
    expect(id).toBe(keyId(SECRET));
    await b.sync();
    expect(rt2.providers.get('openai')!.pool.key(id)).toMatchObject({ label: 'new', status: 'active' });
    expect(b.has('openai', id)).toBe(true);
    expect(await a.remove('openai', id)).toBe(true);
    await b.sync();
    expect(rt2.providers.get('openai')!.pool.key(id)).toBeUndefined();
    await rt1.close();
    await rt2.close();
  });
});
