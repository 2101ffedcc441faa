import { readBody, parseJsonBody } from '../body.js';
import { HttpError } from '../errors.js';
import { passthroughJob, translatedJob, type ProxyJob } from '../jobs.js';
import { checkModel } from '../clients.js';
import { proxy } from '../proxy.js';
import { openAIEmbeddingsJob } from './embeddings.js';
import { responsesOverChatJob } from './responses.js';
import type { ResolvedModel } from '../runtime.js';
import { serveGroup } from './group.js';
import type { RouteContext } from './index.js';
import { checkShape } from './shape.js';

type OpenAIRoute = 'chat' | 'completions' | 'embeddings' | 'responses';

/** POST /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/responses. */
export async function openaiRoute(ctx: RouteContext, kind: OpenAIRoute): Promise<void> {
  const buf = await readBody(ctx.req, ctx.config.server.bodyLimit);
  const body = parseJsonBody(buf, ctx.req.headers['content-type']);
  checkShape(body, kind);
  const group = ctx.runtime.group(body.model);
  if (group) return serveGroup(ctx, group, (t) => openaiJob(ctx, kind, t, body, buf));
  const target = ctx.runtime.resolve(body.model, 'openai');
  checkModel(ctx.runtime, ctx.log.client, body.model, target);
  ctx.log.model = target.model;
  const job = openaiJob(ctx, kind, target, body, buf);
  return proxy(ctx.runtime, job instanceof Promise ? await job : job, ctx.res, ctx.log);
}

/** The request as one target's provider takes it: as it is for an OpenAI-dialect provider, else translated. */
function openaiJob(ctx: RouteContext, kind: OpenAIRoute, target: ResolvedModel, body: Record<string, unknown>, buf: Buffer): ProxyJob | Promise<ProxyJob> {
  const dialect = target.provider.adapter.profile.dialect;
  const stream = body.stream === true && kind !== 'embeddings';
  // Only a provider with its own Responses API gets /v1/responses as it is; the others get it as chat.
  if (kind === 'responses' && !target.provider.adapter.profile.responsesApi) return responsesOverChatJob(ctx.runtime, target, body, buf.length);
  if (dialect === 'openai') {
    const opts: Parameters<typeof passthroughJob>[6] = { stream };
    let raw: Buffer | undefined = buf;
    let strip = false;
    if (kind === 'chat' && stream) {
      // Usage only arrives in a final chunk the client must ask for; keymux always asks, and hides it when the client did not.
      const so = body.stream_options as { include_usage?: boolean } | undefined;
      if (so?.include_usage !== true) {
        opts.add = { stream_options: { ...so, include_usage: true } };
        raw = Object.hasOwn(body, 'stream_options') ? undefined : appendMember(buf, INCLUDE_USAGE);
        strip = true;
      }
    }
    if (raw !== undefined) opts.raw = raw;
    if (stream) opts.plan = { mode: 'passthrough', stripUsageChunk: strip };
    return passthroughJob(ctx.req, target, 'openai', kind, body, buf.length, opts);
  }
  if (kind === 'embeddings') return openAIEmbeddingsJob(target, body, buf.length);
  if (kind !== 'chat') {
    throw new HttpError(
      'KMX_ERR_UNTRANSLATABLE',
      `/v1/${kind === 'completions' ? 'completions' : kind} is not translated to ${target.provider.name} (${dialect} dialect); use /v1/chat/completions, or the provider's own endpoint`,
    );
  }
  return translatedJob(target, 'openai', body, buf.length, stream);
}

const isSpace = (b: number | undefined): boolean => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** A member's bytes as appendMember adds them: after a comma (or alone in an empty object), closing the object. */
interface Member {
  after: Buffer;
  alone: Buffer;
}
const member = (text: string): Member => ({ after: Buffer.from(`,${text}}`), alone: Buffer.from(`${text}}`) });
const INCLUDE_USAGE = member('"stream_options":{"include_usage":true}');

/**
 * The bytes of the client's JSON object with one member added at its end — what JSON.stringify puts last in
 * `{ ...body, [name]: value }` when body has no such member. Undefined if the text does not end in `}`.
 */
function appendMember(buf: Buffer, m: Member): Buffer | undefined {
  let end = buf.length - 1;
  while (end > 0 && isSpace(buf[end])) end--;
  if (buf[end] !== 0x7d) return undefined; // '}'
  let before = end - 1;
  while (before > 0 && isSpace(buf[before])) before--;
  const tail = buf[before] === 0x7b ? m.alone : m.after; // '{': the object is empty
  // One allocation and two copies, both in JavaScript: Buffer.concat (with Buffer.from for the member) took 4.5 µs
  // for a small body and 7–9 µs for 32 KB on Node 20, against 1.3 and 5–6 µs with one allocation (one call every
  // 2 ms, the ways timed in turn); writing the member as a string (Buffer.byteLength, write: two calls into C++)
  // took 11–15 µs at idle against 5–7 µs for copying its bytes (alternate requests of one server, bench/RESULTS.md).
  const out = Buffer.allocUnsafe(end + tail.length);
  out.set(buf.subarray(0, end));
  out.set(tail, end);
  return out;
}
