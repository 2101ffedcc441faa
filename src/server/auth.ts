import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Proxy-key check. Keys are compared as SHA-256 digests with timingSafeEqual, so neither the length nor the
 * content of a configured key leaks through timing; every configured key is compared, match or not.
 */
export class ProxyAuth {
  readonly #digests: Buffer[];
  /**
   * The key that last passed on each connection. Keep-alive clients send the same Authorization on every request
   * of a connection; a sha256 and its hash object per request were ~2% of a proxied request's CPU. A request whose
   * key equals the connection's last good one (compared in constant time, below) passes without a digest. Safe
   * because the entry only says "this exact text passed here before" under this ProxyAuth (a reload builds a new
   * one, so a removed key stops passing), and the comparison's time does not depend on where the texts differ —
   * which matters when one upstream connection carries several clients' requests (a reverse proxy in front).
   */
  readonly #lastGood = new WeakMap<object, string>();

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.#digests.length > 0;
  }

  /**
   * True when no keys are configured, or the presented key matches one of them. `conn` (the request's socket)
   * lets a connection's repeated key skip the digest.
   */
  check(presented: string | undefined, conn?: object): boolean {
    if (this.#digests.length === 0) return true;
    if (!presented) return false;
    const last = conn !== undefined ? this.#lastGood.get(conn) : undefined;
    if (last !== undefined && sameText(last, presented)) return true;
    const d = digest(presented);
    let ok = false;
    for (const k of this.#digests) ok = timingSafeEqual(k, d) || ok;
    if (ok && conn !== undefined) this.#lastGood.set(conn, presented);
    return ok;
  }
}

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
