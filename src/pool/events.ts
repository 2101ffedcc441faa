import type { PoolEvents } from './types.js';

export type Listener<T> = (event: T) => void;

/**
 * A minimal typed emitter. Not node:events: an 'error' event there throws when nobody listens, and the pool
 * emits store failures as 'error' from inside acquire/report, which must never throw. A listener that throws
 * is reported as an 'error' event instead of unwinding the pool's state update half-way.
 */
export class Emitter<E extends object> {
  #listeners = new Map<keyof E, Set<Listener<never>>>();

  on<K extends keyof E>(name: K, fn: Listener<E[K]>): () => void {
    let set = this.#listeners.get(name);
    if (!set) this.#listeners.set(name, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => this.off(name, fn);
  }

  off<K extends keyof E>(name: K, fn: Listener<E[K]>): void {
    this.#listeners.get(name)?.delete(fn as Listener<never>);
  }

  has<K extends keyof E>(name: K): boolean {
    return (this.#listeners.get(name)?.size ?? 0) > 0;
  }

  emit<K extends keyof E>(name: K, event: E[K]): void {
    const set = this.#listeners.get(name);
    if (!set || set.size === 0) return;
    for (const fn of set) {
      try {
        (fn as Listener<E[K]>)(event);
      } catch (error) {
        if (name !== 'error') this.emit('error' as K, { op: `listener:${String(name)}`, error } as E[K]);
      }
    }
  }
}

export type PoolEmitter = Emitter<PoolEvents>;
