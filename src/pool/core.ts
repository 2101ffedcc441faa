import type { StateChange } from './store-port.js';
import { RefusalLevel } from './wary.js';
import { Emitter } from './events.js';
import { LONG_OUT_MS, startHalfOpen } from './half-open.js';
import type { KeyState } from './key-state.js';
import type { LimitView } from './limit-view.js';
import { Scope } from './quota.js';
import { Sounding } from './sounding.js';
import type { KeyId, PoolEvents, PoolOptions, StrategyName } from './types.js';

/** PoolOptions with every default filled in. */
export interface Settings {
  provider: string;
  limitsPerModel: boolean;
  queueTimeoutMs: number;
  maxQueue: number;
  defaultCooldownMs: number;
  maxCooldownMs: number;
  quotaCooldownMs: number;
  overloadPauseMs: number;
  maxOverloadPauseMs: number;
  failureThreshold: number;
  failureBackoffMs: number;
  maxFailureBackoffMs: number;
  retryBackoffMs: number;
  tierWaitMs: number;
  random: () => number;
  strategy: StrategyName;
  instanceId: string;
}

export function settings(o: PoolOptions): Settings {
  return {
    provider: o.provider ?? 'default',
    limitsPerModel: o.limitsPerModel ?? false,
    queueTimeoutMs: o.queueTimeoutMs ?? 30_000,
    maxQueue: o.maxQueue ?? 1_000,
    defaultCooldownMs: o.defaultCooldownMs ?? 1_000,
    maxCooldownMs: o.maxCooldownMs ?? 600_000,
    quotaCooldownMs: o.quotaCooldownMs ?? 3_600_000,
    overloadPauseMs: o.overloadPauseMs ?? 500,
    maxOverloadPauseMs: o.maxOverloadPauseMs ?? 5_000,
    failureThreshold: o.failureThreshold ?? 3,
    failureBackoffMs: o.failureBackoffMs ?? 1_000,
    maxFailureBackoffMs: o.maxFailureBackoffMs ?? 30_000,
    retryBackoffMs: o.retryBackoffMs ?? 100,
    tierWaitMs: o.tierWaitMs !== undefined && o.tierWaitMs >= 0 ? o.tierWaitMs : 300,
    random: o.random ?? Math.random,
    strategy: o.strategy ?? 'default',
    instanceId: o.instanceId ?? globalThis.crypto.randomUUID(),
  };
}

/** Where state changes go to be persisted (the pool's store link, write-behind). */
export interface Persist {
  write(change: StateChange): void;
}

/** The pool's working state, shared by the reactions, the snapshot and the store sync. */
export class PoolState {
  readonly events = new Emitter<PoolEvents>();
  keys: KeyState[] = [];
  /** The same keys in the order pick() visits them: by tier, configuration order within one (tiers.ts). */
  byTier: KeyState[] = [];
  /** Keys of more than one tier: only then can a request be held for a lower tier. */
  tiered = false;
  readonly byId = new Map<KeyId, KeyState>();
  readonly groups = new Map<string, Scope>();
  /** Provider-wide pause after `overloaded` (the provider's load, not a key's). */
  pauseUntil = 0;
  /** What keys of unknown limits got through before their refusals in the last minute (wary.ts). */
  readonly refusals = new RefusalLevel();
  /** The key of unknown limits sent all it takes until its limit is fitted (sounding.ts; default strategy only). */
  readonly sounding = new Sounding((k) => this.events.emit('sounding', { keyId: k.id, group: k.groupScope.group }));
  /** Earliest end of a cooldown not yet announced with `recovered`: the wake-up timer must fire by then. */
  nextRecoveryAt = Infinity;
  persist: Persist | undefined;
  /** Moves on every grant and outcome: a view computed at the same version and ms is still true (capacity.ts). */
  version = 0;
  /** The last capacity view computed, with what it was computed for (capacity.ts). */
  view: { model: string; at: number; version: number; view: LimitView } | undefined;

  constructor(readonly opts: Settings) {}

  group(name: string): Scope {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = new Scope(name)));
    return g;
  }

  /** The live keys of a group (O(keys); only on state changes, never per acquire). */
  keysOf(g: Scope): KeyState[] {
    return this.keys.filter((k) => k.groupScope === g);
  }

  noteRecovery(at: number): void {
    if (at < this.nextRecoveryAt) this.nextRecoveryAt = at;
  }

  /** Announces every cooldown that has ended by `now` and finds the next one. */
  sweep(now: number): void {
    let next = Infinity;
    // Built only when something recovered: one pass over the keys, not one per recovered group.
    let members: Map<Scope, KeyState[]> | undefined;
    const check = (s: Scope, g: Scope) => {
      if (!s.pendingRecovery) return;
      if (s.until > now) {
        next = Math.min(next, s.until);
        return;
      }
      s.pendingRecovery = false;
      members ??= this.#members();
      const long = s.until - s.setAt >= LONG_OUT_MS;
      for (const k of members.get(g) ?? []) {
        if (long && !k.disabled) startHalfOpen(k, now);
        if (!k.disabled) this.events.emit('recovered', { keyId: k.id, group: g.group, ...(s.model !== undefined ? { model: s.model } : {}) });
      }
    };
    for (const g of this.groups.values()) {
      check(g, g);
      for (const m of g.models.values()) check(m, g);
    }
    for (const k of this.keys) {
      if (!k.pendingRecovery) continue;
      if (k.backoffUntil > now) next = Math.min(next, k.backoffUntil);
      else {
        k.pendingRecovery = false;
        if (!k.disabled && !k.groupScope.blocked(now)) this.events.emit('recovered', { keyId: k.id, group: k.groupScope.group });
      }
    }
    this.nextRecoveryAt = next;
  }

  #members(): Map<Scope, KeyState[]> {
    const m = new Map<Scope, KeyState[]>();
    for (const k of this.keys) {
      const list = m.get(k.groupScope);
      if (list) list.push(k);
      else m.set(k.groupScope, [k]);
    }
    return m;
  }

  /** Drops groups no key belongs to any more (after reloads), unless they are still out. */
  prune(now: number): void {
    const used = new Set<Scope>();
    for (const k of this.keys) used.add(k.groupScope);
    for (const [name, g] of this.groups) if (!used.has(g) && !g.blocked(now)) this.groups.delete(name);
  }
}
