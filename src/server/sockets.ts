import type { Server, ServerOptions } from 'node:http';
import type { Config } from '../config/index.js';

/**
 * Bounds on client sockets, before any auth: a client that dribbles its head (or its body) is answered 408 and
 * cut, an idle keep-alive socket is closed, and past the cap a new connection is closed at once. On Node 20
 * `requestTimeout` covers receiving the request only (the parser stops tracking a connection once its request is
 * complete), so answers and streams of any length are never cut by it.
 */
export function clientSocketOptions(s: Config['server']): ServerOptions {
  const headersTimeout = s.clientHeadersTimeoutMs;
  // Node throws when the head's timeout exceeds the whole request's: the head is part of the request.
  const requestTimeout = Math.max(s.clientRequestTimeoutMs, headersTimeout);
  return {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: s.keepAliveTimeoutMs,
    // Both timeouts are only checked on this interval (Node's default 30 s would let a 30 s timeout run to 60 s);
    // a check walks the connections still receiving a request, which is cheap.
    connectionsCheckingInterval: Math.min(5_000, Math.max(10, Math.floor(Math.min(headersTimeout, requestTimeout) / 4))),
  };
}

/**
 * The connection cap. Health checks share it: a probe on a fresh connection is refused while the cap is reached,
 * and answered as soon as any connection closes (idle ones close after keepAliveTimeoutMs). Reserving slots for
 * probes is not possible here: the path is not known when a connection is accepted.
 */
export function capConnections(http: Server, s: Config['server']): void {
  http.maxConnections = s.maxConnections;
}
