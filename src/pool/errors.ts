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
  all_disabled: 'every key is disabled',
  all_exhausted: 'every key has exhausted its quota',
  all_busy: 'every key is at its concurrency limit',
  queue_full: 'too many requests are already waiting',
  no_keys: 'no key is configured',
};

/** No key could take the request before its deadline. `retryAfterMs` is the pool's best estimate of when one can. */
export class AllKeysUnavailable extends KeymuxError {
  readonly reason: UnavailableReason;
  readonly retryAfterMs: number;
  readonly provider: string;
  constructor(provider: string, reason: UnavailableReason, retryAfterMs: number) {
    super('KMX_ERR_ALL_KEYS_UNAVAILABLE', `${provider}: no key available: ${WHY[reason]} (retry in ${Math.ceil(retryAfterMs / 1000)}s)`);
    this.name = 'AllKeysUnavailable';
    this.provider = provider;
    this.reason = reason;
    this.retryAfterMs = retryAfterMs;
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
