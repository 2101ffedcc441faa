import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * Proxy-key check. Keys are compared as SHA-256 digests with timingSafeEqual, so neither the length nor the
 * content of a configured key leaks through timing; every configured key is compared, match or not.
 */
export class ProxyAuth {
  readonly #digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.#digests = keys.map(digest);
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
