import type { Redis, Result } from 'ioredis';
import { SCRIPTS } from './redis-scripts.js';

// The scripts of redis-scripts.ts, as ioredis' defineCommand adds them (its documented way to type them).
declare module 'ioredis' {
  interface RedisCommander<Context> {
    kmxAdmit(...args: Array<string | number>): Result<unknown, Context>;
    kmxRelease(...args: Array<string | number>): Result<unknown, Context>;
    kmxHeartbeat(numKeys: number, ...args: Array<string | number>): Result<unknown, Context>;
    kmxWriteState(...args: Array<string | number>): Result<unknown, Context>;
    kmxSaveLearned(...args: Array<string | number>): Result<unknown, Context>;
    kmxAddUsage(...args: Array<string | number>): Result<unknown, Context>;
  }
}

export type Log = (level: 'warn' | 'info', msg: string, fields?: Record<string, unknown>) => void;

export interface RedisLinkOptions {
  url: string;
  /** An admission not answered within this is decided locally (timed(): the hot path never waits longer). */
  timeoutMs: number;
  now: () => number;
  log?: Log;
  /** How long to wait for the first connection before serving on local state. Default 1 s. */
  connectMs?: number;
}

/** After an outage is declared, Redis is not asked again for this long: a hung Redis must not cost every request a timeout. */
const RETRY_MS = 1_000;
/** Failures in a row (no success between) that make an outage: one slow answer is one request decided locally, not an outage. */
const FAILS_FOR_OUTAGE = 3;
/** ioredis' own limit on any command, the store's and heartbeats' included: a hung Redis must not pile them up. */
const COMMAND_TIMEOUT_MS = 2_000;

/**
 * One process's connections to Redis (commands; a second one for pub/sub, which a subscribed connection needs)
 * and the answer to "can Redis help now?". Commands never queue while Redis is away (no offline queue, no
 * retries): a caller that cannot have an answer at once decides locally. The first failure of an outage is
 * logged, and so is the return, when everyone who registered with onResync catches up.
 */
export class RedisLink {
  #down = false;
  #downUntil = 0;
  #fails = 0;
  #closed = false;
  readonly #resync: Array<() => Promise<void>> = [];

  private constructor(
    readonly client: Redis,
    readonly sub: Redis,
    private readonly o: RedisLinkOptions,
  ) {
    for (const c of [client, sub]) c.on('error', () => {}); // reported through the state changes below
    client.on('ready', () => this.#up());
    client.on('close', () => this.#markDown('connection closed'));
  }

  /** Connects (ioredis loaded here, so a keymux without Redis never loads it). Resolves even when Redis is down. */
  static async open(o: RedisLinkOptions): Promise<RedisLink> {
    const { Redis } = await import('ioredis');
    const options = {
      commandTimeout: Math.max(COMMAND_TIMEOUT_MS, o.timeoutMs),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: o.connectMs ?? 1_000,
      // Reconnect for ever, soon: a Redis that comes back must be found within about a second.
      retryStrategy: (n: number) => Math.min(50 * 2 ** n, 1_000),
      // No auto-pipelining: it saves a write per command, but with no offline queue its batch throws outside any
      // caller when the connection is down (an uncaught exception); bench:proxy showed no gain in req/s from it.
    };
    const client = new Redis(o.url, options);
    for (const [name, def] of Object.entries(SCRIPTS)) client.defineCommand(name, def);
    // The subscriber queues its SUBSCRIBEs until connected and resubscribes after a reconnect (ioredis' default).
    const sub = client.duplicate({ enableOfflineQueue: true, commandTimeout: undefined });
    const link = new RedisLink(client, sub, o);
    await link.#connected();
    return link;
  }

  #ready(): boolean {
    return this.client.status === 'ready';
  }

  async #connected(): Promise<void> {
    if (this.#ready()) return;
    const ms = this.o.connectMs ?? 1_000;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.client.once('ready', done);
    });
    if (!this.#ready()) this.#markDown('not reachable at start');
  }

  /** Whether to ask Redis now: connected, and no command failed in the last second. */
  get usable(): boolean {
    return !this.#closed && this.#ready() && this.o.now() >= this.#downUntil;
  }

  /** Whether Redis was last known down (then callers keep what they must replay on its return). */
  get down(): boolean {
    return this.#down || this.#closed;
  }

  /**
   * A command failed or timed out. A few in a row (or a lost connection) are an outage: local decisions for a
   * while, then Redis is asked again.
   */
  failed(error: unknown): void {
    if (++this.#fails < FAILS_FOR_OUTAGE && this.#ready()) return;
    this.#downUntil = this.o.now() + RETRY_MS;
    this.#markDown(error instanceof Error ? error.message : String(error));
  }

  /** A command answered: Redis is back if it was away (a hung Redis comes back without a reconnect). */
  ok(): void {
    this.#fails = 0;
    if (this.#down) this.#up();
  }

  /**
   * The command's answer, or a TimeoutError after timeoutMs. Checked once more after the poll phase: a process
   * whose event loop was busy past the deadline runs its due timers before reading the answers already in its
   * sockets, and an answer that arrived in time must not count as a timeout.
   */
  timed<T>(command: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const t = setTimeout(() => setImmediate(() => {
        if (!settled) reject(new RedisTimeout(this.o.timeoutMs));
      }), this.o.timeoutMs);
      command.then(
        (v) => {
          settled = true;
          clearTimeout(t);
          resolve(v);
        },
        (e: unknown) => {
          settled = true;
          clearTimeout(t);
          reject(e);
        },
      );
    });
  }

  /** Called when Redis comes back after an outage, to replay what was kept and catch up with the others. */
  onResync(fn: () => Promise<void>): void {
    this.#resync.push(fn);
  }

  #markDown(why: string): void {
    if (this.#down || this.#closed) return;
    this.#down = true;
    this.o.log?.('warn', 'redis unreachable: serving from local state, this replica taking its share of each budget; resyncs when it returns', { why });
  }

  #up(): void {
    this.#fails = 0;
    if (!this.#down || this.#closed) return;
    this.#down = false;
    this.#downUntil = 0;
    void Promise.all(this.#resync.map((fn) => fn().catch((e: unknown) => this.failed(e)))).then(() => {
      if (!this.#down) this.o.log?.('info', 'redis reachable again: shared state resynced');
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.client.disconnect();
    this.sub.disconnect();
  }
}

export class RedisTimeout extends Error {
  constructor(ms: number) {
    super(`no answer from Redis within ${ms} ms`);
    this.name = 'RedisTimeout';
  }
}

/** The hash-tagged prefix of a provider's keys: every key of one pool in one Cluster slot. */
export function tagOf(prefix: string, provider: string): string {
  return `${prefix}{${provider}}:`;
}

/** A name made safe as part of a Redis key (groups and models may contain ':' or '{'). */
export function part(s: string): string {
  return encodeURIComponent(s);
}
