import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../../config/index.js';
import type { Dialect } from '../../dialects/index.js';
import { HttpError } from '../errors.js';
import type { ProxyLog } from '../proxy.js';
import type { Runtime } from '../runtime.js';
import { openaiRoute } from './openai.js';
import { anthropicCountTokens, anthropicMessages } from './anthropic.js';
import { geminiAction } from './gemini.js';
import { listModels, listGeminiModels, listProviders, retrieveModel, tokenCount } from './models.js';
import { sendJson } from './respond.js';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: URLSearchParams | undefined;
  runtime: Runtime;
  config: Config;
  log: ProxyLog;
  logger: Logger;
}

type Handler = (ctx: RouteContext) => Promise<void>;

const POST: Record<string, Handler> = {
  '/v1/chat/completions': (c) => openaiRoute(c, 'chat'),
  '/v1/completions': (c) => openaiRoute(c, 'completions'),
  '/v1/embeddings': (c) => openaiRoute(c, 'embeddings'),
  '/v1/responses': (c) => openaiRoute(c, 'responses'),
  '/v1/messages': anthropicMessages,
  '/v1/messages/count_tokens': anthropicCountTokens,
  '/v1/token-count': tokenCount,
};

const GET: Record<string, Handler> = {
  '/healthz': async (c) => sendJson(c.res, 200, { status: 'ok' }),
  '/readyz': async (c) => {
    const usable = [...c.runtime.providers.values()].reduce((n, p) => n + p.pool.snapshot().keys.filter((k) => k.status !== 'disabled').length, 0);
    if (usable > 0) sendJson(c.res, 200, { status: 'ready', usableKeys: usable });
    else sendJson(c.res, 503, { status: 'not ready', reason: 'no usable provider key is configured' });
  },
  '/v1/models': listModels,
  '/v1/providers': listProviders,
  '/v1beta/models': listGeminiModels,
};

/** Dispatches a request; returns the client's dialect when the route fixes it. */
export async function route(ctx: RouteContext): Promise<Dialect | void> {
  const { req, path } = ctx;
  const table = req.method === 'POST' ? POST : req.method === 'GET' || req.method === 'HEAD' ? GET : undefined;
  const h = table?.[path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path];
  if (h) return h(ctx);
  if (path.startsWith('/v1/models/') && (req.method === 'GET' || req.method === 'HEAD')) return retrieveModel(ctx);
  if (path.startsWith('/v1beta/models/')) {
    if (req.method !== 'POST') {
      if (req.method === 'GET') return listGeminiModels(ctx);
      throw new HttpError('KMX_ERR_METHOD');
    }
    return geminiAction(ctx);
  }
  if (POST[path] || GET[path]) throw new HttpError('KMX_ERR_METHOD', `${req.method} is not allowed on ${path}`);
  throw new HttpError('KMX_ERR_NOT_FOUND', `No route ${req.method} ${path}`);
}
