import { closeSync, existsSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import type { KeyPool, Usage } from '../pool/index.js';
import { PriceTable, type PriceOverrides } from '../store/index.js';
import { maskReason } from './events-log.js';
import type { Runtime } from './runtime.js';

export interface RequestLogOptions {
  path: string;
  /** Rotate when the file would pass this size (bytes). */
  maxBytes: number;
  /** Files kept: the live one and keep-1 rotated ones (path.1 newest … path.N). */
  keep: number;
  prices?: PriceOverrides;
}

/** What app.ts knows of a request when it is answered. */
export interface RequestRecord {
  route: string;
  method: string | undefined;
  /** The client's name, or a plain proxy key's id (ProxyAuth.identify), never the key. */
  client: string;
  provider: string | undefined;
  model: string | undefined;
  keyId: string | undefined;
  status: number;
  outcome: string | undefined;
  attempts: number | undefined;
  latencyMs: number;
  ttfbMs: number | undefined;
  usage: Usage | undefined;
}

/**
 * The request log: one JSON line per request and one per upstream attempt, in a file of its own (not stdout),
 * rotated by size. It carries ids and numbers only — key ids, the client's name (or proxy-key id), never a header or a key;
 * a provider's reason goes through the same key masking as the event log. Lines are written synchronously, like
 * the main log: none is lost in a crash, and a slow disk slows the server rather than growing memory.
 */
export class RequestLog {
  #fd: number;
  #size: number;
  readonly #prices: PriceTable;

  constructor(
    private readonly rt: Runtime,
    private readonly o: RequestLogOptions,
  ) {
    this.#fd = openSync(o.path, 'a', 0o600);
    this.#size = statSync(o.path).size;
    this.#prices = new PriceTable(o.prices);
    rt.eachPool((provider, pool) => this.#watch(provider, pool));
  }

  /** Attempt lines come from the pools' outcome events (every attempt, retries included). */
  #watch(provider: string, pool: KeyPool): void {
    pool.on('outcome', (e) => {
      const o = e.outcome;
      this.#write({
        time: new Date(this.rt.clock.now()).toISOString(),
        type: 'attempt',
        provider,
        model: e.model,
        keyId: e.keyId,
        outcome: o.kind,
        status: o.status,
        reason: o.reason !== undefined ? maskReason(o.reason, this.rt.providers.get(provider), this.rt) : undefined,
        latencyMs: Math.round(e.latencyMs),
        tokens: o.kind === 'ok' ? tokens(o.usage) : undefined,
      });
    });
  }

  request(r: RequestRecord): void {
    const t = tokens(r.usage);
    const cost = r.provider !== undefined && r.model !== undefined && t ? this.#prices.cost(r.provider, r.model, { inputTokens: t.input, outputTokens: t.output, cachedTokens: t.cached }) : undefined;
    this.#write({
      time: new Date(this.rt.clock.now()).toISOString(),
      type: 'request',
      method: r.method,
      route: r.route,
      client: r.client,
      provider: r.provider,
      model: r.model,
      keyId: r.keyId,
      status: r.status,
      outcome: r.outcome,
      attempts: r.attempts,
      latencyMs: r.latencyMs,
      ttfbMs: r.ttfbMs,
      tokens: t,
      costUsd: cost?.priced ? Math.round(cost.usd * 1e8) / 1e8 : undefined,
    });
  }

  close(): void {
    closeSync(this.#fd);
  }


  #write(line: Record<string, unknown>): void {
    const text = `${JSON.stringify(line)}\n`;
    const n = Buffer.byteLength(text);
    if (this.#size > 0 && this.#size + n > this.o.maxBytes) this.#rotate();
    writeSync(this.#fd, text);
    this.#size += n;
  }

  /** path → path.1 → … → path.(keep-1); the oldest is dropped. */
  #rotate(): void {
    closeSync(this.#fd);
    const { path, keep } = this.o;
    if (keep <= 1) rmSync(path, { force: true });
    else {
      rmSync(`${path}.${keep - 1}`, { force: true });
      for (let i = keep - 2; i >= 1; i--) if (existsSync(`${path}.${i}`)) renameSync(`${path}.${i}`, `${path}.${i + 1}`);
      renameSync(path, `${path}.1`);
    }
    this.#fd = openSync(path, 'a', 0o600);
    this.#size = 0;
  }
}

function tokens(u: Usage | undefined): { input: number; output: number; cached: number } | undefined {
  if (!u) return undefined;
  return { input: u.inputTokens ?? 0, output: u.outputTokens ?? 0, cached: u.cachedTokens ?? 0 };
}
