import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { keyId, type KeyPool, type KeySnapshot, type Usage } from '../pool/index.js';
import type { Runtime } from './runtime.js';

/** Seconds: a cached token at 50 ms, a long completion at minutes. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];
/** Label combinations cached per metric: beyond it (clients inventing model names) children are not cached. */
const MAX_CHILDREN = 10_000;
/** key_state exports every state, each 0 or 1, so a dashboard's `== 1` finds the current one. */
const STATES: readonly string[] = ['active', 'half_open', 'cooling', 'exhausted', 'disabled'];

type Child = { inc(v?: number): void };
type HChild = { observe(v: number): void };

/**
 * A cache of prom-client children by their joined label values: `.labels()` validates and hashes its arguments
 * on every call (~1 µs); a Map lookup on one string is a fraction of that, on a path taken per request.
 */
class Children<T> {
  readonly #m = new Map<string, T>();
  constructor(private readonly make: (values: string[]) => T) {}
  get(...values: string[]): T {
    const k = values.join('\u0000');
    let c = this.#m.get(k);
    if (c === undefined) {
      c = this.make(values);
      if (this.#m.size < MAX_CHILDREN) this.#m.set(k, c);
    }
    return c;
  }
}

/**
 * The server's Prometheus metrics, on a registry of its own (no globals: tests run many servers in one
 * process). Counters and histograms are updated as things happen; the gauges (key states, queue, in flight)
 * are read from the pools' snapshots at scrape time, which costs the hot path nothing.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: Children<Child>;
  readonly #attempts: Children<Child>;
  readonly #cooldowns: Children<Child>;
  readonly #duration: Children<HChild>;
  readonly #ttfb: Children<HChild>;
  readonly #tokens: Children<Child>;
  readonly #wait: Children<HChild>;
  readonly #watched = new WeakSet<KeyPool>();
  /** Proxy key → its id: a sha256 per request is more than the whole metrics update otherwise costs. */
  readonly #clients = new Map<string, string>();

  constructor(private readonly rt: Runtime) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    const requests = new Counter({ name: 'keymux_requests_total', help: 'Requests served, by final status and client (proxy key id)', labelNames: ['provider', 'model', 'status', 'client'], registers });
    const attempts = new Counter({ name: 'keymux_upstream_attempts_total', help: 'Upstream attempts by key and outcome', labelNames: ['provider', 'key', 'outcome'], registers });
    const cooldowns = new Counter({ name: 'keymux_key_cooldowns_total', help: 'Cooldowns a key was put in (short rate-limit ones are counted here, not logged)', labelNames: ['provider', 'key'], registers });
    const duration = new Histogram({ name: 'keymux_upstream_duration_seconds', help: 'From lease to the provider\'s verdict (a stream: to its end)', labelNames: ['provider', 'model'], buckets: DURATION_BUCKETS, registers });
    const ttfb = new Histogram({ name: 'keymux_upstream_ttfb_seconds', help: 'From sending upstream to its response headers', labelNames: ['provider', 'model'], buckets: TTFB_BUCKETS, registers });
    const tokens = new Counter({ name: 'keymux_tokens_total', help: 'Tokens by kind (input, output, cached)', labelNames: ['provider', 'model', 'kind'], registers });
    const wait = new Histogram({ name: 'keymux_queue_wait_seconds', help: 'Time a request waited for its first key', labelNames: ['provider'], buckets: WAIT_BUCKETS, registers });
    this.#requests = new Children((v) => requests.labels(...v));
    this.#attempts = new Children((v) => attempts.labels(...v));
    this.#cooldowns = new Children((v) => cooldowns.labels(...v));
    this.#duration = new Children((v) => duration.labels(...v));
    this.#ttfb = new Children((v) => ttfb.labels(...v));
    this.#tokens = new Children((v) => tokens.labels(...v));
    this.#wait = new Children((v) => wait.labels(...v));

    // Scrape-time gauges: one pass over the snapshots (reset first, so a removed key or provider disappears).
    const snapshots = () => [...this.rt.providers.values()].map((p) => ({ name: p.name, snap: p.pool.snapshot() }));
    new Gauge({
      name: 'keymux_key_state', help: '1 for the key\'s current state', labelNames: ['provider', 'key', 'state'], registers,
      collect() {
        this.reset();
        for (const { name, snap } of snapshots()) for (const k of snap.keys) for (const s of STATES) this.set({ provider: name, key: k.id, state: s }, s === stateOf(k) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'keymux_key_remaining_requests', help: 'Requests left in the key\'s budget, where the provider says', labelNames: ['provider', 'key'], registers,
      collect() {
        this.reset();
        for (const { name, snap } of snapshots()) {
          for (const k of snap.keys) {
            const r = k.budgets?.['*']?.requestsRemaining ?? k.limits?.requests?.remaining;
            if (r !== undefined) this.set({ provider: name, key: k.id }, r);
          }
        }
      },
    });
    new Gauge({
      name: 'keymux_queue_waiting', help: 'Requests waiting for a key', labelNames: ['provider'], registers,
      collect() {
        this.reset();
        for (const { name, snap } of snapshots()) this.set({ provider: name }, snap.waiting);
      },
    });
    new Gauge({
      name: 'keymux_inflight', help: 'Upstream requests in flight', labelNames: ['provider'], registers,
      collect() {
        this.reset();
        for (const { name, snap } of snapshots()) this.set({ provider: name }, snap.keys.reduce((n, k) => n + k.inFlight, 0));
      },
    });
    this.watch();
  }

  /** Listens to every pool not listened to yet (at start and after a reload made new ones). */
  watch(): void {
    for (const p of this.rt.providers.values()) {
      if (this.#watched.has(p.pool)) continue;
      this.#watched.add(p.pool);
      const provider = p.name;
      p.pool.on('outcome', (e) => {
        this.#attempts.get(provider, e.keyId, e.outcome.kind).inc();
        if (e.outcome.kind === 'cancelled') return;
        this.#duration.get(provider, e.model).observe(e.latencyMs / 1000);
        if (e.outcome.kind === 'ok' && e.outcome.usage) this.#usage(provider, e.model, e.outcome.usage);
      });
      p.pool.on('cooldown', (e) => this.#cooldowns.get(provider, e.keyId).inc());
    }
  }

  #usage(provider: string, model: string, u: Usage): void {
    if (u.inputTokens) this.#tokens.get(provider, model, 'input').inc(u.inputTokens);
    if (u.outputTokens) this.#tokens.get(provider, model, 'output').inc(u.outputTokens);
    if (u.cachedTokens) this.#tokens.get(provider, model, 'cached').inc(u.cachedTokens);
  }

  /** One request answered (app.ts, after the log line). */
  request(provider: string | undefined, model: string | undefined, status: number, presented: string | undefined): void {
    this.#requests.get(provider ?? '', model ?? '', String(status), this.clientOf(presented)).inc();
  }

  ttfb(provider: string, model: string, ms: number): void {
    this.#ttfb.get(provider, model).observe(ms / 1000);
  }

  queueWait(provider: string, ms: number): void {
    this.#wait.get(provider).observe(ms / 1000);
  }

  /** The client label: the proxy key's id (a hash), never the key. */
  clientOf(presented: string | undefined): string {
    if (!presented) return 'anonymous';
    let id = this.#clients.get(presented);
    if (id === undefined) {
      id = keyId(presented);
      if (this.#clients.size < 1_000) this.#clients.set(presented, id);
    }
    return id;
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ body: string; contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}

/** A key's state as metrics name it: half_open while it is being ramped back up. */
export function stateOf(k: KeySnapshot): string {
  if (k.status === 'active' && (k as { halfOpen?: unknown }).halfOpen !== undefined) return 'half_open';
  return k.status;
}
