import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { afterTurn } from './after-turn.js';
import { FastCounter, FastHistogram } from './metrics-fast.js';
import { type KeyPool, type KeySnapshot, type Usage } from '../pool/index.js';
import type { Runtime } from './runtime.js';

/** Seconds: a cached token at 50 ms, a long completion at minutes. */
const DURATION_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
const TTFB_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];
/** key_state exports every state, each 0 or 1, so a dashboard's `== 1` finds the current one. */
const STATES: readonly string[] = ['active', 'half_open', 'cooling', 'exhausted', 'disabled'];

/**
 * The server's Prometheus metrics, on a registry of its own (no globals: tests run many servers in one
 * process). Counters and histograms are updated as things happen; the gauges (key states, queue, in flight)
 * are read from the pools' snapshots at scrape time, which costs the hot path nothing.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly #requests: FastCounter;
  readonly #attempts: FastCounter;
  readonly #cooldowns: FastCounter;
  readonly #duration: FastHistogram;
  readonly #ttfb: FastHistogram;
  readonly #tokens: FastCounter;
  readonly #wait: FastHistogram;

  constructor(private readonly rt: Runtime) {
    const r = this.registry;
    const registers = [r];
    // The event-loop lag sampled every 100 ms, not prom-client's 10: its timer woke an idle proxy 100 times a
    // second (9–10 ms of CPU a second doing nothing; 3 ms now), for a lag a dashboard reads every 15 s.
    collectDefaultMetrics({ register: r, eventLoopMonitoringPrecision: 100 });
    this.#requests = new FastCounter('keymux_requests_total', 'Requests served, by final status and client (its name, or a plain proxy key\'s id)', ['provider', 'model', 'status', 'client'], r);
    this.#attempts = new FastCounter('keymux_upstream_attempts_total', 'Upstream attempts by key and outcome', ['provider', 'key', 'outcome'], r);
    this.#cooldowns = new FastCounter('keymux_key_cooldowns_total', 'Cooldowns a key was put in (short rate-limit ones are counted here, not logged)', ['provider', 'key'], r);
    this.#duration = new FastHistogram('keymux_upstream_duration_seconds', "From lease to the provider's verdict (a stream: to its end)", ['provider', 'model'], DURATION_BUCKETS, r);
    this.#ttfb = new FastHistogram('keymux_upstream_ttfb_seconds', 'From sending upstream to its response headers', ['provider', 'model'], TTFB_BUCKETS, r);
    this.#tokens = new FastCounter('keymux_tokens_total', 'Tokens by kind (input, output, cached)', ['provider', 'model', 'kind'], r);
    this.#wait = new FastHistogram('keymux_queue_wait_seconds', 'Time a request waited for its first key', ['provider'], WAIT_BUCKETS, r);

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
    this.rt.eachPool((provider, pool) => this.#watch(provider, pool));
  }

  /** Listens to one pool (the runtime hands over each, at start and after reloads). */
  #watch(provider: string, pool: KeyPool): void {
    // Counted when the turn ends (after-turn.ts): the verdict comes before the answer is written.
    pool.on('outcome', (e) =>
      afterTurn(() => {
        this.#attempts.child(provider, e.keyId, e.outcome.kind).inc();
        if (e.outcome.kind === 'cancelled') return;
        this.#duration.child(provider, e.model).observe(e.latencyMs / 1000);
        if (e.outcome.kind === 'ok' && e.outcome.usage) this.#usage(provider, e.model, e.outcome.usage);
      }),
    );
    pool.on('cooldown', (e) => this.#cooldowns.child(provider, e.keyId).inc());
  }

  #usage(provider: string, model: string, u: Usage): void {
    if (u.inputTokens) this.#tokens.child(provider, model, 'input').inc(u.inputTokens);
    if (u.outputTokens) this.#tokens.child(provider, model, 'output').inc(u.outputTokens);
    if (u.cachedTokens) this.#tokens.child(provider, model, 'cached').inc(u.cachedTokens);
  }

  /** One request answered (app.ts, after the log line). */
  request(provider: string | undefined, model: string | undefined, status: number, client: string): void {
    this.#requests.child(provider ?? '', model ?? '', String(status), client).inc();
  }

  /** ttfb at the upstream's headers, queueWait once the call is dispatched (attempt.ts): both observed when the turn ends. */
  ttfb(provider: string, model: string, ms: number): void {
    afterTurn(() => this.#ttfb.child(provider, model).observe(ms / 1000));
  }

  queueWait(provider: string, ms: number): void {
    afterTurn(() => this.#wait.child(provider).observe(ms / 1000));
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
