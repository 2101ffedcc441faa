import { createHash } from 'node:crypto';
import type { KeyId } from './types.js';

/** A key's stable id: the first 12 hex digits of its SHA-256. Stable across restarts and replicas, never reversible. */
export function keyId(secret: string): KeyId {
  return createHash('sha256').update(secret).digest('hex').slice(0, 12);
}

/**
 * A key as people may see it: a recognisable vendor prefix (`sk-`, `nvapi-`, `gsk_`), an ellipsis and the last
 * four characters, so an operator can match it with the provider's console. Short keys keep only two characters,
 * and the prefix is dropped whenever it would leave fewer than six characters hidden.
 */
export function maskKey(secret: string): string {
  const s = secret.trim();
  if (s.length < 12) return s.length <= 4 ? '…' : `…${s.slice(-2)}`;
  const m = /^[A-Za-z0-9]{1,5}[-_]/.exec(s);
  const prefix = m && s.length - m[0].length - 4 >= 6 ? m[0] : '';
  return `${prefix}…${s.slice(-4)}`;
}
