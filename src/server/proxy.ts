import type { ServerResponse } from 'node:http';
import { isRetryable } from '../pool/index.js';
import type { LimitView, Outcome, Usage } from '../pool/index.js';
import type { Headers } from '../providers/index.js';
import { HttpError } from './errors.js';
import { addLimitHeaders, addViewHeaders, clientLimits } from './limit-headers.js';
import { admitClient } from './clients.js';
import { attempt, ClientGone, unreachable, type Answer, type Attempted, type AttemptPlan } from './attempt.js';
import type { ProxyJob } from './jobs.js';
import { maskHeader, maskedOrNot, secretOf, type Secret } from './mask.js';
import { relayStream } from './relay.js';
import { clientGone } from './sockets.js';
import type { Runtime } from './runtime.js';
import { parseMaybeJson } from './upstream.js';

/** What the route logs about the request. */
export interface ProxyLog {
  provider?: string;
  model?: string;
  /** The fallback group the client asked for, when it asked for one (provider and model say which target served). */
  group?: string;
  keyId?: string;
  attempts?: number;
  upstreamStatus?: number;
  /** The provider's id for the request (x-request-id, request-id, body request_id): what its support asks for. */
  upstreamRequestId?: string;
  outcome?: string;
  usage?: Usage;
  /** Time to the upstream's response headers on the last attempt (ms). */
  ttfbMs?: number;
  /**
   * Who is asking: the client's name, or a plain proxy key's id (never a key). Set at authentication; the proxy
   * reads it for the client's limits and its lane in the wait queue.
   */
  client?: string;
}

/** Upstream request ids help a user quote a failure to the provider; nothing account-identifying is passed on. */
const FORWARDED_HEADERS = ['x-request-id', 'request-id'];

/**
 * Serves one job: the attempt through the pool, then the answer to the client, streamed or whole. Throws
 * HttpError (or ClientGone) when there is no upstream answer to give. `log` is the request's log record,
 * filled in as the request goes, so that a failure is logged with as much as a success.
 */
export async function proxy(rt: Runtime, job: ProxyJob, res: ServerResponse, log: ProxyLog): Promise<void> {
  // A client that leaves aborts the upstream call too (and the wait for a key): its connection's signal.
  const signal = clientGone(res);
  log.provider = job.provider.name;
  log.model = job.model;
  // Before any key is acquired: a client over its own limit costs no provider key anything.
  const ticket = admitClient(rt, log.client, job.estimatedTokens);
  try {
    const r = await attempt(rt, planOf(job, log, signal, rt.config.retry.maxAttempts));
    await deliver(rt, job, r, res, signal, log);
  } catch (err) {
    // keymux's own errors (every key cooling, the provider failing) carry the pool's limits too: when to come back.
    if (err instanceof HttpError) addLimitHeaders(job.client, job.provider.pool, job.model, clientLimits(rt, log.client), err.headers);
    throw err;
  } finally {
    // The outcome corrects the estimate counted at admission (streams have ended by now) and adds the spend.
    rt.clients.settle(ticket, { provider: job.provider.name, model: job.model, ok: log.outcome === 'ok', usage: log.usage });
  }
}

/** The attempt a job asks for, in the client's lane of the wait queue. */
export function planOf(job: ProxyJob, log: ProxyLog, signal: AbortSignal, maxAttempts: number): AttemptPlan {
  // Members set one by one, not spread in: on every request, V8 builds this shape fastest that way.
  const plan: AttemptPlan = { provider: job.provider, model: job.model, call: job.call, stream: job.stream, signal, maxAttempts };
  if (log.client !== undefined) plan.client = log.client;
  if (job.estimatedTokens !== undefined) plan.estimatedTokens = job.estimatedTokens;
  return plan;
}

/**
 * The attempt's answer to the client: the upstream's, streamed or whole, or keymux's error when the last
 * attempt brought none. `attempts` counts the request's attempts when they span several targets (a group);
 * `view`, the limits the rate-limit headers show when they are not the serving pool's alone (a group's sum).
 */
export async function deliver(
  rt: Runtime,
  job: ProxyJob,
  r: Attempted,
  res: ServerResponse,
  signal: AbortSignal,
  log: ProxyLog,
  attempts = r.attempts,
  view?: LimitView,
): Promise<void> {
  log.keyId = r.lease.keyId;
  log.attempts = attempts;
  log.ttfbMs = r.ttfbMs;
  log.outcome = r.outcome.kind;
  const a = r.answer;
  if (a.kind === 'failed') {
    if (signal.aborted) throw new ClientGone();
    throw unreachable(a.error, r.outcome);
  }
  const common: Record<string, string> = {
    ...job.extraHeaders,
    'x-keymux-provider': job.provider.name,
    'x-keymux-model': headerSafe(job.model),
    'x-keymux-key': r.lease.keyId,
    'x-keymux-attempts': String(attempts),
  };
  const limits = clientLimits(rt, log.client);
  if (view) addViewHeaders(job.client, view, limits, rt.clock.now(), common);
  else addLimitHeaders(job.client, job.provider.pool, job.model, limits, common);
  if (a.kind === 'stream') await streamToClient(job, a, r, res, signal, common, log);
  else respond(job, a, r, res, common, log);
}

/** A whole answer: relayed as the provider wrote it, or mapped into the client's dialect. */
function respond(job: ProxyJob, a: Extract<Answer, { kind: 'buffered' }>, r: Attempted, res: ServerResponse, common: Record<string, string>, log: ProxyLog): void {
  const success = a.status >= 200 && a.status < 300;
  // A 2xx whose body did not parse (a proxy's HTML page, an empty or cut-off body) is the provider failing:
  // relaying it as a 200 would hand the client something its SDK cannot parse. (A 2xx carrying an error in
  // valid JSON, as OpenRouter sends, goes through as the provider wrote it.)
  if (success && r.outcome.kind !== 'ok' && typeof a.parsed === 'string') {
    throw new HttpError('KMX_ERR_UPSTREAM', `${job.provider.name}: the provider answered ${a.status} with a body keymux could not read (${r.outcome.reason ?? r.outcome.kind})`);
  }
  const secret = secretOf(r.lease);
  // `common` is this request's own object: the answer's headers are added to it, not spread into a copy.
  const headers = forwarded(common, a.headers, secret);
  if (!success) Object.assign(headers, errorHeaders(r.outcome, a.headers));
  // Whatever the status (a 401 body, a 200 that quotes the prompt): the client must not learn the key from us.
  // Searched in the bytes when they are the text's: an answer relayed unchanged is never decoded. `text` stays
  // undefined while the answer is unchanged.
  let text = maskedOrNot(a.bytes ?? a.text, () => a.text, secret);
  // Only a translated answer needs the body parsed (a.parsed parses on first read): the masked one, if masking changed it.
  const body = (): unknown => (text === undefined ? a.parsed : parseMaybeJson(text));
  const mapped = success ? job.mapBody?.(body()) : job.mapError?.(a.status, body());
  if (mapped !== undefined) {
    text = JSON.stringify(mapped);
    headers['content-type'] = 'application/json';
  } else {
    headers['content-type'] = String(a.headers['content-type'] ?? 'application/json');
  }
  // Unchanged (the common case), the answer leaves as the bytes it came in.
  const out = text ?? a.bytes ?? a.text;
  headers['content-length'] = String(typeof out === 'string' ? Buffer.byteLength(out) : out.length);
  res.writeHead(a.status, headers);
  res.end(out);
  log.upstreamStatus = a.status;
  // The header's id when there is one; the body is parsed for one (Anthropic errors, Gemini) only when there is not.
  log.upstreamRequestId = job.provider.adapter.requestId(a.headers) ?? job.provider.adapter.requestId(a.headers, a.parsed);
  if (r.outcome.kind === 'ok') log.usage = r.outcome.usage;
}

/** A 2xx stream, relayed event by event; the lease is held until it ends, then told how it went. */
async function streamToClient(
  job: ProxyJob,
  a: Extract<Answer, { kind: 'stream' }>,
  r: Attempted,
  res: ServerResponse,
  signal: AbortSignal,
  common: Record<string, string>,
  log: ProxyLog,
): Promise<void> {
  const up = a.res;
  log.upstreamStatus = up.status;
  log.upstreamRequestId = job.provider.adapter.requestId(up.headers);
  const tracker = job.provider.adapter.trackStream();
  const plan = job.streamPlan ?? { mode: 'passthrough' as const };
  const secret = secretOf(r.lease);
  try {
    const headers = forwarded(common, up.headers, secret);
    headers['content-type'] = plan.contentType ?? 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache';
    // Written, not sent: the relay sends it with the first events, or alone when none has come yet.
    res.writeHead(up.status, headers);
    const end = await relayStream(up.body, res, plan, tracker, job.client, signal, secret);
    // The limits came with the headers, the usage with the end of the stream: the pool hears both at once.
    const outcome = tracker.finish(end, a.atHeaders);
    log.outcome = outcome.kind;
    if (outcome.kind === 'ok') log.usage = outcome.usage;
    r.lease.report(outcome);
  } finally {
    // A no-op after the report; frees the key (and the upstream socket) if anything above threw.
    r.lease.release();
    up.body.destroy();
  }
}

/** A model id as a header value: node:http refuses anything but visible ASCII, and a client may send any model name. */
function headerSafe(s: string): string {
  return VISIBLE_ASCII.test(s) ? s : s.replace(/[^\x20-\x7e]+/g, '?');
}
const VISIBLE_ASCII = /^[\x20-\x7e]*$/;

/** `out` with the upstream headers a client may see added (masked). */
function forwarded(out: Record<string, string>, h: Headers, secret: Secret | undefined): Record<string, string> {
  for (const name of FORWARDED_HEADERS) {
    const v = h[name];
    if (typeof v === 'string') out[name] = maskHeader(v, secret);
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
