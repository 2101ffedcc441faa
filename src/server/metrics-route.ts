import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProxyAuth } from './auth.js';
import { HttpError } from './errors.js';
import { presentedAdminKey } from './admin/index.js';
import type { Metrics } from './metrics.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * GET /metrics: open to a scraper on the same machine, an admin key for anyone else. A request relayed by a
 * local reverse proxy (it says so with x-forwarded-for) comes from elsewhere, so it needs the key too.
 */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, adminKeys: ProxyAuth): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError('KMX_ERR_METHOD', `${req.method} is not allowed on /metrics: use GET`);
  const local = LOOPBACK.has(req.socket.remoteAddress ?? '') && req.headers['x-forwarded-for'] === undefined;
  if (!local) {
    if (!adminKeys.enabled) throw new HttpError('KMX_ERR_FORBIDDEN', '/metrics is open on loopback only; set KEYMUX_ADMIN_KEY to scrape it from elsewhere');
    if (!adminKeys.check(presentedAdminKey(req))) throw new HttpError('KMX_ERR_UNAUTHORIZED', 'Missing or invalid admin key for /metrics');
  }
  const { body, contentType } = await metrics.render();
  res.writeHead(200, { 'content-type': contentType, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
