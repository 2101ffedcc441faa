import type { Server, ServerOptions, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

/** One controller per client connection, aborted when it closes (see clientGone). */
const GONE = new WeakMap<Socket, AbortController>();

/**
 * A signal that aborts when the client goes away: it aborts the upstream call and the wait for a key. A client
 * leaves by closing its connection (a response cut short closes it too), so the signal belongs to the connection,
 * made at its first request and shared by the requests a keep-alive connection carries one after another: an
 * AbortController and a 'close' listener per request were ~2% of a proxied request's CPU. Once the connection has
 * closed nothing more arrives on it, so an aborted signal never meets a later request. A response whose socket is
 * already gone (detached) gets a signal of its own, aborted on the response's close unless it had finished.
 */
export function clientGone(res: ServerResponse): AbortSignal {
  const socket = res.socket;
  if (socket === null || socket.destroyed) {
    const ac = new AbortController();
    if (socket?.destroyed || res.destroyed) ac.abort();
    else res.once('close', () => !res.writableFinished && ac.abort());
    return ac.signal;
  }
  let ac = GONE.get(socket);
  if (ac === undefined) {
    const made = new AbortController();
    GONE.set(socket, (ac = made));
    socket.once('close', () => made.abort());
  }
  return ac.signal;
}
