// POST /v1/responses on a provider without its own Responses API (profile.responsesApi false): translated to
// the provider's chat route, previous_response_id served from keymux's own short-lived response store.
import { MemoryResponseStore, parseResponsesRequest, responsesOverChat, type ResponseStore } from '../../translate/index.js';
import { HttpError } from '../errors.js';
import type { ProxyJob } from '../jobs.js';
import type { ResolvedModel, Runtime } from '../runtime.js';
import { estimateTokens, translatedCallJob } from './translated.js';

/** One store per server (its runtime): no global singleton, so tests start many servers in one process. */
const stores = new WeakMap<Runtime, ResponseStore>();

export function responseStoreFor(rt: Runtime): ResponseStore {
  let s = stores.get(rt);
  if (!s) {
    s = new MemoryResponseStore();
    stores.set(rt, s);
  }
  return s;
}

export async function responsesOverChatJob(rt: Runtime, target: ResolvedModel, body: Record<string, unknown>, bodyBytes: number): Promise<ProxyJob> {
  const p = target.provider;
  const req = parseResponsesRequest(body);
  const store = responseStoreFor(rt);
  const prev = req.previous_response_id;
  const history = prev ? (await store.get(prev))?.conversation : [];
  if (!history) {
    throw new HttpError('KMX_ERR_BAD_REQUEST', `Previous response with id '${String(prev)}' not found (keymux keeps responses it translated for an hour, in memory)`);
  }
  const stream = req.stream === true;
  const ro = responsesOverChat(req, body, {
    upstream: p.adapter.profile.dialect,
    model: target.model,
    reportedModel: typeof body.model === 'string' ? body.model : target.model,
    history,
    // A failed write only costs a later previous_response_id its history; the answer goes out regardless.
    onDone: (id, conversation) => void store.put(id, { conversation }).catch(() => {}),
  });
  return translatedCallJob(target, {
    client: 'openai',
    route: p.adapter.chatRoute,
    body: ro.body,
    stream,
    warnings: ro.warnings,
    estimatedTokens: estimateTokens(bodyBytes, req.max_output_tokens),
    mapBody: (b) => ro.response(b),
    mapError: (status, b) => ro.error(status, b),
    ...(stream ? { streamPlan: { mode: 'translate' as const, translator: ro.stream() } } : {}),
  });
}
