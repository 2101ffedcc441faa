// A fallback group's way through its targets: the first whose pool can take the request now serves it; one
// that cannot, or whose last key tried failed in a way worth a retry, hands the request to the next at once.
import type { ServerResponse } from 'node:http';
import type { ClientTicket } from '../clients/index.js';
import type { Dialect } from '../dialects/index.js';
import { isRetryable, sumViews, type LimitView, type Outcome } from '../pool/index.js';
import { attempt, ClientGone, type Attempted } from './attempt.js';
import { admitClient, refusalError } from './clients.js';
import { HttpError } from './errors.js';
import { addViewHeaders, clientLimits } from './limit-headers.js';
import type { ProxyJob } from './jobs.js';
import { deliver, planOf, type ProxyLog } from './proxy.js';
import { renameModel } from './relay.js';
import { clientGone } from './sockets.js';
import type { Group, ResolvedModel, Runtime } from './runtime.js';

/** A route's job for one target: built per target, so each is translated for its own provider's dialect. */
export type JobFor = (target: ResolvedModel) => ProxyJob | Promise<ProxyJob>;

/** Told of a target the request could not use at all (its provider's dialect cannot express the request). */
export type OnSkip = (target: string, reason: string) => void;

/**
 * Serves a request for a group. Every target but the last waits for a key at most retry.spillWaitMs (a refill
 * due within it is worth waiting for; beyond it the next target is tried at once); the last waits as long as a
 * plain request. Attempt budget: retry.maxAttempts upstream calls across the request; a target may use what is
 * left of it (its other keys first), and every target after the budget is spent still gets one call. So a
 * request makes at most maxAttempts + (targets - 1) calls, and a target's failure is always checked against the
 * next target before the client hears of it.
 * Moves on: no key in time, a retryable outcome, or a refusal (403: this provider will not serve the request
 * for this account, which says nothing of the next provider). A client error (400, 404, 413) is the answer at
 * once; so is any answer once a stream's headers are relayed.
 * The client hears the last target's answer, or keymux's error for it.
 */
export async function proxyGroup(rt: Runtime, group: Group, jobFor: JobFor, res: ServerResponse, log: ProxyLog, onSkip?: OnSkip): Promise<void> {
  log.group = group.name;
  // A client that leaves aborts the upstream call and the wait for a key: its connection's signal (sockets.ts).
  const w: Walk = { rt, group, jobFor, res, signal: clientGone(res), log, onSkip, targets: allowedTargets(rt, group, log.client), ticket: undefined, dialect: undefined };
  try {
    await walk(w);
  } catch (err) {
    // keymux's own errors carry the group's limits too (the sum over its targets' pools), as a plain request's do.
    if (err instanceof HttpError && w.dialect !== undefined) addViewHeaders(w.dialect, groupView(rt, w.targets), clientLimits(rt, log.client), rt.clock.now(), err.headers);
    throw err;
  } finally {
    if (w.ticket) rt.clients.settle(w.ticket, { provider: log.provider ?? '', model: log.model ?? '', ok: log.outcome === 'ok', usage: log.usage });
  }
}

/** One group request's way through its targets. */
interface Walk {
  readonly rt: Runtime;
  readonly group: Group;
  readonly jobFor: JobFor;
  readonly res: ServerResponse;
  readonly signal: AbortSignal;
  readonly log: ProxyLog;
  readonly onSkip: OnSkip | undefined;
  /** The targets this request may use: their provider has keys, and the client may use it. */
  readonly targets: readonly string[];
  /** The client's admission, made once, with the first job's token estimate; settled when the request ends. */
  ticket: ClientTicket | undefined;
  /** The client's dialect, known from the first job: keymux's own errors carry the group's limits in it. */
  dialect: Dialect | undefined;
}

/**
 * Targets whose provider has keys now (the config warned about the others: the last live one queues), and that
 * the client may use: every one when it may use the group by name, else those its `provider/*` entries allow.
 */
function allowedTargets(rt: Runtime, group: Group, client: string | undefined): readonly string[] {
  const live = group.targets.filter((t) => rt.hasProviderOf(t));
  if (client === undefined) return live;
  const allowed = live.filter((t) => rt.clients.allows(client, group.name, t.slice(0, t.indexOf('/'))) === undefined);
  if (allowed.length === 0 && live.length > 0) {
    const refusal = rt.clients.allows(client, group.name, live[0]!.slice(0, live[0]!.indexOf('/')));
    if (refusal) throw refusalError(refusal);
  }
  return allowed;
}

/**
 * The group's limits: the sum over its targets' pools. Two targets on one provider share its keys: a
 * per-model pool counts each model, a provider-wide pool (limitsPerModel false) once.
 */
function groupView(rt: Runtime, targets: readonly string[]): LimitView {
  const seen = new Set<string>();
  const views: LimitView[] = [];
  for (const t of targets) {
    const r = rt.resolveTarget(t);
    const id = r.provider.config.limitsPerModel ? `${r.provider.name}\u0000${r.model}` : r.provider.name;
    if (seen.has(id)) continue;
    seen.add(id);
    views.push(r.provider.pool.capacity(r.model));
  }
  return sumViews(views);
}

async function walk(w: Walk): Promise<void> {
  const { rt, group, res, signal, log, targets } = w;
  const { maxAttempts, spillWaitMs } = rt.config.retry;
  const tally = { calls: 0 };
  /** The last target's failure so far: its answer (relayed if no target after it answers) or keymux's error. */
  let failure: { job: ProxyJob; r: Attempted } | HttpError | undefined;
  const skipped: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    const spec = targets[i]!;
    let job: ProxyJob;
    try {
      job = named(await w.jobFor(rt.resolveTarget(spec)), group.name);
    } catch (err) {
      // This target's dialect or route cannot take the request: the others may.
      if (!(err instanceof HttpError)) throw err;
      w.onSkip?.(spec, err.message);
      skipped.push(`skipped ${spec}: ${err.message}`);
      failure ??= err;
      continue;
    }
    w.dialect ??= job.client;
    // Before any key is acquired, once per request: a client over its own limit costs no provider key anything.
    w.ticket ??= admitClient(rt, log.client, job.estimatedTokens);
    const later = targets.length - 1 - i;
    log.provider = job.provider.name;
    log.model = job.model;
    let r: Attempted;
    try {
      const plan = planOf(job, log, signal, Math.max(1, maxAttempts - tally.calls));
      r = await attempt(rt, { ...plan, tally, ...(later > 0 && { deadlineMs: spillWaitMs }) });
    } catch (err) {
      // No key could be had in time (or the pool closed): keymux's error for this target, unless another serves.
      if (!(err instanceof HttpError) || signal.aborted) throw err;
      failure = err;
      continue;
    }
    if (later === 0 || !movesOn(r.outcome) || signal.aborted) return deliver(rt, withWarnings(job, skipped), r, res, signal, log, tally.calls, groupView(rt, targets));
    failure = spilled(job, r);
  }
  if (signal.aborted) throw new ClientGone();
  if (failure === undefined) throw new HttpError('KMX_ERR_NO_KEYS', `${group.name}: no target of the group has a configured provider`);
  if (failure instanceof HttpError) throw failure;
  return deliver(rt, withWarnings(failure.job, skipped), failure.r, res, signal, log, tally.calls, groupView(rt, targets));
}

/** Whether a target's final outcome sends the request to the next target. */
function movesOn(o: Outcome): boolean {
  return isRetryable(o) || (o.kind === 'client_error' && o.status === 403);
}

/**
 * A target's retryable failure, kept in case it is the group's last word. An unread stream (a 2xx whose headers
 * already said it failed) cannot be kept: its body is let go and keymux's error stands for it.
 */
function spilled(job: ProxyJob, r: Attempted): { job: ProxyJob; r: Attempted } | HttpError {
  if (r.answer.kind !== 'stream') return { job, r };
  r.lease.release();
  r.answer.res.body.destroy();
  return new HttpError('KMX_ERR_UPSTREAM', `${job.provider.name}: the provider's stream failed at its start (${r.outcome.reason ?? r.outcome.kind})`);
}

/**
 * The answer names the group, as the client asked: a translated job already reports the client's model name;
 * a pass-through body or stream names the target's, and is renamed (a body that names none is relayed as it is).
 */
function named(job: ProxyJob, name: string): ProxyJob {
  if (job.mapBody !== undefined) return job;
  const plan = job.streamPlan ?? { mode: 'passthrough' as const };
  return {
    ...job,
    mapBody: (b) => (renameModel(b, name) ? b : undefined),
    ...(job.stream && plan.mode === 'passthrough' && { streamPlan: { ...plan, model: name } }),
  };
}

function withWarnings(job: ProxyJob, skipped: readonly string[]): ProxyJob {
  if (skipped.length === 0) return job;
  const text = [job.extraHeaders['x-keymux-warnings'], ...skipped].filter((s) => s !== undefined).join('; ');
  return { ...job, extraHeaders: { ...job.extraHeaders, 'x-keymux-warnings': text.replace(/→/g, '->').replace(/[^\x20-\x7e]+/g, ' ') } };
}
