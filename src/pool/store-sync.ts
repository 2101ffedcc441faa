import type { PoolState } from './core.js';
import type { KeyState } from './key-state.js';
import { learnedOf, restoreLearned } from './learned.js';
import type { Outcome } from './outcome.js';
import type { Scope } from './quota.js';
import { block, disable, moveToGroup } from './react.js';
import type { LearnedRecord, ProviderState, StateChange, Store, UsageDelta } from './store-port.js';

/**
 * The pool's side of a Store: write-behind for state changes and usage, load at start and reload, and changes
 * from other replicas applied as they arrive. Nothing here throws into the pool or makes it wait: failures
 * become 'error' events.
 */
export class StoreLink {
  #usage: UsageDelta[] = [];
  /** Scopes whose learned limits may have changed since the last batch. */
  #learned = new Set<Scope>();
  #flushScheduled = false;
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly p: PoolState,
    private readonly now: () => number,
    /** Called after a change from elsewhere was applied, so the pool can serve waiters. */
    private readonly changed: () => void,
  ) {
    try {
      this.#unsubscribe = store.subscribe(p.opts.provider, (c) => {
        if (c.origin === p.opts.instanceId) return;
        applyChange(p, c, this.now());
        this.changed();
      });
    } catch (error) {
      // Deferred: at construction nobody listens for 'error' yet.
      queueMicrotask(() => this.#fail('subscribe', error));
    }
  }

  write(change: StateChange): void {
    this.#guard('writeState', () => this.store.writeState(this.p.opts.provider, { ...change, origin: this.p.opts.instanceId }));
  }

  /**
   * One finished attempt. Batched per turn of the event loop: a burst of reports becomes one addUsage call, and
   * the scopes whose limits they taught something become one saveLearned call. Written on setImmediate, not as a
   * microtask: a microtask runs at the request's next await, before its answer is written, and a SQLite write of
   * usage then delayed every answer (at idle, ~50 µs of a request's added latency).
   */
  usage(k: KeyState, model: string, o: Outcome, now: number): void {
    const ok = o.kind === 'ok';
    this.#usage.push({
      keyId: k.id,
      model,
      at: now,
      requests: 1,
      successes: ok ? 1 : 0,
      inputTokens: ok ? (o.usage?.inputTokens ?? 0) : 0,
      outputTokens: ok ? (o.usage?.outputTokens ?? 0) : 0,
      cachedTokens: ok ? (o.usage?.cachedTokens ?? 0) : 0,
      outcomes: { [o.kind]: 1 },
    });
    if (ok || o.kind === 'rate_limited') {
      const g = k.groupScope;
      this.#learned.add(g);
      const m = g.models.get(model);
      if (m) this.#learned.add(m);
    }
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  #flush(): void {
    this.#flushScheduled = false;
    const batch = this.#usage;
    this.#usage = [];
    if (batch.length > 0) this.#guard('addUsage', () => this.store.addUsage(this.p.opts.provider, batch));
    this.#flushLearned();
  }

  #flushLearned(): void {
    if (this.#learned.size === 0) return;
    const now = this.now();
    const records: LearnedRecord[] = [];
    for (const s of this.#learned) {
      const r = learnedOf(s, now);
      if (r) records.push(r);
    }
    this.#learned.clear();
    if (records.length > 0) this.#guard('saveLearned', () => this.store.saveLearned(this.p.opts.provider, records));
  }

  /** Loads the stored state and applies what still holds. Resolves even when the store fails. */
  async load(): Promise<void> {
    let state: ProviderState;
    try {
      state = await this.store.loadState(this.p.opts.provider, this.now());
    } catch (error) {
      this.#fail('loadState', error);
      return;
    }
    const now = this.now();
    for (const r of state.keys) {
      const k = this.p.byId.get(r.keyId);
      if (!k) continue;
      if (r.group !== undefined) moveToGroup(this.p, k, r.group, now, false);
      applyChange(this.p, { kind: 'key', keyId: r.keyId, status: r.status, at: r.at, ...(r.reason !== undefined ? { reason: r.reason } : {}) }, now);
    }
    for (const s of state.scopes) applyChange(this.p, { kind: 'scope', ...s }, now);
    for (const r of state.learned) {
      // Only groups some key belongs to: the store also remembers groups of keys no longer configured.
      const g = this.p.groups.get(r.group);
      if (g) restoreLearned(r.model !== undefined ? g.child(r.model) : g, r, now);
    }
    this.changed();
  }

  /**
   * Stops listening. The usage and what was learned that are not yet handed over are handed over now (the store
   * writes them on its close): a report in the turn that closes the pool is still counted.
   */
  close(): void {
    this.#flush();
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #guard(op: string, fn: () => Promise<void>): void {
    try {
      fn().catch((error: unknown) => this.#fail(op, error));
    } catch (error) {
      this.#fail(op, error);
    }
  }

  #fail(op: string, error: unknown): void {
    this.p.events.emit('error', { op: `store.${op}`, error });
  }
}

/** Applies a change made elsewhere (another replica, or this pool before a restart) without writing it back. */
export function applyChange(p: PoolState, c: StateChange, now: number): void {
  if (c.kind === 'group') {
    const k = p.byId.get(c.keyId);
    if (k) moveToGroup(p, k, c.group, now, false);
    return;
  }
  if (c.kind === 'key') {
    const k = p.byId.get(c.keyId);
    if (!k || c.at < k.stateAt) return;
    if (c.status === 'disabled') {
      if (!k.disabled) disable(p, k, c.reason, now, false);
      k.stateAt = c.at;
    } else if (k.disabled) {
      k.disabled = undefined;
      k.stateAt = c.at;
      p.events.emit('enabled', { keyId: k.id });
    }
    return;
  }
  const g = p.group(c.group);
  const s = c.model !== undefined ? g.child(c.model) : g;
  if (c.status === 'active') {
    if (c.at >= s.setAt) s.clear();
    return;
  }
  if (c.until !== undefined) block(p, g, s, c.status, c.until, c.reason, now, false);
}
