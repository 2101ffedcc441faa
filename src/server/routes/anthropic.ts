import { readBody, parseJsonBody } from '../body.js';
import { passthroughJob, translatedJob, type ProxyJob } from '../jobs.js';
import { checkModel } from '../clients.js';
import { proxy } from '../proxy.js';
import { estimateTokens } from '../tokens.js';
import type { ResolvedModel } from '../runtime.js';
import { serveGroup } from './group.js';
import type { RouteContext } from './index.js';
import { sendJson } from './respond.js';
import { checkShape } from './shape.js';

/** POST /v1/messages: Anthropic providers get it as is, OpenAI-compatible ones translated. */
export async function anthropicMessages(ctx: RouteContext): Promise<void> {
  const buf = await readBody(ctx.req, ctx.config.server.bodyLimit);
  const body = parseJsonBody(buf, ctx.req.headers['content-type']);
  checkShape(body, 'messages');
  const group = ctx.runtime.group(body.model);
  if (group) return serveGroup(ctx, group, (t) => messagesJob(ctx, t, body, buf));
  const target = ctx.runtime.resolve(body.model, 'anthropic');
  checkModel(ctx.runtime, ctx.log.client, body.model, target);
  ctx.log.model = target.model;
  return proxy(ctx.runtime, messagesJob(ctx, target, body, buf), ctx.res, ctx.log);
}

/** The request as one target's provider takes it: as it is for an Anthropic provider, else translated. */
function messagesJob(ctx: RouteContext, target: ResolvedModel, body: Record<string, unknown>, buf: Buffer): ProxyJob {
  const stream = body.stream === true;
  return target.provider.adapter.profile.dialect === 'anthropic'
    ? passthroughJob(ctx.req, target, 'anthropic', 'messages', body, buf.length, { stream })
    : translatedJob(target, 'anthropic', body, buf.length, stream);
}

/** POST /v1/messages/count_tokens: the provider counts where it can; elsewhere keymux estimates. */
export async function anthropicCountTokens(ctx: RouteContext): Promise<void> {
  const buf = await readBody(ctx.req, ctx.config.server.bodyLimit);
  const body = parseJsonBody(buf, ctx.req.headers['content-type']);
  checkShape(body, 'count_tokens');
  const target = ctx.runtime.resolve(body.model, 'anthropic');
  checkModel(ctx.runtime, ctx.log.client, body.model, target);
  if (target.provider.adapter.profile.dialect === 'anthropic') {
    const job = passthroughJob(ctx.req, target, 'anthropic', 'count_tokens', body, buf.length, { stream: false });
    return proxy(ctx.runtime, job, ctx.res, ctx.log);
  }
  // OpenAI-compatible providers have no counting endpoint: an estimate is what Claude Code needs to plan context.
  sendJson(ctx.res, 200, { input_tokens: estimateTokens(body) }, { 'x-keymux-token-count': 'estimate' });
}
