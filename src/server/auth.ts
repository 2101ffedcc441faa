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
  /**
   * The key that last passed on each connection, and whose it is. Keep-alive clients send the same Authorization
   * on every request of a connection; a sha256 and its hash object per request were ~2% of a proxied request's
   * CPU. A request whose key equals the connection's last good one (compared in constant time, below) passes
   * without a digest. Safe because the entry only says "this exact text passed here before" under this ProxyAuth
   * (a reload builds a new one, so a removed key stops passing), and the comparison's time does not depend on
   * where the texts differ — which matters when one connection carries several clients' requests (a reverse
   * proxy in front).
   */
  readonly #lastGood = new WeakMap<object, { key: string; name: string }>();

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
  check(presented: string | undefined, conn?: object): boolean {
    return this.identify(presented, conn) !== undefined;
  }

  /**
   * Who presented the key: the client's name (a plain proxy key's id), `anonymous` when no keys are configured,
   * undefined when the key matches none. One digest per request (none for a connection's repeated key), and
   * every configured digest compared. `conn` (the request's socket) lets a connection's repeated key skip it.
   */
  identify(presented: string | undefined, conn?: object): string | undefined {
    if (this.#digests.length === 0) return ANONYMOUS;
    if (!presented) return undefined;
    const last = conn !== undefined ? this.#lastGood.get(conn) : undefined;
    if (last !== undefined && sameText(last.key, presented)) return last.name;
    const d = digest(presented);
    let found = -1;
    for (let i = 0; i < this.#digests.length; i++) if (timingSafeEqual(this.#digests[i]!, d)) found = i;
    if (found < 0) return undefined;
    const name = this.#names[found]!;
    if (conn !== undefined) this.#lastGood.set(conn, { key: presented, name });
    return name;
  }
}

/** The client of requests on an open proxy (no keys configured), and of routes that need no key. */
export const ANONYMOUS = 'anonymous';

/**
 * Equality in time that depends on the known text's length only, never on where the texts differ (`===` returns
 * at the first differing character). `known` is a key that passed; `presented` may be anyone's guess.
 */
function sameText(known: string, presented: string): boolean {
  const n = presented.length;
  let diff = known.length ^ n;
  for (let i = 0; i < known.length; i++) diff |= known.charCodeAt(i) ^ (i < n ? presented.charCodeAt(i) : 0);
  return diff === 0;
}

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
