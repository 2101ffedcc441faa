// A fallback group's way through its targets: the first whose pool can take the request now serves it; one
// that cannot, or whose last key tried failed in a way worth a retry, hands the request to the next at once.
import type { ServerResponse } from 'node:http';
import { isRetryable, type Outcome } from '../pool/index.js';
import { attempt, ClientGone, type Attempted } from './attempt.js';
import { HttpError } from './errors.js';
import type { ProxyJob } from './jobs.js';
import { deliver, type ProxyLog } from './proxy.js';
import { renameModel } from './relay.js';
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
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableFinished) ac.abort();
  };
  res.on('close', onClose);
  log.group = group.name;
  try {
    await walk(rt, group, jobFor, res, ac.signal, log, onSkip);
  } finally {
    res.off('close', onClose);
  }
}

async function walk(rt: Runtime, group: Group, jobFor: JobFor, res: ServerResponse, signal: AbortSignal, log: ProxyLog, onSkip?: OnSkip): Promise<void> {
  const { maxAttempts, spillWaitMs } = rt.config.retry;
  // Targets whose provider has no keys now are not there (the config warned): the last live one queues.
  const targets = group.targets.filter((t) => rt.hasProviderOf(t));
  const tally = { calls: 0 };
  /** The last target's failure so far: its answer (relayed if no target after it answers) or keymux's error. */
  let failure: { job: ProxyJob; r: Attempted } | HttpError | undefined;
  const skipped: string[] = [];
  for (let i = 0; i < targets.length; i++) {
    const spec = targets[i]!;
    let job: ProxyJob;
    try {
      job = named(await jobFor(rt.resolveTarget(spec)), group.name);
    } catch (err) {
      // This target's dialect or route cannot take the request: the others may.
      if (!(err instanceof HttpError)) throw err;
      onSkip?.(spec, err.message);
      skipped.push(`skipped ${spec}: ${err.message}`);
      failure ??= err;
      continue;
    }
    const later = targets.length - 1 - i;
    log.provider = job.provider.name;
    log.model = job.model;
    let r: Attempted;
    try {
      r = await attempt(rt, {
        provider: job.provider,
        model: job.model,
        call: job.call,
        stream: job.stream,
        signal,
        maxAttempts: Math.max(1, maxAttempts - tally.calls),
        tally,
        ...(later > 0 && { deadlineMs: spillWaitMs }),
        ...(job.estimatedTokens !== undefined && { estimatedTokens: job.estimatedTokens }),
      });
    } catch (err) {
      // No key could be had in time (or the pool closed): keymux's error for this target, unless another serves.
      if (!(err instanceof HttpError) || signal.aborted) throw err;
      failure = err;
      continue;
    }
    if (later === 0 || !movesOn(r.outcome) || signal.aborted) return deliver(withWarnings(job, skipped), r, res, signal, log, tally.calls);
    failure = spilled(job, r);
  }
  if (signal.aborted) throw new ClientGone();
  if (failure === undefined) throw new HttpError('KMX_ERR_NO_KEYS', `${group.name}: no target of the group has a configured provider`);
  if (failure instanceof HttpError) throw failure;
  return deliver(withWarnings(failure.job, skipped), failure.r, res, signal, log, tally.calls);
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
  if (!r.answer.res.body.destroyed) r.answer.res.body.destroy();
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
