import type { Admission, AdmitAnswer, AdmitAsk, AdmitGrant, AdmitHold, ReleaseFacts } from '../pool/index.js';
import { AdmissionBook, BUSY_RETRY_MS, scopeOf, type LeaseInfo } from './admission-book.js';
import { part, tagOf, type RedisLink } from './redis-link.js';

export interface RedisAdmissionOptions {
  prefix: string;
  /** A lease not renewed for this long frees its slot (its replica died). Renewed while its request runs. */
  leaseTtlMs: number;
  /** The pool's clock, for heartbeats and renewals (admissions carry their own time). */
  now: () => number;
  instanceId?: string;
  /** How often this replica says it is alive and renews its leases. Default 1 s; 0: only when heartbeat() is called. */
  heartbeatMs?: number;
}

const DAY = 86_400_000;
/** How long a replica counts as alive after its last heartbeat. */
const ALIVE_MS = 5_000;
/** How long a scope's shared state is kept after it was last touched (a daily budget must outlive its day). */
const KEEP_MS = 2 * 86_400_000;

interface Out {
  provider: string;
  /** What Redis counted the lease on; none for a lease granted locally while Redis was away. */
  remote: LeaseInfo | undefined;
  local: LeaseInfo;
  expiresAt: number;
}

/**
 * Admission in Redis: the ADMIT script decides for every replica at once. This replica's own copy of the state
 * (an AdmissionBook, every limit scaled to 1/N for N live replicas) follows each grant, and decides alone
 * while Redis cannot be asked: no request waits on, or fails for, a Redis that is down. Readings learned meanwhile are
 * kept and replayed when it returns; leases granted meanwhile are unknown to Redis (they end soon).
 */
export class RedisAdmission implements Admission {
  readonly #link: RedisLink;
  readonly #o: RedisAdmissionOptions;
  readonly #id: string;
  readonly #local = new AdmissionBook();
  readonly #out = new Map<string, Out>();
  /** Live replicas per provider, as last counted (at least this one). */
  readonly #replicas = new Map<string, number>();
  /** Readings learned while Redis was away, the latest per scope, replayed on its return. */
  readonly #pending = new Map<string, { provider: string; scope: string; facts: ReleaseFacts }>();
  #n = 0;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(link: RedisLink, o: RedisAdmissionOptions) {
    this.#link = link;
    this.#o = o;
    this.#id = o.instanceId ?? globalThis.crypto.randomUUID();
    const every = o.heartbeatMs ?? 1_000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.heartbeat(o.now()), every);
      this.#timer.unref();
    }
    link.onResync(() => this.#replay());
  }

  #share(provider: string): number {
    return 1 / Math.max(1, this.#replicas.get(provider) ?? 1);
  }

  async admit(provider: string, ask: AdmitAsk): Promise<AdmitAnswer> {
    const leaseId = `${this.#id}:${++this.#n}`;
    const expiresAt = ask.now + this.#o.leaseTtlMs;
    if (!this.#replicas.has(provider)) {
      this.#replicas.set(provider, 1);
      void this.heartbeat(ask.now);
    }
    const tokens = Math.max(0, Math.round(ask.tokens));
    if (this.#link.usable) {
      const pending = this.#link.client.kmxAdmit(...this.#admitArgs(provider, { ...ask, tokens }, leaseId, expiresAt));
      try {
        const r = await this.#link.timed(pending);
        this.#link.ok();
        const a = parseAdmit(r);
        if (!a.granted) return { granted: false, readyAt: a.readyAt, hold: a.hold };
        const local = this.#local.admit(provider, { ...ask, tokens }, leaseId, expiresAt, this.#share(provider), true);
        const scope = scopeOf(ask.group, ask.model);
        if (local.info) this.#out.set(leaseId, { provider, remote: { keyId: ask.keyId, group: ask.group, scope, seq: a.seq, tseq: a.tseq }, local: local.info, expiresAt });
        return { granted: true, grant: { leaseId, groupInFlight: a.groupInFlight } };
      } catch (error) {
        this.#link.failed(error);
        // A grant that comes after the deadline is given back at once: this request is decided here instead.
        pending.then((late) => {
          if (!parseAdmit(late).granted) return;
          const info: LeaseInfo = { keyId: ask.keyId, group: ask.group, scope: scopeOf(ask.group, ask.model), seq: Number.NaN, tseq: Number.NaN };
          return this.#link.client.kmxRelease(...this.#releaseArgs(provider, leaseId, info, { now: ask.now }));
        }).catch(() => {});
      }
    }
    const a = this.#local.admit(provider, { ...ask, tokens }, leaseId, expiresAt, this.#share(provider));
    if (!a.granted || !a.info) return a;
    this.#out.set(leaseId, { provider, remote: undefined, local: a.info, expiresAt });
    return { granted: true, grant: a.grant };
  }

  release(provider: string, grant: AdmitGrant, facts: ReleaseFacts): void {
    const out = this.#out.get(grant.leaseId);
    if (!out || out.provider !== provider) return;
    this.#out.delete(grant.leaseId);
    this.#local.release(provider, grant.leaseId, out.local, facts, this.#share(provider));
    const teaches = facts.requests !== undefined || facts.tokens !== undefined || facts.requestsPerDay !== undefined || facts.tokensPerDay !== undefined;
    if (this.#link.usable && (out.remote || teaches)) {
      const info = out.remote ?? { ...out.local, seq: Number.NaN, tseq: Number.NaN };
      this.#link.client.kmxRelease(...this.#releaseArgs(provider, out.remote ? grant.leaseId : '', info, facts)).then(
        () => this.#link.ok(),
        (error: unknown) => {
          this.#link.failed(error);
          if (teaches) this.#keep(provider, info.scope, facts);
        },
      );
    } else if (teaches) this.#keep(provider, out.local.scope, facts);
  }

  #keep(provider: string, scope: string, facts: ReleaseFacts): void {
    this.#pending.set(`${provider}\u0000${scope}`, { provider, scope, facts });
  }

  /** Redis is back: the readings learned meanwhile go there, as fresh ones (nothing Redis counted is taken off). */
  async #replay(): Promise<void> {
    const all = [...this.#pending.values()];
    this.#pending.clear();
    for (const { provider, scope, facts } of all) {
      const [group = scope] = scope.split('\u0000');
      const info: LeaseInfo = { keyId: '', group, scope, seq: Number.NaN, tseq: Number.NaN };
      await this.#link.client.kmxRelease(...this.#releaseArgs(provider, '', info, facts));
    }
    await this.heartbeat(this.#o.now());
  }

  /**
   * Says this replica is alive, renews its leases whose expiry comes within two thirds of their TTL, and
   * learns how many replicas share each provider (this replica's share, should Redis go away).
   */
  async heartbeat(now: number, leaving = false): Promise<void> {
    const until = now + this.#o.leaseTtlMs;
    const byProvider = new Map<string, Array<[string, Out]>>();
    for (const p of this.#replicas.keys()) byProvider.set(p, []);
    for (const [id, out] of this.#out) {
      if (out.expiresAt - now > (this.#o.leaseTtlMs * 2) / 3) continue;
      out.expiresAt = until;
      byProvider.get(out.provider)?.push([id, out]);
    }
    for (const [provider, leases] of byProvider) {
      this.#local.renew(provider, leases.map(([id]) => id), until);
      if (!this.#link.usable) continue;
      const tag = tagOf(this.#o.prefix, provider);
      const keys = [`${tag}replicas`];
      const ids: string[] = [];
      for (const [id, { remote }] of leases) {
        if (!remote) continue; // granted while Redis was away: Redis never counted it
        keys.push(`${tag}g:${part(remote.group)}`, `${tag}k:${part(remote.keyId)}`);
        ids.push(id);
      }
      try {
        const n = await this.#link.client.kmxHeartbeat(keys.length, ...keys, now, this.#id, leaving ? now : now + ALIVE_MS, until, ...ids);
        this.#link.ok();
        if (typeof n === 'number' && n > 0) this.#replicas.set(provider, n);
      } catch (error) {
        this.#link.failed(error);
      }
    }
  }

  #admitArgs(provider: string, ask: AdmitAsk, leaseId: string, expiresAt: number): Array<string | number> {
    const tag = tagOf(this.#o.prefix, provider);
    const k = `${tag}k:${part(ask.keyId)}`;
    const opt = (v: number | undefined) => (v === undefined ? '' : v);
    return [
      `${tag}s:${part(scopeOf(ask.group, ask.model))}`, `${tag}g:${part(ask.group)}`, k, `${k}:rpm`, `${k}:rpd:${Math.floor(ask.now / DAY)}`, `${k}:tpm`,
      ask.now, leaseId, expiresAt, ask.tokens, ask.marginMs, opt(ask.rpm), opt(ask.rpd), opt(ask.tpm), opt(ask.maxConcurrent), opt(ask.groupCap), BUSY_RETRY_MS, KEEP_MS,
    ];
  }

  #releaseArgs(provider: string, leaseId: string, info: LeaseInfo, f: ReleaseFacts): Array<string | number> {
    const tag = tagOf(this.#o.prefix, provider);
    const k = `${tag}k:${part(info.keyId)}`;
    const n = (v: number) => (Number.isNaN(v) ? '' : v);
    const r = f.requests;
    const t = f.tokens;
    const d = f.requestsPerDay;
    const e = f.tokensPerDay;
    return [
      `${tag}s:${part(info.scope)}`, `${tag}g:${part(info.group)}`, k, `${k}:tpm`,
      f.now, leaseId, n(info.seq), n(info.tseq), f.usedTokens ?? '',
      r?.limit ?? '', r?.ratePerMs ?? '', r?.level ?? '', r?.at ?? '',
      t?.limit ?? '', t?.ratePerMs ?? '', t?.level ?? '', t?.at ?? '',
      d?.limit ?? '', d?.remaining ?? '', d?.resetAt ?? '',
      e?.limit ?? '', e?.remaining ?? '', e?.resetAt ?? '',
      KEEP_MS,
    ];
  }

  /** Stops the heartbeat and leaves the replica count (its leases still out expire by their TTL). */
  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    await this.heartbeat(this.#o.now(), true);
  }
}

const HOLDS: readonly AdmitHold[] = ['scope', 'key', 'group'];

function isHold(v: unknown): v is AdmitHold {
  return HOLDS.some((h) => h === v);
}

/** The ADMIT script's answer: {1, seq, tseq, inFlight} or {0, readyAt, hold}. */
export function parseAdmit(r: unknown): { granted: true; seq: number; tseq: number; groupInFlight: number } | { granted: false; readyAt: number; hold: AdmitHold } {
  if (!Array.isArray(r) || r.length < 3) throw new Error(`unexpected admission reply: ${JSON.stringify(r)}`);
  const [ok, a, b, c] = r.map((v: unknown) => (typeof v === 'number' || typeof v === 'string' ? v : undefined));
  if (ok === 0 && isHold(b)) return { granted: false, readyAt: Number(a), hold: b };
  if (ok === 1) return { granted: true, seq: Number(a), tseq: Number(b), groupInFlight: Number(c) };
  throw new Error(`unexpected admission reply: ${JSON.stringify(r)}`);
}
