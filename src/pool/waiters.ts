import type { Lease } from './types.js';
import type { KeyId } from './types.js';

/** One acquire() waiting for a key. */
export interface Waiter {
  readonly model: string;
  readonly tokens: number;
  readonly exclude: ReadonlySet<KeyId> | undefined;
  /** Epoch ms after which it gives up with AllKeysUnavailable. */
  readonly deadline: number;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** A key was picked and the shared admission asked: the waiter keeps its place, skipped until the answer. */
  pending: boolean;
}

/**
 * The FIFO queue of waiters. A Set keeps insertion order and removes in O(1) (abort, deadline); iteration in
 * order is what makes the queue fair. Leaving the queue always detaches the abort listener.
 */
export class WaitQueue implements Iterable<Waiter> {
  #set = new Set<Waiter>();

  get size(): number {
    return this.#set.size;
  }

  add(w: Waiter): void {
    this.#set.add(w);
  }

  has(w: Waiter): boolean {
    return this.#set.has(w);
  }

  /** Removes a waiter; false if it already left (granted, expired, aborted). */
  remove(w: Waiter): boolean {
    if (!this.#set.delete(w)) return false;
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    w.onAbort = undefined;
    return true;
  }

  [Symbol.iterator](): Iterator<Waiter> {
    return this.#set.values();
  }
}
