import type { AdmitGrant } from './admission-port.js';
import { AdmitDriver } from './admit.js';
import { systemClock, type Clock } from './clock.js';
import { PoolState, settings, type Settings } from './core.js';
import { AbortError, PoolClosedError } from './errors.js';
import type { Listener } from './events.js';
import { KeyState } from './key-state.js';
import { applyKeys } from './keys.js';
import { PoolLease, type LeaseTicket } from './lease.js';
import type { Outcome } from './outcome.js';
import { disable, enable, react } from './react.js';
import { stepHalfOpen } from './half-open.js';
import { runWithPool } from './run.js';
import { capacityOf, type LimitView } from './capacity.js';
import { keySnapshot, keySnapshots } from './snapshot.js';
import { StoreLink } from './store-sync.js';
import { Selector } from './select.js';
import { strategies } from './strategy.js';
import type {
  AcquireOptions, AttemptResult, KeyConfig, KeyId, KeySnapshot, Lease, PoolEvents, PoolOptions, PoolSnapshot, RunOptions, RunResult, StrategyName,
} from './types.js';
import { WaitQueue, type Waiter } from './waiters.js';
import { WakeTimer } from './wake.js';
import { waryOf, type Wary } from './wary.js';

/**
 * The keys of one provider, answering "which key for this request, now?". Pure logic: time and timers come from the
 * injected Clock, state changes go to the Store behind the hot path. One shared wake-up timer serves the whole queue,
 * re-armed to the earliest time something can change (a cooldown ends, a budget refills, a deadline passes).
 */
export class KeyPool {
  readonly clock: Clock;
  /** Resolves once the initial state was loaded from the store (at once without one). */
  readonly ready: Promise<void>;
  readonly #s: PoolState;
  readonly #o: Settings;
  readonly #queue = new WaitQueue();
  readonly #link: StoreLink | undefined;
  readonly #sel: Selector;
  readonly #admit: AdmitDriver | undefined;
  readonly #wake: WakeTimer;
  #draining = false;
  #again = false;
  #closed = false;
  readonly #failedByModel = new Map<string, number>();
  /** Keys removed by setKeys while leases on them are out: a key re-added meanwhile must still count them. */
  readonly #retired = new Map<KeyId, KeyState>();

  constructor(options: PoolOptions) {
    this.#o = settings(options);
    this.#s = new PoolState(this.#o);
    this.clock = options.clock ?? systemClock;
    this.#wake = new WakeTimer(this.clock, () => this.#drain());
    this.#sel = new Selector(this.#s, this.#o.strategy);
    applyKeys(this.#s, this.#retired, options.keys);
    this.#link = options.store ? new StoreLink(options.store, this.#s, () => this.clock.now(), () => this.#drain()) : undefined;
    this.#s.persist = this.#link;
    const host = { s: this.#s, queue: this.#queue, now: () => this.clock.now(), grant: this.#grant, drain: () => this.#drain() };
    this.#admit = options.admission ? new AdmitDriver(options.admission, host) : undefined;
    this.ready = this.#link ? this.#link.load() : Promise.resolve();
  }

  get provider(): string {
    return this.#o.provider;
  }

  get strategy(): StrategyName {
    return this.#o.strategy;
  }

  /** Requests waiting in the queue. */
  get waiting(): number {
    return this.#queue.size;
  }

  on<K extends keyof PoolEvents>(name: K, fn: Listener<PoolEvents[K]>): () => void {
    return this.#s.events.on(name, fn);
  }

  off<K extends keyof PoolEvents>(name: K, fn: Listener<PoolEvents[K]>): void {
    this.#s.events.off(name, fn);
  }

  /**
   * A lease on the best eligible key now, or after waiting until one is, or AllKeysUnavailable. Waiters are served
   * round-robin across clients (`opts.client`), in order within a client (waiters.ts).
   */
  acquire(opts: AcquireOptions): Promise<Lease> {
    if (this.#closed) return Promise.reject(new PoolClosedError(this.#o.provider));
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    // Serve those already waiting first: a timer due now may not have fired yet (real clocks run late).
    if (this.#queue.size > 0) this.#drain();
    else this.#sel.newPass();
    const now = this.clock.now();
    const tokens = opts.estimatedTokens ?? 0;
    const wait = Math.max(0, opts.deadlineMs ?? this.#o.queueTimeoutMs);
    // With the queue full a request cannot wait for a lower tier either: it spills (pick's patience).
    const wary = opts.wary === true ? waryOf(now, wait) : undefined;
    const picked = this.#sel.pick(opts.model, tokens, opts.exclude, now, this.#queue.size < this.#o.maxQueue ? wait : 0, wary);
    if (picked instanceof KeyState && !this.#admit) {
      this.#queue.grantedTo(opts.client);
      return Promise.resolve(this.#grant(picked, opts.model, tokens, now, undefined));
    }

    if (!(picked instanceof KeyState)) {
      // Waiting cannot help when no key is left, or when nothing can be ready before the deadline.
      const hopeless = picked.alive === 0 || (!picked.busy && picked.readyAt > now + wait);
      if (wait <= 0 || hopeless) return Promise.reject(this.#sel.unavailable(opts.model, tokens, opts.exclude, now));
      if (this.#queue.size >= this.#o.maxQueue) return Promise.reject(this.#sel.unavailable(opts.model, tokens, opts.exclude, now, 'queue_full'));
    }

    return new Promise<Lease>((resolve, reject) => {
      const w: Waiter = { model: opts.model, tokens, exclude: opts.exclude, wary, client: opts.client, deadline: now + wait, resolve, reject, signal, onAbort: undefined, pending: false };
      if (signal) {
        w.onAbort = () => {
          if (this.#queue.remove(w)) reject(new AbortError(signal.reason));
        };
        signal.addEventListener('abort', w.onAbort, { once: true });
      }
      this.#queue.add(w);
      // A key picked with a shared admission is asked for from the queue, where a refusal leaves the waiter.
      if (picked instanceof KeyState) this.#admit?.start(w, picked, now);
      else this.#arm(Math.min(picked.readyAt, w.deadline), now);
    });
  }

  /** acquire → attempt → report, retrying retryable outcomes on other keys (see run.ts). */
  run<T>(model: string, attempt: (lease: Lease, attemptNo: number) => Promise<AttemptResult<T>>, opts: RunOptions = {}): Promise<RunResult<T>> {
    return runWithPool(this, model, attempt, opts);
  }

  /** Whether some key outside `exclude` could ever serve (not disabled): run() reuses failed keys only when none can. */
  hasUsableKeyOutside(exclude: ReadonlySet<KeyId>): boolean {
    for (const k of this.#s.keys) if (!k.disabled && !exclude.has(k.id)) return true;
    return false;
  }

  /** Retry backoff base and random source, for run(). */
  get retrySettings(): { baseMs: number; random: () => number } {
    return { baseMs: this.#o.retryBackoffMs, random: this.#o.random };
  }

  snapshot(): PoolSnapshot {
    const now = this.clock.now();
    const snap: PoolSnapshot = { provider: this.#o.provider, strategy: this.#o.strategy, keys: keySnapshots(this.#s, now), waiting: this.#queue.size };
    if (this.#s.pauseUntil > now) snap.pausedUntil = this.#s.pauseUntil;
    return snap;
  }

  /** What clients may plan with for `model` now: the pool's limits summed over its keys (capacity.ts). */
  capacity(model: string): LimitView {
    return capacityOf(this.#s, model, this.clock.now());
  }

  key(id: KeyId): KeySnapshot | undefined {
    const k = this.#s.byId.get(id);
    return k ? keySnapshot(k, this.clock.now()) : undefined;
  }

  /** Hot reload: keys that stay (same secret) keep their state, new ones join, removed ones leave. */
  setKeys(keys: ReadonlyArray<string | KeyConfig>): void {
    applyKeys(this.#s, this.#retired, keys);
    this.#s.prune(this.clock.now());
    if (this.#link) void this.#link.load();
    this.#drain();
  }

  setStrategy(name: StrategyName): void {
    this.#sel.strategy = strategies[name];
    this.#o.strategy = name;
  }

  /** Operator's word: the key is good again. Clears its disable, its failure backoff and its group's outs. */
  enable(id: KeyId): boolean {
    const k = this.#s.byId.get(id);
    if (!k) return false;
    enable(this.#s, k, this.clock.now());
    this.#drain();
    return true;
  }

  disable(id: KeyId, reason = 'disabled by operator'): boolean {
    const k = this.#s.byId.get(id);
    if (!k) return false;
    disable(this.#s, k, reason, this.clock.now());
    return true;
  }

  /** Rejects every waiter and refuses new acquires. Leases still out report and release normally. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake.cancel();
    for (const w of this.#queue) {
      this.#queue.remove(w);
      w.reject(new PoolClosedError(this.#o.provider));
    }
    this.#link?.close();
  }

  readonly #grant = (k: KeyState, model: string, tokens: number, now: number, remote: AdmitGrant | undefined): Lease => {
    k.dispatched(now, tokens);
    this.#s.version++;
    const g = k.groupScope;
    const b = this.#o.limitsPerModel ? g.child(model) : g;
    b.budget.dispatch(now, tokens);
    const local = g.inFlight++;
    this.#sel.ctx.lastOrder = k.order;
    const groupInFlight = remote ? remote.groupInFlight : local;
    const ticket: LeaseTicket = { state: k, budget: b, seq: b.budget.seq, tokSeq: b.budget.tokSeq, tokens, acquiredAt: now, group: g, groupInFlight, remote };
    return new PoolLease(ticket, model, this.#done);
  };

  /** Every lease ends here exactly once (report, or release as cancelled). */
  readonly #done = (lease: PoolLease, t: LeaseTicket, o: Outcome): void => {
    const k = t.state;
    const now = this.clock.now();
    k.inFlight--;
    t.group.inFlight--;
    if (o.kind === 'ok') {
      k.successes++;
      k.inputTokens += o.usage?.inputTokens ?? 0;
      k.outputTokens += o.usage?.outputTokens ?? 0;
      if (o.usage?.totalTokens !== undefined && t.tokens === 0) k.tpm?.add(now, o.usage.totalTokens);
    } else {
      k.failures[o.kind] = (k.failures[o.kind] ?? 0) + 1;
    }
    if ((o.kind === 'ok' || o.kind === 'rate_limited') && o.limits) k.limits = { ...o.limits, at: now };
    stepHalfOpen(k, o);
    if (!k.removed) react(this.#s, k, t, lease.model, o, now);
    else if (k.inFlight === 0) this.#retired.delete(k.id);
    this.#s.events.emit('outcome', { keyId: k.id, group: k.groupScope.group, model: lease.model, outcome: o, latencyMs: now - t.acquiredAt });
    this.#link?.usage(k, lease.model, o, now);
    this.#admit?.release(t, o, now);
    this.#drain();
  };

  /** Serves waiters (round-robin across clients, FIFO within one), expires those past their deadline, announces recoveries, re-arms the timer. */
  #drain(): void {
    if (this.#draining) {
      this.#again = true;
      return;
    }
    this.#draining = true;
    try {
      do {
        this.#again = false;
        const now = this.clock.now();
        if (now >= this.#s.nextRecoveryAt) this.#s.sweep(now);
        let wake = this.#s.nextRecoveryAt;
        if (this.#queue.size > 0) wake = Math.min(wake, this.#serve(now));
        this.#arm(wake, now);
      } while (this.#again);
    } finally {
      this.#draining = false;
    }
  }

  /** One pass over the queue; returns when it next needs to look again. */
  #serve(now: number): number {
    let wake = Infinity;
    // Waiters for the same model with no exclusions and no fewer tokens than one that failed fail too: skip them.
    // A wary one (wary.ts) may fail where they would not: it is not one of them while wary.
    const failed = this.#failedByModel;
    failed.clear();
    this.#sel.newPass();
    for (const w of this.#queue) {
      if (w.pending) continue;
      const plain = !(w.wary && w.wary.until > now) && (w.exclude === undefined || w.exclude.size === 0);
      const f = plain ? failed.get(w.model) : undefined;
      if (f !== undefined && w.tokens >= f) continue;
      // Closed mid-drain: grant nothing more. close() rejected the waiters and a closed pool arms no timer.
      if (this.#closed) break;
      const picked = this.#sel.pick(w.model, w.tokens, w.exclude, now, w.deadline - now, w.wary);
      if (picked instanceof KeyState) {
        if (this.#admit) this.#admit.start(w, picked, now);
        else if (this.#queue.served(w)) w.resolve(this.#grant(picked, w.model, w.tokens, now, undefined));
        continue;
      }
      if (picked.readyAt < wake) wake = picked.readyAt;
      // One held for a lower tier's key says nothing of the next waiter, which may spill (select.ts).
      if (plain && picked.held !== true) failed.set(w.model, Math.min(f ?? Infinity, w.tokens));
    }
    for (const w of this.#queue) {
      if (w.pending) continue;
      if (w.deadline > now) {
        if (w.deadline < wake) wake = w.deadline;
      } else if (this.#queue.remove(w)) {
        w.reject(this.#sel.unavailable(w.model, w.tokens, w.exclude, now));
      }
    }
    return wake;
  }

  /** Makes sure the pool looks again by `at` (a closed pool arms nothing). */
  #arm(at: number, now: number): void {
    if (!this.#closed) this.#wake.arm(at, now);
  }
}
