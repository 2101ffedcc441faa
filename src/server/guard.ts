import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from './errors.js';

/**
 * What stands in for a proxy key when there is none. Open mode (no proxy keys) listens on loopback only, but a
 * web page can still reach loopback: through DNS rebinding (its own name resolving to 127.0.0.1, so the Host is
 * foreign), or by posting a "simple" cross-origin request (text/plain, no preflight). So in open mode only
 * loopback Host values and loopback (or CORS-listed) Origins are served, and browsers must send JSON, which
 * forces a preflight that only `server.cors` answers. With proxy keys the key is the guard and none of this
 * applies, except CORS. Per request this costs a few header reads and string compares.
 */
export class RequestGuard {
  readonly #open: boolean;
  readonly #cors: ReadonlySet<string>;

  constructor(proxyKeys: readonly string[], cors: readonly string[]) {
    this.#open = proxyKeys.length === 0;
    this.#cors = new Set(cors);
  }

  /**
   * Throws a 403/415 HttpError for a request that must not be served; answers a CORS preflight itself
   * (returns true: the request is done). Health checks are exempt, as from the proxy key.
   */
  check(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const origin = req.headers.origin;
    const listed = origin !== undefined && this.#cors.size > 0 && this.#cors.has(origin);
    if (this.#open && path !== '/healthz' && path !== '/readyz') {
      const host = req.headers.host;
      if (!isLoopbackHost(host)) {
        throw new HttpError('KMX_ERR_FORBIDDEN', `Host "${clip(host)}" is not a loopback name: without proxy keys keymux answers localhost, 127.0.0.1 and [::1] only`);
      }
      if (origin !== undefined && !listed && !isLoopbackOrigin(origin)) {
        throw new HttpError('KMX_ERR_FORBIDDEN', `Origin "${clip(origin)}" may not call keymux: list it in server.cors, or configure proxy keys`);
      }
    }
    const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
    if (listed) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (preflight) {
        answerPreflight(req, res);
        return true;
      }
      res.setHeader('access-control-expose-headers', EXPOSED);
    } else if (preflight) {
      throw new HttpError('KMX_ERR_FORBIDDEN', `Origin "${clip(origin)}" is not in server.cors`);
    }
    // A page can send text/plain or a form without a preflight; a JSON content type needs one, which only a
    // CORS-listed origin passes. Browsers mark their requests with Origin or Sec-Fetch-Site; curl does neither.
    if (this.#open && hasBody(req.method) && (origin !== undefined || req.headers['sec-fetch-site'] !== undefined) && !isJson(req.headers['content-type'])) {
      throw new HttpError('KMX_ERR_UNSUPPORTED_MEDIA', 'A request from a browser must be sent as Content-Type: application/json');
    }
    return false;
  }
}

/** Response headers a listed origin's scripts may read (the SDKs read these for retries and diagnostics). */
const EXPOSED = 'x-keymux-provider, x-keymux-key, x-keymux-attempts, x-keymux-warnings, retry-after, x-should-retry, request-id, x-request-id';
const ALLOWED_METHODS = 'GET, POST, OPTIONS';
/** Requested header names echoed back: a comma list of tokens, nothing else. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

function answerPreflight(req: IncomingMessage, res: ServerResponse): void {
  const asked = req.headers['access-control-request-headers'];
  const headers: Record<string, string> = {
    'access-control-allow-methods': ALLOWED_METHODS,
    // Browsers cache the answer this long (seconds), so a chatty page does not preflight every call.
    'access-control-max-age': '600',
    'content-length': '0',
  };
  // Authorization is never covered by a wildcard: the page's own list is echoed back, its origin being trusted.
  if (typeof asked === 'string' && HEADER_LIST.test(asked)) headers['access-control-allow-headers'] = asked;
  res.writeHead(204, headers);
  res.end();
}

const hasBody = (method: string | undefined): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';

function isJson(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** `localhost`, `127.0.0.1` or `[::1]`, with or without a port: the names a rebinding attack cannot forge. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return false;
  let name = host;
  let rest = '';
  if (host.charCodeAt(0) === 0x5b /* [ */) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    name = host.slice(0, end + 1);
    rest = host.slice(end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) {
      name = host.slice(0, colon);
      rest = host.slice(colon);
    }
  }
  if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return false;
  return name === '127.0.0.1' || name === '[::1]' || name.toLowerCase() === 'localhost';
}

/** An http(s) origin on a loopback name (a page served from the operator's own machine). */
export function isLoopbackOrigin(origin: string): boolean {
  const rest = origin.startsWith('http://') ? origin.slice(7) : origin.startsWith('https://') ? origin.slice(8) : undefined;
  return rest !== undefined && isLoopbackHost(rest);
}

/** An address other hosts cannot reach (127.0.0.0/8, ::1, and 127.x mapped into IPv6). */
export function isLoopbackAddress(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Why a new config must not be applied to a server listening at `bound`, or undefined when it may: a socket
 * other hosts can reach must never be left without proxy keys (keymux binds 0.0.0.0 only because keys were set).
 */
export function refuseOpenReload(bound: AddressInfo | string | null, proxyKeys: readonly string[]): string | undefined {
  if (proxyKeys.length > 0 || bound === null || typeof bound === 'string' || isLoopbackAddress(bound.address)) return undefined;
  return (
    `the new configuration has no proxy keys, but keymux listens on ${bound.address}:${bound.port}, which other hosts can reach: ` +
    'keep proxyKeys (or KEYMUX_PROXY_KEYS), or restart keymux to listen on 127.0.0.1 only'
  );
}

/** A client-supplied value quoted in an error: short, and printable. */
function clip(v: string | undefined): string {
  return (v ?? '').slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
}
