import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, scryptSync } from 'node:crypto';

/**
 * Seals the secrets of keys added through the admin API before they reach a store (a SQLite file, a shared
 * Redis), and opens them again. With an encryption key: AES-256-GCM, the record's key derived per record by
 * HKDF from a master key that scrypt derives once from the operator's passphrase (scrypt makes each guess at a
 * weak passphrase expensive; the per-record salt gives every record its own key, so a random 96-bit IV never
 * meets itself). The provider and key id are authenticated with it, so a sealed secret moved to another record
 * does not open. Without an encryption key, only when the operator allowed it: the secret base64url-encoded,
 * which protects nothing and says so in its prefix.
 */
export class Vault {
  readonly #master: Buffer | undefined;
  readonly allowPlaintext: boolean;

  constructor(encryptionKey: string | undefined, allowPlaintext: boolean) {
    // N=2^15, r=8: ~32 MiB and some tens of ms, once per process (and per reload that changes the passphrase).
    this.#master = encryptionKey ? scryptSync(encryptionKey, SCRYPT_SALT, 32, { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }) : undefined;
    this.allowPlaintext = allowPlaintext;
  }

  /** Whether sealing encrypts. */
  get encrypts(): boolean {
    return this.#master !== undefined;
  }

  /** Whether a key can be stored at all (encrypted, or in plain where that was allowed). */
  get canSeal(): boolean {
    return this.#master !== undefined || this.allowPlaintext;
  }

  /** The sealed form of `secret` for the record named by `binding` (provider and key id). */
  seal(secret: string, binding: string): string {
    if (!this.#master) {
      if (!this.allowPlaintext) throw new Error('no encryption key is set, and plaintext keys are not allowed');
      return `${PLAIN}${Buffer.from(secret, 'utf8').toString('base64url')}`;
    }
    const salt = randomBytes(16);
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#recordKey(salt), iv);
    c.setAAD(Buffer.from(binding, 'utf8'));
    const body = Buffer.concat([c.update(secret, 'utf8'), c.final()]);
    return [V1, salt, iv, c.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  /** The secret of a sealed record. Throws, saying why, when it cannot (no or another encryption key, tampering). */
  open(sealed: string, binding: string): string {
    if (sealed.startsWith(PLAIN)) return Buffer.from(sealed.slice(PLAIN.length), 'base64url').toString('utf8');
    const parts = sealed.split('.');
    if (parts[0] !== V1 || parts.length !== 5) throw new Error('not a sealed key this keymux knows');
    if (!this.#master) throw new Error('the key was stored encrypted and no KEYMUX_ENCRYPTION_KEY is set');
    const [salt, iv, tag, body] = parts.slice(1).map((p) => Buffer.from(p, 'base64url'));
    try {
      const d = createDecipheriv('aes-256-gcm', this.#recordKey(salt!), iv!);
      d.setAAD(Buffer.from(binding, 'utf8'));
      d.setAuthTag(tag!);
      return Buffer.concat([d.update(body!), d.final()]).toString('utf8');
    } catch {
      throw new Error('the key does not open with this KEYMUX_ENCRYPTION_KEY (another key, or the record was altered)');
    }
  }

  #recordKey(salt: Buffer): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#master!, salt, HKDF_INFO, 32));
  }
}

const V1 = 'v1';
const PLAIN = 'plain.';
/** Fixed: the passphrase is the secret; the salt only keeps keymux's derivations apart from any other use of it. */
const SCRYPT_SALT = 'keymux/admin-keys/scrypt/v1';
const HKDF_INFO = 'keymux/admin-keys/aes-256-gcm/v1';
