import type { Admission, AdmitAnswer, AdmitAsk, AdmitGrant, ReleaseFacts } from '../pool/index.js';
import { AdmissionBook, type LeaseInfo } from './admission-book.js';

export interface MemoryAdmissionOptions {
  /** The state to admit against; several instances given one book act as replicas of one pool. Default: a new one. */
  book?: AdmissionBook;
  /** How long a lease holds its slot without a renewal (a pool that never releases frees it then). Default 60 s. */
  leaseTtlMs?: number;
  /** Names this instance in lease ids. Default: a random UUID. */
  instanceId?: string;
}

/**
 * Admission in one process: what the Redis one does, for one process's pools (a library user's, the tests').
 * Leases still out are renewed by heartbeat(now), which its owner calls (the Redis admission's timer does).
 */
export class MemoryAdmission implements Admission {
  readonly book: AdmissionBook;
  readonly #ttl: number;
  readonly #id: string;
  #n = 0;
  readonly #out = new Map<string, { provider: string; info: LeaseInfo }>();

  constructor(opts: MemoryAdmissionOptions = {}) {
    this.book = opts.book ?? new AdmissionBook();
    this.#ttl = opts.leaseTtlMs ?? 60_000;
    this.#id = opts.instanceId ?? globalThis.crypto.randomUUID();
  }

  async admit(provider: string, ask: AdmitAsk): Promise<AdmitAnswer> {
    const leaseId = `${this.#id}:${++this.#n}`;
    const a = this.book.admit(provider, ask, leaseId, ask.now + this.#ttl);
    if (!a.granted || !a.info) return a;
    this.#out.set(leaseId, { provider, info: a.info });
    return { granted: true, grant: a.grant };
  }

  release(provider: string, grant: AdmitGrant, facts: ReleaseFacts): void {
    const out = this.#out.get(grant.leaseId);
    if (!out || out.provider !== provider) return;
    this.#out.delete(grant.leaseId);
    this.book.release(provider, grant.leaseId, out.info, facts);
  }

  /** Renews this instance's leases still out, as a live replica does. */
  heartbeat(now: number): void {
    const byProvider = new Map<string, string[]>();
    for (const [id, { provider }] of this.#out) {
      let ids = byProvider.get(provider);
      if (!ids) byProvider.set(provider, (ids = []));
      ids.push(id);
    }
    for (const [provider, ids] of byProvider) this.book.renew(provider, ids, now + this.#ttl);
  }
}
