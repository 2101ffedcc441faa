// Gemini native dialect: /v1beta/models/{model}:generateContent | :streamGenerateContent | :countTokens |
// :embedContent | :batchEmbedContents, GET /v1beta/models[/{model}].
import {
  embed,
  end,
  limitOutput,
  pace,
  preResponse,
  reply,
  resetStream,
  sendJson,
  split,
  startSse,
  textOf,
  toolArgs,
  tokens,
  wantsTool,
  write,
  type Body,
  type Ctx,
} from './common.js';
import { googleError } from './gemini-errors.js';
import { googleFailure } from './openai-errors.js';

export const DEFAULT_GEMINI_MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'text-embedding-004'];

const JSON_UTF8 = 'application/json; charset=UTF-8';

function gerr(ctx: Ctx, status: number, body: Body, headers: Record<string, string> = {}): void {
  sendJson(ctx, status, body, headers, JSON_UTF8);
}

function modelInfo(id: string): Body {
  const embedding = id.includes('embedding');
  return {
    name: `models/${id}`,
    version: '001',
    displayName: id,
    inputTokenLimit: embedding ? 2048 : 1_048_576,
    outputTokenLimit: embedding ? 1 : 65_536,
    supportedGenerationMethods: embedding ? ['embedContent', 'batchEmbedContents'] : ['generateContent', 'countTokens'],
  };
}

export async function handleGemini(ctx: Ctx, rest: string): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  if (ctx.key === undefined || ctx.key === '') {
    return gerr(ctx, 403, googleError(403, "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.", 'PERMISSION_DENIED'));
  }
  const invalid = ctx.reg.auth(ctx.key);
  if (invalid) return gerr(ctx, 400, googleFailure(invalid, '').body);
  const ids = ctx.models.length ? ctx.models : DEFAULT_GEMINI_MODELS;
  const m = /^\/models\/([^:/]+)(?::([A-Za-z]+))?$/.exec(rest);
  if (method === 'GET' && rest === '/models') return sendJson(ctx, 200, { models: ids.map(modelInfo) });
  if (!m) return gerr(ctx, 404, googleError(404, `Method not found: ${ctx.url.pathname}`, 'NOT_FOUND'));
  const model = m[1] as string;
  const action = m[2];
  ctx.rec.model = model;
  if (ctx.models.length && !ctx.models.includes(model)) {
    return gerr(ctx, 404, googleError(404, `models/${model} is not found for API version v1beta, or is not supported for ${action ?? 'get'}. Call ListModels to see the list of available models and their supported methods.`, 'NOT_FOUND'));
  }
  if (method === 'GET' && !action) return sendJson(ctx, 200, modelInfo(model));
  if (method !== 'POST') return gerr(ctx, 404, googleError(404, `Method not found: ${method} ${ctx.url.pathname}`, 'NOT_FOUND'));
  switch (action) {
    case 'generateContent':
      return generate(ctx, model, false);
    case 'streamGenerateContent':
      ctx.rec.stream = true;
      return generate(ctx, model, true);
    case 'countTokens':
      return sendJson(ctx, 200, { totalTokens: parse(ctx.body).promptTokens });
    case 'embedContent':
    case 'batchEmbedContents':
      return embedding(ctx, model, action === 'batchEmbedContents');
    default:
      return gerr(ctx, 404, googleError(404, `Method not found: ${action}`, 'NOT_FOUND'));
  }
}

function parse(body: Body): { promptTokens: number; text: string; lastIsUserText: boolean } {
  const contents: Body[] = Array.isArray(body.contents) ? body.contents : [];
  let chars = textOf(body.systemInstruction?.parts).length;
  for (const c of contents) chars += textOf(c.parts).length + 8;
  const last = contents[contents.length - 1];
  const parts: Body[] = Array.isArray(last?.parts) ? last.parts : [];
  const responses = parts.filter((p) => p?.functionResponse);
  const text = responses.length
    ? `tool result: ${responses.map((p) => JSON.stringify(p.functionResponse.response ?? {})).join(' ')}`
    : textOf(parts);
  const toolTokens = Array.isArray(body.tools) ? tokens(JSON.stringify(body.tools)) : 0;
  return {
    promptTokens: Math.ceil(chars / 4) + 1 + toolTokens,
    text,
    lastIsUserText: (last?.role ?? 'user') === 'user' && !responses.length,
  };
}

function pickTool(body: Body, lastIsUserText: boolean, text: string): { name: string; args: Body } | undefined {
  const decls: Body[] = (Array.isArray(body.tools) ? body.tools : []).flatMap((t: Body) =>
    Array.isArray(t.functionDeclarations) ? t.functionDeclarations : [],
  );
  if (!decls.length) return undefined;
  const cfg: Body = body.toolConfig?.functionCallingConfig ?? {};
  const mode = String(cfg.mode ?? 'AUTO').toUpperCase();
  if (mode === 'NONE') return undefined;
  if (mode !== 'ANY' && !(lastIsUserText && wantsTool(text))) return undefined;
  const allowed: string[] = Array.isArray(cfg.allowedFunctionNames) ? cfg.allowedFunctionNames : [];
  const pool = allowed.length ? decls.filter((d) => allowed.includes(d.name)) : decls;
  const d = pool.find((x) => text.includes(String(x.name))) ?? pool[0];
  return d ? { name: String(d.name), args: toolArgs(d.parameters ?? d.parametersJsonSchema, text) } : undefined;
}

async function admit(ctx: Ctx, model: string, cost: number) {
  const v = ctx.reg.gate(ctx.key, 'gemini', 'none', model, cost);
  if (v.type !== 'ok') {
    const f = googleFailure(v, model);
    gerr(ctx, f.status, f.body);
    return undefined;
  }
  ctx.res.once('close', v.release);
  await preResponse(ctx, v.b);
  return ctx.closed ? undefined : v;
}

async function generate(ctx: Ctx, model: string, stream: boolean): Promise<void> {
  const body = ctx.body;
  if (!Array.isArray(body.contents) || !body.contents.length) {
    return gerr(ctx, 400, googleError(400, '* GenerateContentRequest.contents: contents is not specified\n', 'INVALID_ARGUMENT'));
  }
  const { promptTokens, text, lastIsUserText } = parse(body);
  const tool = pickTool(body, lastIsUserText, text);
  const out = limitOutput(reply(text), body.generationConfig?.maxOutputTokens);
  const outTokens = tool ? tokens(JSON.stringify(tool.args)) + 5 : tokens(out.text);
  const v = await admit(ctx, model, promptTokens + outTokens);
  if (!v) return;
  const responseId = `sim${ctx.nextId()}`;
  const finishReason = out.cut ? 'MAX_TOKENS' : 'STOP';
  const fullUsage = {
    promptTokenCount: promptTokens,
    candidatesTokenCount: outTokens,
    totalTokenCount: promptTokens + outTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
  };
  const chunk = (parts: Body[], last: boolean): Body => ({
    candidates: [{ content: { parts, role: 'model' }, ...(last ? { finishReason } : {}), index: 0 }],
    usageMetadata: last ? fullUsage : { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
    modelVersion: model,
    responseId,
  });
  if (!stream) {
    return sendJson(ctx, 200, chunk(tool ? [{ functionCall: { name: tool.name, args: tool.args } }] : [{ text: out.text }], true));
  }
  const sse = ctx.url.searchParams.get('alt') === 'sse';
  if (sse) startSse(ctx);
  else startSse(ctx, {}, JSON_UTF8);
  let n = 0;
  const emit = (data: Body): void => {
    if (sse) write(ctx, `data: ${JSON.stringify(data)}\r\n\r\n`);
    else write(ctx, (n === 0 ? '[' : ',\r\n') + JSON.stringify(data));
    n++;
  };
  const pieces = tool ? [''] : split(out.text);
  const r = await pace(ctx, v.b, pieces, (p, i) =>
    emit(chunk(tool ? [{ functionCall: { name: tool.name, args: tool.args } }] : [{ text: p }], i === pieces.length - 1)),
  );
  if (r === 'closed') return;
  if (r === 'broken') {
    if (v.b.breakMode === 'reset') return resetStream(ctx);
    emit(googleError(503, 'The model is overloaded. Please try again later.', 'UNAVAILABLE'));
    if (!sse) write(ctx, ']');
    return end(ctx);
  }
  if (!sse) write(ctx, n === 0 ? '[]' : ']');
  end(ctx);
}

async function embedding(ctx: Ctx, model: string, batch: boolean): Promise<void> {
  const body = ctx.body;
  const reqs: Body[] = batch ? (Array.isArray(body.requests) ? body.requests : []) : [body];
  const texts = reqs.map((r) => textOf(r.content?.parts));
  const cost = texts.reduce((a, t) => a + tokens(t), 0);
  const v = await admit(ctx, model, cost);
  if (!v) return;
  const vec = (t: string, r: Body): Body => ({ values: embed(t, typeof r.outputDimensionality === 'number' ? r.outputDimensionality : 64) });
  if (batch) return sendJson(ctx, 200, { embeddings: texts.map((t, i) => vec(t, reqs[i] as Body)) });
  sendJson(ctx, 200, { embedding: vec(texts[0] ?? '', body) });
}
