// OpenAI dialect: chat completions, completions, embeddings, models (responses in responses.ts).
import { headerStyleFor } from './behaviour.js';
import {
  embed,
  end,
  float32Base64,
  fragments,
  limitOutput,
  pace,
  preResponse,
  reply,
  resetStream,
  sendJson,
  sleep,
  split,
  sseData,
  startSse,
  textOf,
  toolArgs,
  tokens,
  wantsTool,
  write,
  type Body,
  type Ctx,
  type OkVerdict,
} from './common.js';
import { openaiClientError, openaiFailure } from './openai-errors.js';
import { handleResponses } from './responses.js';

export const DEFAULT_OPENAI_MODELS = ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'];

/** Route one OpenAI-dialect request; `route` is the path below the base (e.g. `/chat/completions`). */
export async function handleOpenAI(ctx: Ctx, route: string): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  if (method === 'GET' && route === '/models') return listModels(ctx);
  if (method === 'GET' && route === '/key' && ctx.flavor === 'openrouter') return openrouterKey(ctx);
  if (method !== 'POST') return openaiClientError(ctx, 404, `Unknown request URL: ${method} ${ctx.url.pathname}.`, 'unknown_url');
  if (route === '/chat/completions') return chat(ctx);
  if (route === '/completions') return completions(ctx);
  if (route === '/embeddings') return embeddings(ctx);
  if (route === '/responses') return handleResponses(ctx);
  return openaiClientError(ctx, 404, `Unknown request URL: POST ${ctx.url.pathname}.`, 'unknown_url');
}

/** Validate the model, pass the gate, wait the latency. Undefined when a response was already sent. */
export async function admitOpenAI(ctx: Ctx, model: unknown, cost: number): Promise<OkVerdict | undefined> {
  if (typeof model !== 'string' || !model) {
    openaiClientError(ctx, 400, 'you must provide a model parameter', null, 'model');
    return undefined;
  }
  const invalid = ctx.reg.auth(ctx.key);
  if (invalid) {
    openaiFailure(ctx, invalid, model);
    return undefined;
  }
  if (ctx.models.length && !ctx.models.includes(model)) {
    openaiClientError(ctx, 404, `The model \`${model}\` does not exist or you do not have access to it.`, 'model_not_found');
    return undefined;
  }
  const dialect = ctx.flavor === 'gemini_openai' ? 'gemini' : 'openai';
  const v = ctx.reg.gate(ctx.key, dialect, headerStyleFor('openai', ctx.flavor), model, cost);
  if (v.type !== 'ok') {
    openaiFailure(ctx, v, model);
    return undefined;
  }
  ctx.res.once('close', v.release);
  await preResponse(ctx, v.b);
  if (v.b.keepAliveMs) await keepAlive(ctx, v.b.keepAliveMs, ctx.body.stream === true, okHeaders(ctx, v));
  return ctx.closed ? undefined : v;
}

export function okHeaders(ctx: Ctx, v: OkVerdict): Record<string, string> {
  const h: Record<string, string> = { ...v.headers, 'x-request-id': `req_${ctx.nextId()}` };
  if (ctx.flavor === 'openai') {
    h['openai-organization'] = v.b.group ?? 'org-sim';
    h['openai-processing-ms'] = String(v.b.latencyMs ?? 0);
  }
  return h;
}

/** DeepSeek under load: 200 at once, then keep-alive comments (stream) or blank lines (JSON) for a while. */
async function keepAlive(ctx: Ctx, ms: number, stream: boolean, headers: Record<string, string>): Promise<void> {
  if (stream) startSse(ctx, headers);
  else if (!ctx.closed) {
    ctx.res.writeHead(200, { ...headers, 'content-type': 'application/json' });
    ctx.res.flushHeaders();
  }
  const every = Math.min(1000, Math.max(10, Math.floor(ms / 5)));
  for (let left = ms; left > 0 && !ctx.closed; left -= every) {
    write(ctx, stream ? ': keep-alive\n\n' : '\n');
    await sleep(ctx, Math.min(every, left));
  }
}

/** JSON body, or the end of a response whose head went out already (keep-alive). */
export function finishJson(ctx: Ctx, body: unknown, headers: Record<string, string>): void {
  if (ctx.res.headersSent) {
    if (!ctx.closed) ctx.res.end(JSON.stringify(body));
  } else sendJson(ctx, 200, body, headers);
}

export interface ToolPick {
  name: string;
  args: string;
}

function pickTool(body: Body, lastIsUser: boolean, text: string): ToolPick | undefined {
  const tools: Body[] = Array.isArray(body.tools) ? body.tools : [];
  if (!tools.length) return undefined;
  const choice = body.tool_choice;
  if (choice === 'none') return undefined;
  let name: string | undefined = typeof choice === 'object' && choice ? choice.function?.name : undefined;
  if (!name && (choice === 'required' || (lastIsUser && wantsTool(text)))) {
    const names = tools.map((t) => String(t.function?.name ?? t.name ?? 'tool'));
    name = names.find((n) => text.includes(n)) ?? names[0];
  }
  if (!name) return undefined;
  const def = tools.find((t) => (t.function?.name ?? t.name) === name);
  return { name, args: JSON.stringify(toolArgs(def?.function?.parameters ?? def?.parameters, text)) };
}

async function chat(ctx: Ctx): Promise<void> {
  const body = ctx.body;
  const messages: Body[] = Array.isArray(body.messages) ? body.messages : [];
  if (!messages.length) return openaiClientError(ctx, 400, "Missing required parameter: 'messages'.", 'missing_required_parameter', 'messages');
  const last = messages[messages.length - 1] as Body;
  const lastIsUser = last.role === 'user';
  const lastText = textOf(last.content);
  const userText = lastIsUser ? lastText : last.role === 'tool' ? `tool result: ${lastText}` : lastText;
  let chars = 0;
  for (const m of messages) chars += textOf(m.content).length + 12;
  const promptTokens = Math.ceil(chars / 4) + (body.tools ? tokens(JSON.stringify(body.tools)) : 0);
  const tool = pickTool(body, lastIsUser, lastText);
  const out = limitOutput(reply(userText), body.max_completion_tokens ?? body.max_tokens);
  const completionTokens = tool ? tokens(tool.args) + 8 : tokens(out.text);
  const v = await admitOpenAI(ctx, body.model, promptTokens + completionTokens);
  if (!v) return;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const id = `chatcmpl-${ctx.nextId()}`;
  const created = Math.floor(ctx.now() / 1000);
  const model: string = body.model;
  const finish = tool ? 'tool_calls' : out.cut ? 'length' : 'stop';
  const callId = `call_${ctx.nextId()}`;

  if (body.stream !== true) {
    const message = tool
      ? { role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name: tool.name, arguments: tool.args } }], refusal: null }
      : { role: 'assistant', content: out.text, refusal: null };
    return finishJson(
      ctx,
      { id, object: 'chat.completion', created, model, choices: [{ index: 0, message, logprobs: null, finish_reason: finish }], usage, system_fingerprint: 'fp_sim' },
      okHeaders(ctx, v),
    );
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const base = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_sim' };
  const chunk = (delta: Body, finish_reason: string | null): Body => ({
    ...base,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
    ...(includeUsage ? { usage: null } : {}),
  });
  startSse(ctx, okHeaders(ctx, v));
  let r: 'done' | 'closed' | 'broken';
  if (tool) {
    sseData(ctx, chunk({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: callId, type: 'function', function: { name: tool.name, arguments: '' } }] }, null));
    r = await pace(ctx, v.b, fragments(tool.args), (p) => sseData(ctx, chunk({ tool_calls: [{ index: 0, function: { arguments: p } }] }, null)));
  } else {
    sseData(ctx, chunk({ role: 'assistant', content: '', refusal: null }, null));
    r = await pace(ctx, v.b, split(out.text), (p) => sseData(ctx, chunk({ content: p }, null)));
  }
  if (r === 'closed') return;
  if (r === 'broken') return breakOpenAIStream(ctx, v, base);
  sseData(ctx, chunk({}, finish));
  if (includeUsage) sseData(ctx, { ...base, choices: [], usage });
  sseData(ctx, '[DONE]');
  end(ctx);
}

/** A stream failing after its first byte: OpenRouter's finish_reason "error" chunk, else an error event. */
export function breakOpenAIStream(ctx: Ctx, v: OkVerdict, base: Body): void {
  if (v.b.breakMode === 'reset') return resetStream(ctx);
  if (ctx.flavor === 'openrouter') {
    sseData(ctx, {
      ...base,
      error: { code: 502, message: 'Provider returned error' },
      choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
    });
  } else {
    sseData(ctx, { error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } });
  }
  end(ctx);
}

async function completions(ctx: Ctx): Promise<void> {
  const body = ctx.body;
  const prompt = Array.isArray(body.prompt) ? body.prompt.map(String).join('\n') : String(body.prompt ?? '');
  const promptTokens = tokens(prompt);
  const out = limitOutput(reply(prompt), body.max_tokens ?? 16 * 1024);
  const completionTokens = tokens(out.text);
  const v = await admitOpenAI(ctx, body.model, promptTokens + completionTokens);
  if (!v) return;
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  const base = { id: `cmpl-${ctx.nextId()}`, object: 'text_completion', created: Math.floor(ctx.now() / 1000), model: body.model as string };
  const finish = out.cut ? 'length' : 'stop';
  if (body.stream !== true) {
    return finishJson(ctx, { ...base, choices: [{ text: out.text, index: 0, logprobs: null, finish_reason: finish }], usage }, okHeaders(ctx, v));
  }
  startSse(ctx, okHeaders(ctx, v));
  const r = await pace(ctx, v.b, split(out.text), (p) =>
    sseData(ctx, { ...base, choices: [{ text: p, index: 0, logprobs: null, finish_reason: null }] }),
  );
  if (r === 'closed') return;
  if (r === 'broken') return breakOpenAIStream(ctx, v, base);
  sseData(ctx, { ...base, choices: [{ text: '', index: 0, logprobs: null, finish_reason: finish }] });
  if (body.stream_options?.include_usage === true) sseData(ctx, { ...base, choices: [], usage });
  sseData(ctx, '[DONE]');
  end(ctx);
}

async function embeddings(ctx: Ctx): Promise<void> {
  const body = ctx.body;
  const raw: unknown[] = Array.isArray(body.input) ? body.input : [body.input];
  if (body.input === undefined || !raw.length) return openaiClientError(ctx, 400, "'input' is a required property", null, 'input');
  const inputs = raw.map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
  const promptTokens = inputs.reduce((n, s) => n + tokens(s), 0);
  const v = await admitOpenAI(ctx, body.model, promptTokens);
  if (!v) return;
  const dims = typeof body.dimensions === 'number' && body.dimensions > 0 ? body.dimensions : 64;
  const b64 = body.encoding_format === 'base64';
  const data = inputs.map((s, index) => {
    const e = embed(s, dims);
    return { object: 'embedding', index, embedding: b64 ? float32Base64(e) : e };
  });
  finishJson(ctx, { object: 'list', data, model: body.model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } }, okHeaders(ctx, v));
}

function listModels(ctx: Ctx): void {
  const invalid = ctx.reg.auth(ctx.key);
  if (invalid) return openaiFailure(ctx, invalid, '');
  const ids = ctx.models.length ? ctx.models : DEFAULT_OPENAI_MODELS;
  const created = Math.floor(ctx.now() / 1000);
  sendJson(ctx, 200, { object: 'list', data: ids.map((id) => ({ id, object: 'model', created, owned_by: 'sim' })) });
}

function openrouterKey(ctx: Ctx): void {
  const invalid = ctx.reg.auth(ctx.key);
  const b = ctx.key ? ctx.reg.get(ctx.key) : undefined;
  if (invalid || !b) return openaiFailure(ctx, invalid ?? { type: 'invalid_key', reason: 'unknown' }, '');
  sendJson(ctx, 200, {
    data: {
      label: `sk-or-v1-${(ctx.key ?? '').slice(-3)}`,
      limit: null,
      limit_remaining: b.quotaExhausted ? 0 : null,
      usage: 0,
      usage_daily: 0,
      is_free_tier: true,
      rate_limit: { requests: b.rpm ?? 20, interval: '1m' },
    },
  });
}
