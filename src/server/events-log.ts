import type { Logger } from 'pino';
import { keyId, type KeyId, type KeyPool } from '../pool/index.js';
import { redactText } from './redact.js';
import type { ProviderRuntime, Runtime } from './runtime.js';

/**
 * A cooldown longer than this is news for an operator (one line at warn); shorter ones are a rate limit doing
 * its job, many a minute under load: counted in keymux_key_cooldowns_total, not logged one by one.
 */
export const LOGGED_COOLDOWN_MS = 60_000;

/** Key-shaped tokens of the known providers, masked in any reason even when the key is not one of ours. */
const KEY_LIKE = /\b(sk-(?:ant-|proj-)?|AIza|gsk_|xai-)[A-Za-z0-9_-]{12,}/g;

/**
 * Every change of a key's state as one log line: warn when a key goes out for long (disabled, exhausted, cooling
 * over a minute), info when it comes back (recovered, enabled, re-checked). A `recovered` is logged only for an
 * out that was logged: the end of a two-second cooldown is not news either.
 */
export class KeyEventLog {
  /** provider \0 key \0 model scope of each logged out, so its end is logged too. */
  readonly #out = new Set<string>();

  constructor(
    private readonly rt: Runtime,
    private readonly logger: Logger,
  ) {
    rt.eachPool((name, pool) => this.#watch(name, pool));
  }

  /** Listens to one pool (the runtime hands over each, at start and after reloads). */
  #watch(name: string, pool: KeyPool): void {
    pool.on('disabled', (e) => this.#went('key disabled', name, e.keyId, undefined, e.reason, undefined));
    pool.on('exhausted', (e) => this.#went('key exhausted', name, e.keyId, e.model, e.reason, e.until));
    pool.on('cooldown', (e) => {
      if (e.until - this.rt.clock.now() > LOGGED_COOLDOWN_MS) this.#went('key cooling', name, e.keyId, e.model, e.reason, e.until);
    });
    pool.on('recovered', (e) => {
      if (this.#out.delete(scopeKey(name, e.keyId, e.model))) this.#back('key recovered', name, e.keyId, e.model);
    });
    pool.on('enabled', (e) => {
      for (const s of this.#out) if (s.startsWith(`${name}\u0000${e.keyId}\u0000`)) this.#out.delete(s);
      this.#back('key enabled', name, e.keyId, undefined);
    });
    pool.on('inferred', (e) => this.logger.info({ provider: name, group: e.group, keyIds: e.keyIds, confidence: e.confidence, merged: e.merged }, 'keys share a quota (inferred)'));
    pool.on('sounding', (e) => this.logger.info({ provider: name, keyId: e.keyId, group: e.group }, 'key of unknown limits sounded: it takes all the traffic it can until its limit is learned'));
  }

  /** A re-check's verdict (recovery.ts, keys check, the admin API): info when it passed, warn when it did not. */
  checked(provider: string, id: KeyId, valid: boolean, outcome: string, reason: string | null): void {
    const fields = { ...this.#fields(provider, id, undefined, reason ?? undefined), outcome };
    if (valid) this.logger.info(fields, 'key re-checked');
    else this.logger.warn(fields, 'key re-checked');
  }

  #went(msg: string, provider: string, id: KeyId, model: string | undefined, reason: string | undefined, until: number | undefined): void {
    this.#out.add(scopeKey(provider, id, model));
    this.logger.warn({ ...this.#fields(provider, id, model, reason), ...(until !== undefined && { until: new Date(until).toISOString() }) }, msg);
  }

  #back(msg: string, provider: string, id: KeyId, model: string | undefined): void {
    this.logger.info(this.#fields(provider, id, model, undefined), msg);
  }

  #fields(provider: string, id: KeyId, model: string | undefined, reason: string | undefined) {
    const p = this.rt.providers.get(provider);
    return {
      provider,
      keyId: id,
      key: p?.pool.key(id)?.masked,
      model: model ?? '*',
      ...(reason !== undefined && { reason: maskReason(reason, p, this.rt) }),
    };
  }
}

function scopeKey(provider: string, id: KeyId, model: string | undefined): string {
  return `${provider}\u0000${id}\u0000${model ?? ''}`;
}

/** A provider's words with its keys (any of them) masked, URLs' credentials hidden, and any key-shaped token cut. */
export function maskReason(reason: string, p: ProviderRuntime | undefined, rt?: Runtime): string {
  let text = redactText(reason);
  if (p) {
    // Only on a state change, so a pass over the provider's keys (configured and added) is cheap enough.
    for (const c of rt ? rt.keysOf(p.config) : p.config.keys) {
      const secret = c.key;
      if (secret.length >= 8 && text.includes(secret)) text = text.split(secret).join(`[key ${keyId(secret)}]`);
    }
  }
  return text.replace(KEY_LIKE, (_m, prefix: string) => `${prefix}***`);
}
