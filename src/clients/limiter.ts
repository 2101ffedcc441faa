import { SlidingWindow, UtcDayWindow, type Clock, type Usage } from '../pool/index.js';
import { modelAllowed } from './models.js';

const MINUTE = 60_000;

/** One client's limits, as configured (`clients:`); a proxy key is a client with none. */
export interface ClientLimits {
  readonly name: string;
  readonly rpm?: number;
  readonly tpm?: number;
  readonly rpd?: number;
  /** Approximate spend per UTC month, USD. */
  readonly budgetUsd?: number;
  /** Names as the client sends them, or `provider/*`; absent: every model. */
  readonly models?: readonly string[];
}

/** The cost in USD of some usage of a provider's model: the price table usage tracking uses. */
export type PriceUsage = (provider: string, model: string, usage: Usage) => number;

export type LimitName = 'rpm' | 'tpm' | 'rpd';

/** Why a client's request is refused before any provider key is spent on it. */
export type ClientRefusal =
  | { kind: 'limit'; client: string; limit: LimitName; value: number; retryAfterMs: number }
  | { kind: 'budget'; client: string; budgetUsd: number; spentUsd: number; retryAfterMs: number }
  | { kind: 'model'; client: string; model: string };

/** An admitted request: what to correct when its outcome lands (settle). */
export interface ClientTicket {
  readonly client: string;
  /** Tokens counted at admission (the estimate). */
  readonly tokens: number;
}

export type Admission = { ok: true; ticket: ClientTicket } | { ok: false; refusal: ClientRefusal };

/** The view of a client without rpm or tpm. */
const NO_WINDOWS: ClientView = Object.freeze({});

/** The admission of a request whose client has no limits: one shared value, nothing allocated on the hot path. */
const FREE: Admission = Object.freeze({ ok: true, ticket: Object.freeze({ client: '', tokens: 0 }) });

/** One window of a client's own limit as it stands: what rate-limit headers narrow the pool's to. */
export interface WindowView {
  limit: number;
  remaining: number;
  resetMs: number;
}
export interface ClientView {
  requests?: WindowView;
  tokens?: WindowView;
}

/** What settle() learns of a request: its provider and model, whether it succeeded, and the usage reported. */
export interface Settlement {
  provider: string;
  model: string;
  ok: boolean;
  usage?: Usage | undefined;
}

/** The UTC month of a time, as a number that grows by one each month. */
function monthOf(t: number): number {
  const d = new Date(t);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

function monthStart(month: number): number {
  return Date.UTC(Math.floor(month / 12), month % 12, 1);
}

function tokensOf(u: Usage | undefined): number | undefined {
  if (!u) return undefined;
  if (u.totalTokens !== undefined) return u.totalTokens;
  if (u.inputTokens === undefined && u.outputTokens === undefined) return undefined;
  return (u.inputTokens ?? 0) + (u.outputTokens ?? 0);
}

class ClientState {
  readonly rpm: SlidingWindow | undefined;
  readonly tpm: SlidingWindow | undefined;
  readonly rpd: UtcDayWindow | undefined;
  month = -1;
  spentUsd = 0;

  constructor(public limits: ClientLimits) {
    this.rpm = limits.rpm !== undefined ? new SlidingWindow(MINUTE, limits.rpm) : undefined;
    this.tpm = limits.tpm !== undefined ? new SlidingWindow(MINUTE, limits.tpm) : undefined;
    this.rpd = limits.rpd !== undefined ? new UtcDayWindow(limits.rpd) : undefined;
  }

  /** The spend of the month `now` is in (a new month starts from zero). */
  spent(now: number): number {
    const m = monthOf(now);
    if (m !== this.month) {
      this.month = m;
      this.spentUsd = 0;
    }
    return this.spentUsd;
  }

  /** Same limits as another's: a reload that changes nothing of a client keeps its counts. */
  sameAs(l: ClientLimits): boolean {
    const a = this.limits;
    return a.rpm === l.rpm && a.tpm === l.tpm && a.rpd === l.rpd;
  }
}

/**
 * Clients' own limits: requests and tokens per minute (sliding windows), requests per UTC day, and spend per UTC
 * month. Pure logic on the injected clock. A request is admitted (counted) before a provider key is acquired,
 * with its estimated tokens; its outcome corrects the tokens and adds its cost. The month's spend is seeded from
 * stored usage at start, then kept here. Nothing here touches provider keys: a client over its limit is that
 * client's business, and no key cools for it.
 */
export class ClientLimiter {
  readonly #clients = new Map<string, ClientState>();

  constructor(
    clients: readonly ClientLimits[],
    private readonly clock: Clock,
    private readonly price: PriceUsage,
  ) {
    this.setClients(clients);
  }

  /** Hot reload: clients that stay with the same limits keep their windows and spend; others start afresh. */
  setClients(clients: readonly ClientLimits[]): void {
    const old = new Map(this.#clients);
    this.#clients.clear();
    for (const c of clients) {
      const was = old.get(c.name);
      if (was?.sameAs(c)) {
        was.limits = c;
        this.#clients.set(c.name, was);
        continue;
      }
      const s = new ClientState(c);
      if (was) {
        s.month = was.month;
        s.spentUsd = was.spentUsd;
      }
      this.#clients.set(c.name, s);
    }
  }

  /** Whether a name is a client with limits (plain proxy keys and unknown names have none). */
  has(client: string): boolean {
    return this.#clients.has(client);
  }

  /** Adds spend recorded before this process started (this month's stored client usage). */
  seed(client: string, usd: number, at: number): void {
    const s = this.#clients.get(client);
    if (!s || monthOf(at) !== monthOf(this.clock.now())) return;
    s.spent(at);
    s.spentUsd += usd;
  }

  /** Start of the current UTC month, for reading this month's stored usage. */
  monthStart(): number {
    return monthStart(monthOf(this.clock.now()));
  }

  /** Whether the client may use the model it asked for (`asked`, as sent), served by `provider`. */
  allows(client: string | undefined, asked: string, provider: string): ClientRefusal | undefined {
    const s = client === undefined ? undefined : this.#clients.get(client);
    if (!s || modelAllowed(s.limits.models, asked, provider)) return undefined;
    return { kind: 'model', client: s.limits.name, model: asked };
  }

  /**
   * Counts one request of `tokens` (estimated) against the client's limits, or says which limit refuses it and
   * when it would fit. A client without limits (or none at all) is always admitted.
   */
  admit(client: string | undefined, tokens: number): Admission {
    const s = client === undefined ? undefined : this.#clients.get(client);
    if (!s) return FREE;
    const t = Math.max(0, tokens);
    const now = this.clock.now();
    const l = s.limits;
    const name = l.name;
    if (l.budgetUsd !== undefined && s.spent(now) >= l.budgetUsd) {
      const next = monthStart(monthOf(now) + 1);
      return { ok: false, refusal: { kind: 'budget', client: name, budgetUsd: l.budgetUsd, spentUsd: s.spentUsd, retryAfterMs: next - now } };
    }
    // Day first: waiting out a minute does not help a client whose day is spent.
    const checks: Array<[LimitName, SlidingWindow | UtcDayWindow | undefined, number, number | undefined]> = [
      ['rpd', s.rpd, 1, l.rpd],
      ['rpm', s.rpm, 1, l.rpm],
      ['tpm', s.tpm, t, l.tpm],
    ];
    for (const [limit, w, need, value] of checks) {
      if (!w || value === undefined) continue;
      const ready = w.readyAt(now, need);
      if (ready > now) return { ok: false, refusal: { kind: 'limit', client: name, limit, value, retryAfterMs: ready - now } };
    }
    s.rpd?.add(now);
    s.rpm?.add(now);
    if (t > 0) s.tpm?.add(now, t);
    return { ok: true, ticket: { client: name, tokens: s.tpm ? t : 0 } };
  }

  /**
   * A request's outcome landed: its tokens replace the estimate (a failure used none; a success without usage
   * keeps the estimate), and its cost is added to the month's spend.
   */
  settle(ticket: ClientTicket, o: Settlement): void {
    const s = this.#clients.get(ticket.client);
    if (!s) return;
    const now = this.clock.now();
    const actual = tokensOf(o.usage) ?? (o.ok ? ticket.tokens : 0);
    if (s.tpm && actual !== ticket.tokens) s.tpm.add(now, actual - ticket.tokens);
    if (o.usage) {
      const usd = this.price(o.provider, o.model, o.usage);
      if (usd > 0) {
        s.spent(now);
        s.spentUsd += usd;
      }
    }
  }

  /** The client's own request and token windows now (undefined where it has no such limit). */
  view(client: string, now: number): ClientView {
    const s = this.#clients.get(client);
    // Most clients have no windows: one shared empty view, nothing allocated on the hot path.
    if (!s || (!s.rpm && !s.tpm)) return NO_WINDOWS;
    const out: ClientView = {};
    if (s.rpm) out.requests = windowView(s.rpm, now);
    if (s.tpm) out.tokens = windowView(s.tpm, now);
    return out;
  }

  /** The month's spend so far, for the admin API and tests. */
  spentUsd(client: string): number | undefined {
    return this.#clients.get(client)?.spent(this.clock.now());
  }
}

function windowView(w: SlidingWindow, now: number): WindowView {
  const used = Math.max(0, w.used(now));
  const remaining = Math.max(0, w.limit - used);
  // Until the window is whole again (every entry in it has left), as providers' reset headers mean it.
  const resetMs = Math.max(0, w.readyAt(now, w.limit) - now);
  return { limit: w.limit, remaining, resetMs };
}
