import { isUtf8 } from 'node:buffer';
import { AllKeysUnavailable, PoolClosedError, isRetryable } from '../pool/index.js';
import type { AttemptResult, KeyId, KeyPool, Lease, Outcome, RunOptions, RunResult } from '../pool/index.js';
import type { Headers, PreparedCall, ReadAnswer } from '../providers/index.js';
import { HttpError } from './errors.js';
import type { ProviderRuntime, Runtime } from './runtime.js';
import { UpstreamBodyError, send, type StreamResponse, type WholeResponse } from './upstream.js';

/** What the last attempt brought back. */
export type Answer =
  /**
   * A whole answer, read: every error, and every success that is not a stream. `text` is decoded and `parsed`
   * (JSON when it parses, else the text) parsed on first read: a relayed 2xx needs neither (the adapter judged
   * it from its bytes). `bytes`: the body as received, when `text` is exactly their decoding (valid UTF-8): an
   * answer relayed unchanged is written from them, never decoded, re-encoded nor measured again.
   */
  | { kind: 'buffered'; status: number; headers: Headers; readonly text: string; bytes?: Buffer; readonly parsed: unknown }
  /** A 2xx stream, unread: its lease is still held, for whoever relays it to report when it ends. */
  | { kind: 'stream'; res: StreamResponse; atHeaders: Outcome }
  /** No answer at all: the provider could not be reached on the last attempt. */
  | { kind: 'failed'; error: Error & { code?: string } };

/**
 * A buffered answer whose text and parsed body come from the adapter's read on first use. A class, not an object
 * literal with getters: a literal's accessors are defined through the runtime on every request.
 */
class Buffered {
  readonly kind = 'buffered';
  readonly bytes?: Buffer;
  readonly #read: ReadAnswer;
  constructor(
    readonly status: number,
    readonly headers: Headers,
    read: ReadAnswer,
    bytes: Buffer | undefined,
  ) {
    this.#read = read;
    if (bytes !== undefined) this.bytes = bytes;
  }

  get text(): string {
    return this.#read.text();
  }

  get parsed(): unknown {
    return this.#read.body();
  }
}

export interface AttemptPlan {
  provider: ProviderRuntime;
  /** The pool's model scope (`*` for calls that concern no model). */
  model: string;
  call: PreparedCall;
  stream: boolean;
  signal: AbortSignal;
  maxAttempts: number;
  deadlineMs?: number;
  estimatedTokens?: number;
  /** Who is asking (a client's name): its lane in the pool's wait queue (fair share). */
  client?: string;
  /**
   * false: the answer says nothing about the key (listing models: a provider may refuse a key there and serve
   * it for inference): each lease is released without a verdict. Only inference and key checks judge keys.
   * For buffered calls only: a stream's lease is released too.
   */
  judge?: boolean;
  /** Counts every upstream call made, those of a run that ends in a refusal too (a fallback group's budget). */
  tally?: { calls: number };
}

export interface Attempted {
  answer: Answer;
  outcome: Outcome;
  attempts: number;
  lease: Lease;
  /** Time to the last attempt's response headers, when it got any (the request log, the log line). */
  ttfbMs?: number;
}

/**
 * One request's way through a provider's pool: a key, the call, the adapter's verdict, and another key while the
 * verdict is worth a retry. Every route that calls a provider goes through here, on the runtime's clock.
 * Throws HttpError when no key could be had (the pool's refusal in keymux's words), ClientGone when the client
 * left while waiting.
 */
export async function attempt(rt: Runtime, plan: AttemptPlan): Promise<Attempted> {
  const { provider, model, call, signal } = plan;
  const { adapter } = provider;
  const ctx = () => ({ now: rt.clock.now(), model });
  const max = rt.config.server.maxUpstreamBodyBytes;
  const obs = rt.observer;
  const arrived = obs ? performance.now() : 0;
  let waited = false;
  let ttfbMs: number | undefined;
  /** A 2xx stream whose headers said it failed, unread: let go when another attempt takes its place. */
  let unread: StreamResponse['body'] | undefined;
  const one = async (lease: Lease): Promise<AttemptResult<Answer>> => {
    unread?.destroy();
    unread = undefined;
    const sent = performance.now();
    ttfbMs = undefined;
    if (plan.tally) plan.tally.calls++;
    const heard = (): void => {
      ttfbMs = performance.now() - sent;
      obs?.ttfb(provider.name, model, ttfbMs);
    };
    // An answer is read whole here, where a body that stalls, breaks or overflows fails the attempt like a
    // refused connection: classified, and retried. Only a 2xx stream stays unread, for the relay.
    let whole: WholeResponse;
    try {
      const answer = send(rt.dispatcher, call, lease.key, signal, max, plan.stream, heard);
      // The wait for the first key only: later attempts' waits include the retry backoff, which is not queueing.
      // Observed once the call is dispatched: on a reused connection undici writes it at the end of the turn
      // (its idle-socket check), and an observation deferred before the dispatch would run first, holding it back.
      if (obs && !waited) {
        waited = true;
        obs.queueWait(provider.name, sent - arrived);
      }
      const got = await answer;
      if ('body' in got) {
        const atHeaders = adapter.classify({ status: got.status, headers: got.headers }, ctx());
        if (atHeaders.kind !== 'ok') unread = got.body;
        return { outcome: atHeaders, value: { kind: 'stream', res: got, atHeaders }, keepLease: atHeaders.kind === 'ok' };
      }
      whole = got;
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      return { outcome: adapter.classify({ error }, ctx()), value: { kind: 'failed', error } };
    }
    const { status, headers, bytes } = whole;
    const read = adapter.classifyText(status, headers, bytes, ctx());
    return { outcome: read.outcome, value: new Buffered(status, headers, read, isUtf8(bytes) ? bytes : undefined) };
  };
  const opts: RunOptions = { maxAttempts: plan.maxAttempts, signal };
  if (plan.deadlineMs !== undefined) opts.deadlineMs = plan.deadlineMs;
  if (plan.estimatedTokens !== undefined) opts.estimatedTokens = plan.estimatedTokens;
  if (plan.client !== undefined) opts.client = plan.client;
  try {
    const r = plan.judge === false ? await runUnjudged(rt, provider.pool, model, one, opts) : await provider.pool.run<Answer>(model, one, opts);
    const done: Attempted = { answer: r.value, outcome: r.outcome, attempts: r.attempts, lease: r.lease };
    if (ttfbMs !== undefined) done.ttfbMs = Math.round(ttfbMs * 10) / 10;
    return done;
  } catch (err) {
    if (signal.aborted) throw new ClientGone();
    if (err instanceof AllKeysUnavailable) throw unavailable(err, provider.name);
    if (err instanceof PoolClosedError) {
      // A reload removed (or replaced) the provider, or the server is shutting down, while this request waited.
      throw new HttpError('KMX_ERR_SHUTTING_DOWN', `${provider.name}: the provider's key pool was closed (configuration reloaded or shutting down); retry`, {
        headers: { 'retry-after': '1' },
      });
    }
    throw err;
  }
}

/**
 * pool.run() without verdicts: each lease is released (counted as cancelled, which changes no key's health),
 * and an answer worth a retry is tried on a key not tried yet, while one is usable.
 */
async function runUnjudged<T>(
  rt: Runtime,
  pool: KeyPool,
  model: string,
  one: (lease: Lease) => Promise<AttemptResult<T>>,
  opts: RunOptions,
): Promise<RunResult<T>> {
  const tried = new Set<KeyId>();
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 1);
  const deadline = opts.deadlineMs !== undefined ? rt.clock.now() + opts.deadlineMs : undefined;
  for (let n = 1; ; n++) {
    const lease = await pool.acquire({
      model,
      ...(opts.signal && { signal: opts.signal }),
      ...(opts.client !== undefined && { client: opts.client }),
      ...(deadline !== undefined && { deadlineMs: Math.max(0, deadline - rt.clock.now()) }),
      ...(tried.size > 0 && pool.hasUsableKeyOutside(tried) && { exclude: tried }),
    });
    let r: AttemptResult<T>;
    try {
      r = await one(lease);
    } finally {
      lease.release();
    }
    if (n >= maxAttempts || !isRetryable(r.outcome) || opts.signal?.aborted === true) return { value: r.value, outcome: r.outcome, attempts: n, lease };
    tried.add(lease.keyId);
  }
}

/** The client went away before an answer: there is nobody to send an error to. */
export class ClientGone extends Error {
  constructor() {
    super('the client went away');
    this.name = 'ClientGone';
  }
}

const WHY: Readonly<Record<string, string>> = {
  all_cooling: 'every key is cooling down after rate limits',
  all_refused: 'every key was refused by the provider (403) and is backing off briefly',
  all_disabled: 'every key is disabled (invalid or revoked)',
  all_exhausted: 'every key has exhausted its quota',
  all_busy: 'every key is at its concurrency or budget limit',
  queue_full: 'too many requests are already waiting',
  no_keys: 'no key is configured',
};

function unavailable(err: AllKeysUnavailable, provider: string): HttpError {
  const why = WHY[err.reason] ?? err.reason;
  const retrySec = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
  // No key will come back by waiting: the SDKs must not retry into the same answer.
  if (err.reason === 'all_disabled' || err.reason === 'no_keys') {
    return new HttpError('KMX_ERR_NO_KEYS', `${provider}: ${why}`, { headers: { 'x-should-retry': 'false' } });
  }
  if (err.reason === 'upstream_failing') return failing(err, provider, retrySec);
  return new HttpError('KMX_ERR_ALL_KEYS_UNAVAILABLE', `${provider}: no key can take the request: ${why}; retry in ${retrySec}s`, {
    headers: { 'retry-after': String(retrySec) },
  });
}

/**
 * Every key is backing off after the provider's own failures (5xx, overload, timeouts): a gateway error naming
 * the last one, not a rate limit. A timeout or an unreachable provider gets its own code, as in unreachable().
 */
function failing(err: AllKeysUnavailable, provider: string, retrySec: number): HttpError {
  const { lastStatus: status, lastFailure: reason } = err;
  const last = status !== undefined ? `last answer ${status}${reason ? ` (${reason})` : ''}` : reason ? `last attempt: ${reason}` : 'no answer';
  const code = status !== undefined || reason === undefined ? 'KMX_ERR_UPSTREAM'
    : TIMEOUTS.has(reason) || reason === 'timeout' ? 'KMX_ERR_UPSTREAM_TIMEOUT' : 'KMX_ERR_UPSTREAM_UNREACHABLE';
  return new HttpError(code, `${provider}: the provider is failing: ${last}; its keys are backing off, retry in ${retrySec}s`, {
    headers: { 'retry-after': String(retrySec) },
  });
}

const TIMEOUTS: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/** The client's error when the last attempt brought no answer to relay. */
export function unreachable(err: Error & { code?: string }, o: Outcome): HttpError {
  // The provider was reached, but its answer cannot be relayed (too long, undecodable).
  if (err instanceof UpstreamBodyError) return new HttpError('KMX_ERR_UPSTREAM', err.message);
  const code = err.code ?? '';
  if (TIMEOUTS.has(code)) return new HttpError('KMX_ERR_UPSTREAM_TIMEOUT', `The provider did not answer in time (${code})`);
  return new HttpError('KMX_ERR_UPSTREAM_UNREACHABLE', `The provider could not be reached: ${code || err.message}${o.reason ? ` (${o.reason})` : ''}`);
}
