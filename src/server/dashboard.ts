import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './errors.js';

/**
 * The dashboard's files, by name: a fixed allow-list, so no request path ever reaches the file system (no
 * traversal to guard against). The page is static and holds no data; its scripts call /admin with the admin key.
 */
const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'api.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'format.js': 'text/javascript; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** No inline script or style anywhere: the page's own files, and calls to its own origin only. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/** Whether a path is the dashboard's (`/dashboard`, `/dashboard/...`; not `/dashboards`). */
export function isDashboardPath(path: string): boolean {
  return path === '/dashboard' || path.startsWith('/dashboard/');
}

/**
 * Where the files are: inside a single executable they are its assets (`web/<name>`, put there by
 * scripts/build-sea.mjs); otherwise `web/` two levels above this module, which is the package root both from
 * the sources (src/server/) and from the build (dist/server/).
 */
async function readAsset(name: string): Promise<Buffer> {
  // process.getBuiltinModule, not import(): a single executable's script cannot import() (Node 20).
  const sea = process.getBuiltinModule('node:sea');
  if (sea?.isSea()) return Buffer.from(sea.getAsset(`web/${name}`));
  return readFile(new URL(`../../web/${name}`, import.meta.url));
}

async function loadAll(): Promise<Map<string, Asset>> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    const body = await readAsset(name);
    out.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
  }
  return out;
}

/**
 * Serves /dashboard (index.html) and /dashboard/<file>. The files are read once, on the first request, and
 * kept: they are part of the installed package and change only with it. Browsers revalidate every time
 * (no-cache + ETag), so an upgrade is seen at the next load.
 */
export class Dashboard {
  #assets: Promise<Map<string, Asset>> | undefined;

  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw new HttpError('KMX_ERR_METHOD', `${req.method ?? '?'} is not allowed on the dashboard: use GET`, { headers: { allow: 'GET, HEAD' } });
    }
    const name = path === '/dashboard' || path === '/dashboard/' ? 'index.html' : path.slice('/dashboard/'.length);
    if (!Object.hasOwn(FILES, name)) throw new HttpError('KMX_ERR_NOT_FOUND', `No dashboard file ${path.slice(0, 200)}`);
    this.#assets ??= loadAll().catch((err: unknown) => {
      this.#assets = undefined;
      throw err;
    });
    let asset: Asset | undefined;
    try {
      asset = (await this.#assets).get(name);
    } catch (err) {
      throw new HttpError('KMX_ERR_NOT_FOUND', `The dashboard's files are missing from this installation (${(err as Error).message.slice(0, 200)})`);
    }
    if (!asset) throw new HttpError('KMX_ERR_NOT_FOUND', `No dashboard file ${path.slice(0, 200)}`);
    const headers: Record<string, string | number> = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': 'no-cache',
      'content-security-policy': CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
    };
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': asset.body.length });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
  }
}
