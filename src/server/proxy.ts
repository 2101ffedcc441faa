import type { IncomingMessage, ServerResponse } from 'node:http';
import { AllKeysUnavailable, PoolClosedError, isRetryable } from '../pool/index.js';
import type { Lease, Outcome, Usage } from '../pool/index.js';
import { createUsageTracker } from '../providers/index.js';
import type { Headers } from '../providers/index.js';
import { HttpError, type ClientDialect } from './errors.js';
import type { Runtime, ProviderRuntime } from './runtime.js';
import { parseMaybeJson, readText, send, type UpstreamCall, type UpstreamResponse } from './upstream.js';
import { relayStream, type StreamPlan } from './relay.js';

/** Everything a route decided about one request before it goes upstream. */
export interface ProxyJob {
  clientDialect: ClientDialect;
  provider: ProviderRuntime;
  /** The model as the provider knows it. */
  model: string;
  stream: boolean;
  estimatedTokens?: number;
  /** Builds the upstream call for a key (the secret goes into headers here and nowhere else). */
  build(key: string): UpstreamCall;
  /** For a non-streaming success: the client's body from the upstream's (identity for pass-through). */
  mapBody?(upstream: unknown): unknown;
  /** For an upstream error: the client's error body from the upstream's, when dialects differ. */
  mapError?(status: number, upstream: unknown): unknown;
  /** How to relay a stream (pass-through, strip usage, translate). */
  streamPlan?: StreamPlan;
  /** Extra response headers (x-keymux-warnings). */
  extraHeaders?: Record<string, string>;
}

/** What the route logs about the request. */
export interface ProxyLog {
  provider?: string;
  model?: string;
  keyId?: string;
  attempts?: number;
  upstreamStatus?: number;
  /** The provider's id for the request (x-request-id, request-id, body request_id): what its support asks for. */
  upstreamRequestId?: string;
  outcome?: string;
  usage?: Usage;
}

type AttemptValue =
  | { kind: 'buffered'; status: number; headers: Headers; text: string; parsed: unknown }
  | { kind: 'stream'; res: UpstreamResponse }
  | { kind: 'failed'; error: Error & { code?: string } };

/** Upstream request ids help a user quote a failure to the provider; nothing account-identifying is passed on. */
const FORWARDED_HEADERS = ['x-request-id', 'request-id'];

export async function proxy(rt: Runtime, job: ProxyJob, req: IncomingMessage, res: ServerResponse, log: ProxyLog): Promise<void> {
  const { provider } = job;
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.on('close', onClose);
  log.provider = provider.name;
  log.model = job.model;
  const now = () => Date.now();
  let result;
  try {
    result = await provider.pool.run<AttemptValue>(
      job.model,
      async (lease) => {
        log.keyId = lease.keyId;
        let call: UpstreamCall;
        try {
          call = job.build(lease.key);
        } catch (err) {
          // A route this provider's dialect lacks: the request's fault, not the key's, and no other key would do better.
          return { outcome: { kind: 'client_error', reason: 'unsupported route' }, value: { kind: 'failed', error: err as Error } };
        }
        let up: UpstreamResponse;
        try {
          up = await send(provider, rt.dispatcher, call, ac.signal);
        } catch (err) {
          const error = err as Error & { code?: string };
          return { outcome: provider.adapter.classify({ error }, { now: now(), model: job.model }), value: { kind: 'failed', error } };
        }
        const ok = up.status >= 200 && up.status < 300;
        if (ok && job.stream) {
          const outcome = provider.adapter.classify({ status: up.status, headers: up.headers }, { now: now(), model: job.model });
          return { outcome, value: { kind: 'stream', res: up }, keepLease: outcome.kind === 'ok' };
        }
        const text = await readText(up.body);
        const parsed = parseMaybeJson(text);
        const outcome = provider.adapter.classify({ status: up.status, headers: up.headers, body: parsed }, { now: now(), model: job.model });
        return { outcome, value: { kind: 'buffered', status: up.status, headers: up.headers, text, parsed } };
      },
      {
        maxAttempts: rt.config.retry.maxAttempts,
        signal: ac.signal,
        ...(job.estimatedTokens !== undefined ? { estimatedTokens: job.estimatedTokens } : {}),
      },
    );
  } catch (err) {
    res.off('close', onClose);
    if (ac.signal.aborted) return; // the client left while queued: nothing to answer
    if (err instanceof AllKeysUnavailable) throw unavailable(err, provider.name);
    if (err instanceof PoolClosedError) {
      // A reload removed (or replaced) the provider, or the server is shutting down, while this request waited.
      throw new HttpError('KMX_ERR_SHUTTING_DOWN', `${provider.name}: the provider's key pool was closed (configuration reloaded or shutting down); retry`, {
        headers: { 'retry-after': '1' },
      });
    }
    throw err;
  }
  log.attempts = result.attempts;
  log.outcome = result.outcome.kind;
  const v = result.value;
  if (v.kind === 'stream') {
    log.upstreamStatus = v.res.status;
    log.upstreamRequestId = provider.adapter.requestIdFrom?.(v.res.headers);
    await streamToClient(job, v.res, result, res, ac, log);
    res.off('close', onClose);
    return;
  }
  res.off('close', onClose);
  if (v.kind === 'failed') {
    if (ac.signal.aborted) return;
    if (result.outcome.kind === 'client_error') throw new HttpError('KMX_ERR_NOT_FOUND', `${provider.name}: ${v.error.message}`);
    throw transportError(v.error, result.outcome);
  }
  log.upstreamStatus = v.status;
  log.upstreamRequestId = provider.adapter.requestIdFrom?.(v.headers, v.parsed);
  if (result.outcome.kind === 'ok') log.usage = (result.outcome as { usage?: Usage }).usage;
  const headers: Record<string, string> = { ...job.extraHeaders, ...forwarded(v.headers), 'x-keymux-provider': provider.name, 'x-keymux-key': result.lease.keyId, 'x-keymux-attempts': String(result.attempts) };
  const success = v.status >= 200 && v.status < 300;
  let { text, parsed } = v;
  if (!success) {
    Object.assign(headers, errorHeaders(result.outcome, v.headers));
    // Some providers echo the whole key in their 401/400 bodies: the client must not learn it from us.
    const key = result.lease.key;
    if (key && text.includes(key)) {
      text = text.split(key).join(result.lease.masked);
      parsed = parseMaybeJson(text);
    }
  }
  const mapper = success ? job.mapBody : job.mapError ? (b: unknown) => job.mapError!(v.status, b) : undefined;
  if (mapper) {
    headers['content-type'] = 'application/json';
    send200(res, v.status, headers, JSON.stringify(mapper(parsed)));
  } else {
    headers['content-type'] = String(v.headers['content-type'] ?? 'application/json');
    send200(res, v.status, headers, text);
  }
}

function send200(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  headers['content-length'] = String(Buffer.byteLength(body));
  res.writeHead(status, headers);
  res.end(body);
}

async function streamToClient(
  job: ProxyJob,
  up: UpstreamResponse,
  run: { lease: Lease; outcome: Outcome; attempts: number },
  res: ServerResponse,
  ac: AbortController,
  log: ProxyLog,
): Promise<void> {
  const { lease, outcome: atHeaders } = run;
  const tracker = createUsageTracker(job.provider.info.dialect === 'azure' ? 'openai' : job.provider.info.dialect);
  const plan = job.streamPlan ?? { mode: 'passthrough' as const };
  try {
    // The head leaves with the first chunk when that is already here (one write instead of two), and on the
    // next turn of the event loop when it is not, so a slow first token never holds the headers back.
    res.cork();
    setImmediate(() => res.uncork());
    res.writeHead(up.status, {
      ...job.extraHeaders,
      ...forwarded(up.headers),
      'content-type': plan.contentType ?? 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-keymux-provider': job.provider.name,
      'x-keymux-key': lease.keyId,
      'x-keymux-attempts': String(run.attempts),
    });
    res.flushHeaders();
    const ended = await relayStream(up.body, res, plan, tracker, job.clientDialect, ac.signal);
    // The limits came with the headers, the usage with the end of the stream: the pool hears both at once.
    const outcome: Outcome = ended.kind === 'ok' ? { ...atHeaders, ...ended } : ended;
    if (outcome.kind === 'ok') log.usage = outcome.usage;
    log.outcome = outcome.kind;
    lease.report(outcome);
  } finally {
    // A no-op after the report; frees the key (and the upstream socket) if anything above threw.
    lease.release();
    if (!up.body.destroyed) up.body.destroy();
  }
}

function forwarded(h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of FORWARDED_HEADERS) {
    const v = h[name];
    if (typeof v === 'string') out[name] = v;
  }
  return out;
}

/** Retry hints for the client when the last upstream answer was an error. */
function errorHeaders(o: Outcome, h: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  const ra = 'retryAfterMs' in o ? o.retryAfterMs : undefined;
  if (ra !== undefined && (o.kind === 'rate_limited' || o.kind === 'overloaded')) out['retry-after'] = String(Math.max(1, Math.ceil(ra / 1000)));
  else if (typeof h['retry-after'] === 'string' && o.kind !== 'quota_exhausted') out['retry-after'] = h['retry-after'];
  // The SDKs obey x-should-retry before any status rule: a bad request or a dead key pool is not worth retrying.
  if (!isRetryable(o) || o.kind === 'auth_failed' || o.kind === 'quota_exhausted') out['x-should-retry'] = 'false';
  return out;
}

function unavailable(err: AllKeysUnavailable, provider: string): HttpError {
  const why: Record<string, string> = {
    all_cooling: 'every key is cooling down after rate limits',
    all_disabled: 'every key is disabled (invalid or revoked)',
    all_exhausted: 'every key has exhausted its quota',
    all_busy: 'every key is at its concurrency or budget limit',
    queue_full: 'too many requests are already waiting',
    no_keys: 'no key is configured',
  };
  const retrySec = Math.max(1, Math.ceil((err.retryAfterMs ?? 1000) / 1000));
  const hopeless = err.reason === 'all_disabled' || err.reason === 'no_keys';
  const headers: Record<string, string> = hopeless ? { 'x-should-retry': 'false' } : { 'retry-after': String(retrySec) };
  if (hopeless) return new HttpError('KMX_ERR_NO_KEYS', `${provider}: ${why[err.reason] ?? err.reason}`, { headers });
  return new HttpError('KMX_ERR_ALL_KEYS_UNAVAILABLE', `${provider}: no key can take the request: ${why[err.reason] ?? err.reason}; retry in ${retrySec}s`, { headers });
}

function transportError(err: Error & { code?: string }, o: Outcome): HttpError {
  const code = err.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new HttpError('KMX_ERR_UPSTREAM_TIMEOUT', `The provider did not answer in time (${code})`);
  }
  return new HttpError('KMX_ERR_UPSTREAM_UNREACHABLE', `The provider could not be reached: ${code || err.message}${o.reason ? ` (${o.reason})` : ''}`);
}
