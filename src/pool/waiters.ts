import type { Lease } from './types.js';
import type { KeyId } from './types.js';
import type { Wary } from './wary.js';

/** One acquire() waiting for a key. */
export interface Waiter {
  readonly model: string;
  readonly tokens: number;
  readonly exclude: ReadonlySet<KeyId> | undefined;
  /** Refused already (AcquireOptions.wary): keys of unknown limits must show room first (wary.ts). */
  readonly wary: Wary | undefined;
  /** Who is asking (a client's name); waiters without one share one lane. */
  readonly client: string | undefined;
  /** Epoch ms after which it gives up with AllKeysUnavailable. */
  readonly deadline: number;
  readonly resolve: (lease: Lease) => void;
  readonly reject: (error: Error) => void;
  readonly signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** A key was picked and the shared admission asked: the waiter keeps its place, skipped until the answer. */
  pending: boolean;
}

/** The lane of waiters that name no client. A name cannot collide with it: client names are config strings, not symbols. */
const NO_CLIENT = Symbol('no client');
const EMPTY: ReadonlySet<Waiter> = new Set();
type LaneId = string | typeof NO_CLIENT;

/**
 * The wait queue: one FIFO lane per client, served round-robin. A plain FIFO lets one client that floods the
 * proxy with hundreds of requests delay another's few behind all of them; with lanes, the other client's
 * requests are interleaved with the flood's, each lane in turn, in order within a lane.
 *
 * Lanes are kept in the order they were last served (a Map re-inserted on each grant): iteration starts with
 * the lane served longest ago, so a pass that grants one request resumes after the client last served, and a
 * flooding client cannot starve the others. Each lane is a Set: insertion order and O(1) removal (abort,
 * deadline). Leaving the queue always detaches the abort listener.
 */
export class WaitQueue implements Iterable<Waiter> {
  readonly #lanes = new Map<LaneId, Set<Waiter>>();
  #size = 0;
  /** The lane of the request granted last, queued or not: its next waiter comes after the other lanes'. */
  #last: LaneId | undefined;

  get size(): number {
    return this.#size;
  }

  add(w: Waiter): void {
    const id = w.client ?? NO_CLIENT;
    let lane = this.#lanes.get(id);
    if (!lane) this.#lanes.set(id, (lane = new Set()));
    lane.add(w);
    this.#size++;
  }

  has(w: Waiter): boolean {
    return this.#lanes.get(w.client ?? NO_CLIENT)?.has(w) === true;
  }

  /** Removes a waiter; false if it already left (granted, expired, aborted). */
  remove(w: Waiter): boolean {
    const id = w.client ?? NO_CLIENT;
    const lane = this.#lanes.get(id);
    if (!lane?.delete(w)) return false;
    this.#size--;
    if (lane.size === 0) this.#lanes.delete(id);
    if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
    w.onAbort = undefined;
    return true;
  }

  /** Removes a waiter that is being given a key: its lane goes to the back of the round. */
  served(w: Waiter): boolean {
    if (!this.remove(w)) return false;
    this.grantedTo(w.client);
    return true;
  }

  /** A request of this client got a key (from the queue, or at once without waiting): its lane goes last. */
  grantedTo(client: string | undefined): void {
    const id = client ?? NO_CLIENT;
    this.#last = id;
    const lane = this.#lanes.get(id);
    if (lane) {
      this.#lanes.delete(id);
      this.#lanes.set(id, lane);
    }
  }

  /**
   * Waiters in serving order: the first of each lane (the lane served longest ago first), then the second of
   * each, and so on. Safe while waiters are removed or served: lanes are walked by their own iterators, taken
   * at the start, so a lane moved to the back keeps its place in this pass.
   */
  [Symbol.iterator](): Iterator<Waiter> {
    // One lane (no client names, or one client): its own iterator, as fast as the plain FIFO it then is.
    if (this.#lanes.size <= 1) return (this.#lanes.values().next().value ?? EMPTY).values();
    return this.#rounds();
  }

  *#rounds(): Generator<Waiter> {
    // A lane opened after its client was served without waiting is not behind the others yet: put it there.
    if (this.#last !== undefined) this.grantedTo(this.#last === NO_CLIENT ? undefined : this.#last);
    let its = [...this.#lanes.values()].map((lane) => ({ it: lane.values(), done: false }));
    while (its.length > 0) {
      let ended = false;
      for (const l of its) {
        const r = l.it.next();
        if (r.done === true) ended = l.done = true;
        else yield r.value;
      }
      if (ended) its = its.filter((l) => !l.done);
    }
  }
}
