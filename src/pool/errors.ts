import type { UnavailableReason } from './types.js';

/** Base of every error keymux raises itself; `code` is stable and maps to the server's error table. */
export class KeymuxError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeymuxError';
    this.code = code;
  }
}

const WHY: Record<UnavailableReason, string> = {
  all_cooling: 'every key is cooling down or at its rate budget',
  upstream_failing: 'the provider is failing (server errors, overload or timeouts); its keys are backing off',
  all_refused: 'every key was refused by the provider (403) and is backing off',
  all_disabled: 'every key is disabled',
  all_exhausted: 'every key has exhausted its quota',
  all_busy: 'every key is at its concurrency limit',
  queue_full: 'too many requests are already waiting',
  no_keys: 'no key is configured',
};

/** The provider's last failure as a key saw it: its status when it answered, and the adapter's reason. */
export interface LastFailure {
  status?: number;
  reason?: string;
}

/** "last answer 503 (server_is_overloaded)", "last attempt: UND_ERR_HEADERS_TIMEOUT". */
export function describeFailure(f: LastFailure): string {
  if (f.status !== undefined) return `last answer ${f.status}${f.reason ? ` (${f.reason})` : ''}`;
  return f.reason ? `last attempt: ${f.reason}` : 'no answer';
}

/** No key could take the request before its deadline. `retryAfterMs` is the pool's best estimate of when one can. */
export class AllKeysUnavailable extends KeymuxError {
  readonly reason: UnavailableReason;
  readonly retryAfterMs: number;
  readonly provider: string;
  /** With `upstream_failing`: the last upstream status, when the provider answered at all. */
  readonly lastStatus?: number;
  /** With `upstream_failing`: what the last failure was (the adapter's reason: an error code, a timeout). */
  readonly lastFailure?: string;
  constructor(provider: string, reason: UnavailableReason, retryAfterMs: number, last?: LastFailure) {
    const why = last ? `${WHY[reason]}: ${describeFailure(last)}` : WHY[reason];
    super('KMX_ERR_ALL_KEYS_UNAVAILABLE', `${provider}: no key available: ${why} (retry in ${Math.ceil(retryAfterMs / 1000)}s)`);
    this.name = 'AllKeysUnavailable';
    this.provider = provider;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
    if (last?.status !== undefined) this.lastStatus = last.status;
    if (last?.reason !== undefined) this.lastFailure = last.reason;
  }
}

/** The caller's signal aborted while waiting (named like the platform's so `err.name === 'AbortError'` checks work). */
export class AbortError extends KeymuxError {
  constructor(cause?: unknown) {
    super('KMX_ERR_ABORTED', 'The operation was aborted', { cause });
    this.name = 'AbortError';
  }
}

/** The pool was closed (shutdown or a provider removed by a reload) while the request waited. */
export class PoolClosedError extends KeymuxError {
  constructor(provider: string) {
    super('KMX_ERR_SHUTTING_DOWN', `${provider}: the key pool is closed`);
    this.name = 'PoolClosedError';
  }
}
