import type { Clock } from './clock.js';
import { AbortError } from './errors.js';
import { isRetryable, type Outcome } from './outcome.js';
import type { AcquireOptions, AttemptResult, KeyId, Lease, RunOptions, RunResult } from './types.js';

/** What run() needs of a pool. */
export interface RunHost {
  readonly clock: Clock;
  acquire(opts: AcquireOptions): Promise<Lease>;
  hasUsableKeyOutside(exclude: ReadonlySet<KeyId>): boolean;
  readonly retrySettings: { baseMs: number; random: () => number };
}

/** Waits on the pool's clock, so a ManualClock drives retries too. */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      timer.cancel();
      reject(new AbortError(signal?.reason));
    };
    const timer = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function requestsFault(o: Outcome): Outcome {
  const reason = `${o.reason ?? 'forbidden'} (refused by two keys)`;
  return { kind: 'client_error', reason, ...(o.status !== undefined && { status: o.status }), ...(o.group !== undefined && { group: o.group }) };
}

function errorReason(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  return typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'error';
}

/**
 * acquire → attempt → report, up to maxAttempts. A retryable outcome is retried on a key that has not failed
 * this request; a failed key comes back only when no other usable key exists, and then only once the pool
 * finds it eligible again (recovered). client_error and success return at once. Rounds are separated by a
 * small jittered backoff on the pool's clock. When no key can be had in time, acquire's AllKeysUnavailable
 * propagates; when attempts run out, the last result is returned so the caller can relay the upstream error.
 * An ambiguous refusal (auth_suspect) is retried once: refused by a second key, the request is the cause.
 * After a 429 the retries are wary (wary.ts): keys whose limits are still unknown were given alike and may
 * be out together, so one is taken only once it has shown room, or after a short wait.
 */
export async function runWithPool<T>(
  pool: RunHost,
  model: string,
  attempt: (lease: Lease, attemptNo: number) => Promise<AttemptResult<T>>,
  opts: RunOptions,
): Promise<RunResult<T>> {
  const { clock } = pool;
  const { signal } = opts;
  const maxAttempts = Math.max(1, Math.floor(opts.maxAttempts ?? 3));
  const deadline = opts.deadlineMs !== undefined ? clock.now() + opts.deadlineMs : undefined;
  const failed = new Set<KeyId>();
  let last: RunResult<T> | undefined;
  let refusals = 0;
  let refused = false;

  for (let n = 1; n <= maxAttempts; n++) {
    if (n > 1) {
      const { baseMs, random } = pool.retrySettings;
      let ms = Math.min(2_000, baseMs * 2 ** (n - 2)) * (0.5 + random() / 2);
      if (deadline !== undefined) ms = Math.min(ms, Math.max(0, deadline - clock.now()));
      await sleep(clock, Math.round(ms), signal);
    }
    const exclude = failed.size > 0 && pool.hasUsableKeyOutside(failed) ? failed : undefined;
    const acquire: AcquireOptions = { model };
    if (opts.estimatedTokens !== undefined) acquire.estimatedTokens = opts.estimatedTokens;
    if (signal) acquire.signal = signal;
    if (opts.client !== undefined) acquire.client = opts.client;
    if (deadline !== undefined) acquire.deadlineMs = Math.max(0, deadline - clock.now());
    if (exclude) acquire.exclude = exclude;
    if (refused) acquire.wary = true;
    const lease = await pool.acquire(acquire);

    let r: AttemptResult<T>;
    try {
      r = await attempt(lease, n);
    } catch (err) {
      const aborted = signal?.aborted === true;
      const o: Outcome = aborted ? { kind: 'cancelled' } : { kind: 'network', reason: errorReason(err) };
      lease.report(o);
      if (aborted || n === maxAttempts) throw err;
      failed.add(lease.keyId);
      continue;
    }
    let o = r.outcome;
    // An ambiguous refusal from a second key: the request is what the keys have in common. It goes back to
    // the client, and this key is not blamed for it (the pool would count it towards a disable).
    if (o.kind === 'auth_suspect' && ++refusals > 1) o = requestsFault(o);
    // keepLease hands a flowing stream's lease to the caller, who reports when it ends.
    if (!(r.keepLease === true && o.kind === 'ok')) lease.report(o);
    last = { value: r.value, outcome: o, attempts: n, lease };
    if (!isRetryable(o) || signal?.aborted === true) return last;
    if (o.kind === 'rate_limited') refused = true;
    failed.add(lease.keyId);
  }
  // Only reachable after a retryable outcome on the last attempt (a throw on it rethrows above).
  return last!;
}
