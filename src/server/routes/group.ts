import { proxyGroup, type JobFor } from '../fallback.js';
import type { Group } from '../runtime.js';
import type { RouteContext } from './index.js';

/** A request for a fallback group, with each target it could not use logged as a warning. */
export function serveGroup(ctx: RouteContext, group: Group, jobFor: JobFor): Promise<void> {
  return proxyGroup(ctx.runtime, group, jobFor, ctx.res, ctx.log, (target, reason) =>
    ctx.logger.warn({ group: group.name, target, reason }, 'fallback group: a target cannot take this request, skipped'),
  );
}
