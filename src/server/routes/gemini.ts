import { readBody, parseJsonBody } from '../body.js';
import { HttpError } from '../errors.js';
import { isObject } from '../../translate/util.js';
import { passthroughJob, translatedJob, type ProxyJob } from '../jobs.js';
import { checkModel } from '../clients.js';
import { proxy } from '../proxy.js';
import { geminiEmbeddingsJob } from './embeddings.js';
import type { ResolvedModel } from '../runtime.js';
import { serveGroup } from './group.js';
import type { RouteContext } from './index.js';
import { estimateTokens } from '../tokens.js';
import { decodeSegment, sendJson } from './respond.js';
import { checkShape } from './shape.js';

const ACTIONS = ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents'] as const;
type Action = (typeof ACTIONS)[number];
const isAction = (s: string): s is Action => ACTIONS.some((a) => a === s);

/** POST /v1beta/models/{model}:{action} on the Gemini pool. */
export async function geminiAction(ctx: RouteContext): Promise<void> {
  const rest = decodeSegment(ctx.path.slice('/v1beta/models/'.length));
  const colon = rest.lastIndexOf(':');
  const model = colon > 0 ? rest.slice(0, colon) : '';
  const action = colon > 0 ? rest.slice(colon + 1) : '';
  if (!model || !isAction(action)) {
    throw new HttpError('KMX_ERR_NOT_FOUND', `No route POST ${ctx.path}: expected /v1beta/models/{model}:{${[...ACTIONS].join('|')}}`);
  }
  const buf = await readBody(ctx.req, ctx.config.server.bodyLimit);
  const body = parseJsonBody(buf, ctx.req.headers['content-type']);
  checkShape(body, action);
  // keymux always streams from Gemini as SSE; a client that asked for the JSON-array form gets that back.
  const wantsSse = ctx.query?.get('alt') === 'sse';
  const group = action === 'countTokens' ? undefined : ctx.runtime.group(model);
  if (group) return serveGroup(ctx, group, (t) => geminiJob(ctx, t, model, action, body, buf, wantsSse));
  const target = ctx.runtime.resolve(model, 'gemini');
  checkModel(ctx.runtime, ctx.log.client, model, target);
  ctx.log.model = target.model;
  if (action === 'countTokens' && target.provider.adapter.profile.dialect !== 'gemini') {
    // Other dialects' providers have no counting endpoint here: an estimate, as for Anthropic clients.
    const counted = isObject(body.generateContentRequest) ? body.generateContentRequest : body;
    return sendJson(ctx.res, 200, { totalTokens: estimateTokens(counted) }, { 'x-keymux-token-count': 'estimate' });
  }
  return proxy(ctx.runtime, geminiJob(ctx, target, model, action, body, buf, wantsSse), ctx.res, ctx.log);
}

/** The request as one target's provider takes it: as it is for a Gemini provider, else translated (countTokens aside). */
function geminiJob(ctx: RouteContext, target: ResolvedModel, model: string, action: Action, body: Record<string, unknown>, buf: Buffer, wantsSse: boolean): ProxyJob {
  const gemini = target.provider.adapter.profile.dialect === 'gemini';
  if ((action === 'embedContent' || action === 'batchEmbedContents') && !gemini) return geminiEmbeddingsJob(target, action, body, buf.length);
  const stream = action === 'streamGenerateContent';
  if (!gemini) return translatedJob(target, 'gemini', body, buf.length, stream, { reportModel: model, array: stream && !wantsSse });
  return passthroughJob(ctx.req, target, 'gemini', action, body, buf.length, {
    stream,
    modelInBody: false,
    ...(stream ? { plan: wantsSse ? { mode: 'passthrough' as const } : { mode: 'gemini-array' as const, contentType: 'application/json; charset=utf-8' } } : {}),
  });
}
