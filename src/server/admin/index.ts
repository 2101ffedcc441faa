import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Usage } from '../../pool/index.js';
import type { ClientUsageDelta } from '../../store/index.js';
import type { Config } from '../../config/index.js';
import { ProxyAuth } from '../auth.js';
import { readBody, parseJsonBody } from '../body.js';
import { HttpError } from '../errors.js';
import { decodeSegment, sendJson } from '../routes/respond.js';
import type { Runtime } from '../runtime.js';
import { addKey, checkKey, deleteKey, setState } from './actions.js';
import { AddedKeys } from './added.js';
import { listKeys, usageSourceOf, type AdminDeps } from './keys.js';
import { AttemptStats, statsReport } from './stats.js';
import { usageReport } from './usage.js';
import { Vault } from './vault.js';

/** Admin request bodies are a key and two labels: a few KB is plenty. */
const BODY_LIMIT = 16 * 1024;

/** Whether a path belongs to the admin API (`/admin`, `/admin/...`; not `/administrator`). */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}

/**
 * The admin API under /admin: its own keys (proxy keys do not open it; off while none is set), OpenAI's error
 * shape, JSON in and out. A hand router: nine routes of one shape (/admin/keys[/:id[/action]], usage, stats)
 * need no framework, and the proxy's hot path gains nothing but one prefix test.
 */
export class Admin {
  #auth: ProxyAuth;
  #vault: Vault;
  #vaultFrom: string | undefined;
  readonly #deps: AdminDeps;
  readonly #added: AddedKeys;
  #clientBatch: ClientUsageDelta[] = [];

  constructor(
    private readonly rt: Runtime,
    config: Config,
    private readonly logger: Logger,
  ) {
    this.#auth = new ProxyAuth(config.admin.keys);
    this.#vault = new Vault(config.admin.encryptionKey, config.admin.allowPlaintextKeys);
    this.#vaultFrom = config.admin.encryptionKey;
    this.#added = new AddedKeys(rt, this.#vault, logger);
    const stats = new AttemptStats();
    stats.watch(rt);
    this.#deps = { rt, added: this.#added, stats };
  }

  /** Serves the keys added before (call once the store is open, before listening). */
  start(): Promise<void> {
    return this.#added.start();
  }

  /** After the runtime applied a new config: new admin keys, a new passphrase. (New pools reach the stats by runtime.eachPool.) */
  reload(config: Config): void {
    this.#auth = new ProxyAuth(config.admin.keys);
    if (config.admin.encryptionKey !== this.#vaultFrom || config.admin.allowPlaintextKeys !== this.#vault.allowPlaintext) {
      this.#vault = new Vault(config.admin.encryptionKey, config.admin.allowPlaintextKeys);
      this.#vaultFrom = config.admin.encryptionKey;
      this.#added.setVault(this.#vault);
    }
    void this.#added.sync().catch((err: unknown) => this.logger.warn({ err: String(err) }, 'admin: added keys not synced after reload'));
  }

  /** POST /admin/recheck: every disabled key checked now (recovery.ts); unset, the route answers 404. */
  recheck: (() => Promise<unknown[]>) | undefined;

  /** Who hears each check's verdict (the server's key-event log). */
  set onChecked(fn: AdminDeps['onChecked']) {
    this.#deps.onChecked = fn;
  }

  stop(): void {
    this.#added.stop();
    this.#flushClients();
  }

  /**
   * One proxied request's usage for its client, by the client's name (a plain proxy key's id: a hash; the key
   * itself is never kept). Gathered per tick and handed to the store in one call.
   */
  recordClient(client: string, provider: string | undefined, model: string | undefined, outcome: string | undefined, usage: Usage | undefined): void {
    if (provider === undefined || model === undefined || outcome === undefined) return;
    const store = this.rt.store;
    if (!store.addClientUsage) return;
    const ok = outcome === 'ok';
    this.#clientBatch.push({
      client,
      provider,
      model,
      at: this.rt.clock.now(),
      requests: 1,
      successes: ok ? 1 : 0,
      inputTokens: usage?.inputTokens ?? 0,
      outputTokens: usage?.outputTokens ?? 0,
      cachedTokens: usage?.cachedTokens ?? 0,
    });
    // After the turn, like the pool's usage (pool/store-sync.ts): never a store write before an answer is written.
    if (this.#clientBatch.length === 1) setImmediate(() => this.#flushClients());
  }

  #flushClients(): void {
    const batch = this.#clientBatch;
    if (batch.length === 0) return;
    this.#clientBatch = [];
    const add = this.rt.store.addClientUsage;
    add?.call(this.rt.store, batch).catch((err: unknown) => this.logger.warn({ err: String(err) }, 'admin: client usage not stored'));
  }

  /** Answers one request under /admin. Throws HttpError, which the server answers in OpenAI's error shape. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams | undefined): Promise<void> {
    if (!this.#auth.enabled) throw new HttpError('KMX_ERR_ADMIN_DISABLED', 'The admin API is off: no admin key is set. Set KEYMUX_ADMIN_KEY (several: comma-separated) to turn it on');
    if (!this.#auth.check(presentedAdminKey(req))) throw new HttpError('KMX_ERR_UNAUTHORIZED', 'Missing or invalid admin key (proxy keys do not open /admin)');
    const d = this.#deps;
    const seg = path.slice('/admin'.length).split('/').filter((s) => s !== '');
    const m = req.method ?? 'GET';
    const provider = query?.get('provider') ?? undefined;
    const [a, id, action] = seg;
    const method = (allowed: string) => {
      if (m !== allowed && !(allowed === 'GET' && m === 'HEAD')) throw new HttpError('KMX_ERR_METHOD', `${m} is not allowed on ${path.slice(0, 200)}: use ${allowed}`);
    };
    if (a === 'keys' && id === undefined) {
      if (m === 'POST') return sendJson(res, 201, { key: await addKey(d, await this.#body(req), this.#vault.canSeal) });
      method('GET');
      const keys = await listKeys(d);
      return sendJson(res, 200, { ...usageSourceOf(d), keys });
    }
    if (a === 'keys' && id !== undefined && seg.length <= 3) {
      const kid = decodeSegment(id);
      if (action === undefined) {
        method('DELETE');
        return sendJson(res, 200, await deleteKey(d, kid, provider));
      }
      if (action === 'enable' || action === 'disable' || action === 'reset') {
        method('POST');
        return sendJson(res, 200, { key: await setState(d, kid, provider, action) });
      }
      if (action === 'check') {
        method('POST');
        return sendJson(res, 200, await checkKey(d, kid, provider, query?.get('model') ?? undefined));
      }
    }
    if (a === 'recheck' && seg.length === 1 && this.recheck) {
      method('POST');
      return sendJson(res, 200, { checked: await this.recheck() });
    }
    if (a === 'usage' && seg.length === 1) {
      method('GET');
      return sendJson(res, 200, await usageReport(d, query));
    }
    if (a === 'stats' && seg.length === 1) {
      method('GET');
      return sendJson(res, 200, await statsReport(d, query));
    }
    throw new HttpError('KMX_ERR_NOT_FOUND', `No admin route ${m} ${path.slice(0, 200)}: /admin/keys, /admin/keys/:id[/enable|disable|check|reset], /admin/usage, /admin/stats`);
  }

  async #body(req: IncomingMessage): Promise<Record<string, unknown>> {
    return parseJsonBody(await readBody(req, BODY_LIMIT), req.headers['content-type']);
  }
}

/** The admin key a request presents: in a header only (a query string ends up in logs and histories). */
export function presentedAdminKey(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(.+)$/i.exec(auth) : null;
  if (m) return m[1]!.trim();
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x ? x.trim() : undefined;
}
