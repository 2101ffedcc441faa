import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { keyId } from '../pool/index.js';

/**
 * Proxy-key check. Keys are compared as SHA-256 digests with timingSafeEqual, so neither the length nor the
 * content of a configured key leaks through timing; every configured key is compared, match or not.
 */
export class ProxyAuth {
  readonly #digests: Buffer[];
  /** The client each key belongs to, by index: a client's name, or a plain proxy key's id (a hash, never the key). */
  readonly #names: string[];

  /** `clients`: the names of keys that belong to a named client; every other key is named by its id. */
  constructor(keys: readonly string[], clients: ReadonlyArray<{ name: string; key: string }> = []) {
    this.#digests = keys.map(digest);
    const named = new Map(clients.map((c) => [c.key, c.name]));
    this.#names = keys.map((k) => named.get(k) ?? keyId(k));
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /** True when no keys are configured, or the presented key matches one of them. */
  check(presented: string | undefined): boolean {
    if (this.#digests.length === 0) return true;
    if (!presented) return false;
    const d = digest(presented);
    let ok = false;
    for (const k of this.#digests) ok = timingSafeEqual(k, d) || ok;
    return ok;
  }

  /**
   * Who presented the key: the client's name (a plain proxy key's id), `anonymous` when no keys are configured,
   * undefined when the key matches none. One digest per request, and every configured digest compared.
   */
  identify(presented: string | undefined): string | undefined {
    if (this.#digests.length === 0) return ANONYMOUS;
    if (!presented) return undefined;
    const d = digest(presented);
    let found = -1;
    for (let i = 0; i < this.#digests.length; i++) if (timingSafeEqual(this.#digests[i]!, d)) found = i;
    return found < 0 ? undefined : this.#names[found];
  }
}

/** The client of requests on an open proxy (no keys configured), and of routes that need no key. */
export const ANONYMOUS = 'anonymous';

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** The key a client presented, wherever its dialect puts it. */
export function presentedKey(req: IncomingMessage, query: URLSearchParams | undefined): string | undefined {
  const auth = req.headers.authorization;
  if (auth) {
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (m) return m[1]!.trim();
  }
  const x = req.headers['x-api-key'] ?? req.headers['x-goog-api-key'];
  if (typeof x === 'string' && x) return x.trim();
  return query?.get('key') ?? undefined;
}
