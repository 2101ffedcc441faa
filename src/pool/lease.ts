import type { AdmitGrant } from './admission-port.js';
import type { KeyState } from './key-state.js';
import type { Outcome } from './outcome.js';
import type { Scope } from './quota.js';
import type { KeyId, Lease } from './types.js';

/** What the pool needs back when a lease ends: where the request was counted, and when. */
export interface LeaseTicket {
  readonly state: KeyState;
  /** The budget scope the dispatch was counted on, and its counters right after. */
  readonly budget: Scope;
  /** The group scope the request was counted on, and the group's requests in flight just before it (across replicas with an Admission). */
  readonly group: Scope;
  readonly groupInFlight: number;
  readonly seq: number;
  readonly tokSeq: number;
  readonly tokens: number;
  readonly acquiredAt: number;
  /** The shared admission's grant, released with the lease (none without an Admission). */
  readonly remote: AdmitGrant | undefined;
}

export type LeaseDone = (lease: PoolLease, ticket: LeaseTicket, outcome: Outcome) => void;

const CANCELLED: Outcome = { kind: 'cancelled' };

/**
 * One key lent for one attempt. Ends exactly once: the first report() or release() wins, the rest are no-ops,
 * so a lease can be released defensively in a finally block after a report.
 * The secret is reachable only through the `key` getter; JSON and inspect of a lease never show it.
 */
export class PoolLease implements Lease {
  readonly keyId: KeyId;
  readonly masked: string;
  readonly group: string;
  readonly model: string;
  readonly acquiredAt: number;
  readonly #ticket: LeaseTicket;
  readonly #done: LeaseDone;
  #released = false;

  constructor(ticket: LeaseTicket, model: string, done: LeaseDone) {
    this.#ticket = ticket;
    this.#done = done;
    this.keyId = ticket.state.id;
    this.masked = ticket.state.masked;
    this.group = ticket.state.groupScope.group;
    this.model = model;
    this.acquiredAt = ticket.acquiredAt;
  }

  get key(): string {
    return this.#ticket.state.secret;
  }

  get released(): boolean {
    return this.#released;
  }

  report(outcome: Outcome): void {
    if (this.#released) return;
    this.#released = true;
    this.#done(this, this.#ticket, outcome);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#done(this, this.#ticket, CANCELLED);
  }
}
