// Jobs for the translated routes beyond chat (embeddings, Responses over chat): the route builds the upstream
// body and the mappings; this puts them on the provider's route, sanitised, with the warnings as a header.
import type { Dialect } from '../../dialects/index.js';
import type { RouteKind } from '../../providers/index.js';
import { errorBodyFor } from '../../translate/index.js';
import { callFor, type ProxyJob } from '../jobs.js';
import type { StreamPlan } from '../relay.js';
import type { ResolvedModel } from '../runtime.js';

export interface TranslatedCall {
  client: Dialect;
  route: RouteKind;
  /** The body in the upstream's dialect. */
  body: object;
  stream: boolean;
  warnings: readonly string[];
  estimatedTokens: number;
  mapBody(upstream: unknown): unknown;
  /** Default: the upstream's error body in the client's dialect, its status kept. */
  mapError?(status: number, upstream: unknown): unknown;
  streamPlan?: StreamPlan;
}

/** A header value node:http accepts (visible ASCII only): warnings are free text. */
export function warningHeader(warnings: readonly string[]): Record<string, string> {
  if (warnings.length === 0) return {};
  return { 'x-keymux-warnings': warnings.join('; ').replace(/→/g, '->').replace(/[^\x20-\x7e]+/g, ' ') };
}

export function translatedCallJob(target: ResolvedModel, t: TranslatedCall): ProxyJob {
  const p = target.provider;
  const prepared = p.adapter.prepare(t.route, t.body);
  const warnings = [...t.warnings];
  if (prepared.changed.length > 0) warnings.push(`adjusted for ${p.name}: ${prepared.changed.join(', ')}`);
  const client = t.client;
  return {
    client,
    provider: p,
    model: target.model,
    stream: t.stream,
    estimatedTokens: t.estimatedTokens,
    call: callFor(p, t.route, { model: target.model, stream: t.stream, body: JSON.stringify(prepared.body) }),
    mapBody: t.mapBody,
    mapError: t.mapError ?? ((status, b) => errorBodyFor(client, status, b)),
    ...(t.streamPlan ? { streamPlan: t.streamPlan } : {}),
    extraHeaders: warningHeader(warnings),
  };
}

/** Rough token estimate from the body size plus the output budget, as jobs.ts makes it for chat. */
export function estimateTokens(bodyBytes: number, maxOutput: unknown): number {
  const out = typeof maxOutput === 'number' && Number.isFinite(maxOutput) && maxOutput > 0 ? maxOutput : 0;
  return Math.ceil(bodyBytes / 4) + out;
}
