// Anthropic dialect: POST /v1/messages (+ stream), /v1/messages/count_tokens, GET /v1/models.
import type { Verdict } from './behaviour.js';
import {
  end,
  fragments,
  limitOutput,
  pace,
  preResponse,
  reply,
  resetStream,
  sendJson,
  split,
  sseData,
  startSse,
  textOf,
  toolArgs,
  tokens,
  wantsTool,
  type Body,
  type Ctx,
} from './common.js';

export const DEFAULT_ANTHROPIC_MODELS = ['claude-sonnet-4-6', 'claude-haiku-4-5', 'claude-opus-4-7'];

type Failure = Exclude<Verdict, { type: 'ok' }>;

export function anthropicError(
  ctx: Ctx,
  status: number,
  type: string,
  message: string,
  headers: Record<string, string> = {},
  extra: Body = {},
): void {
  const requestId = `req_${ctx.nextId()}`;
  const retry = status === 429 || status >= 500 ? 'true' : 'false';
  sendJson(ctx, status, { type: 'error', error: { type, message, ...extra }, request_id: requestId }, {
    ...headers,
    'request-id': requestId,
    'x-should-retry': retry,
  });
}

const CONTACT = 'You may also contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.';

function anthropicFailure(ctx: Ctx, v: Failure): void {
  switch (v.type) {
    case 'invalid_key':
      return anthropicError(ctx, 401, 'authentication_error', v.reason === 'missing' ? 'x-api-key header is required' : 'invalid x-api-key');
    case 'quota':
      if (v.variant === 'spend_limit') {
        return anthropicError(ctx, 429, 'rate_limit_error', 'You have reached your monthly spend limit.', {}, {
          details: { error_code: 'enforced_spend_limit_reached' },
        });
      }
      if (v.variant === 'usage_limits') {
        return anthropicError(ctx, 400, 'invalid_request_error', 'You have reached your specified API usage limits. You will regain access on 2026-12-01 at 00:00 UTC.');
      }
      return anthropicError(ctx, 402, 'billing_error', 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.');
    case 'rate_limited': {
      const org = v.b.group ?? 'org-sim';
      const what =
        v.kind === 'tokens'
          ? `${v.limit.toLocaleString('en-US')} input tokens per minute`
          : v.kind === 'day'
            ? `${v.limit} requests per day`
            : `${v.limit} requests per minute`;
      const msg =
        v.kind === 'concurrency'
          ? `Number of concurrent connections has exceeded your rate limit. Please try again later or contact sales at https://www.anthropic.com/contact-sales to discuss your options for a rate limit increase.`
          : `This request would exceed the rate limit for your organization (${org}) of ${what}. For details, refer to: https://docs.claude.com/en/api/rate-limits. You can see the response headers for current usage. Please reduce the prompt length or the maximum tokens requested, or try again later. ${CONTACT}`;
      return anthropicError(ctx, 429, 'rate_limit_error', msg, v.headers);
    }
    case 'overloaded':
      return anthropicError(ctx, 529, 'overloaded_error', 'Overloaded', v.headers);
    case 'server_error':
      return anthropicError(ctx, 500, 'api_error', 'Internal server error', v.headers);
  }
}

export async function handleAnthropic(ctx: Ctx, route: string): Promise<void> {
  const method = ctx.req.method ?? 'GET';
  const invalid = ctx.reg.auth(ctx.key);
  if (invalid) return anthropicFailure(ctx, invalid);
  if (!ctx.req.headers['anthropic-version']) {
    return anthropicError(ctx, 400, 'invalid_request_error', 'anthropic-version: header is required');
  }
  if (method === 'GET' && route === '/v1/models') {
    const ids = ctx.models.length ? ctx.models : DEFAULT_ANTHROPIC_MODELS;
    const data = ids.map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-09-29T00:00:00Z' }));
    return sendJson(ctx, 200, { data, has_more: false, first_id: ids[0] ?? null, last_id: ids[ids.length - 1] ?? null });
  }
  if (method === 'POST' && route === '/v1/messages/count_tokens') {
    return sendJson(ctx, 200, { input_tokens: parse(ctx.body).inputTokens });
  }
  if (method === 'POST' && route === '/v1/messages') return messages(ctx);
  return anthropicError(ctx, 404, 'not_found_error', `Not found: ${method} ${ctx.url.pathname}`);
}

function parse(body: Body): { inputTokens: number; text: string; lastIsUserText: boolean } {
  const msgs: Body[] = Array.isArray(body.messages) ? body.messages : [];
  let chars = textOf(body.system).length;
  for (const m of msgs) chars += textOf(m.content).length + 8;
  const last = msgs[msgs.length - 1];
  const blocks: Body[] = Array.isArray(last?.content) ? last.content : [];
  const results = blocks.filter((c) => c?.type === 'tool_result');
  const isResult = results.length > 0;
  const text = isResult ? `tool result: ${textOf(results.map((r) => ({ content: r.content })))}` : textOf(last?.content);
  const toolTokens = Array.isArray(body.tools) ? tokens(JSON.stringify(body.tools)) : 0;
  return { inputTokens: Math.ceil(chars / 4) + 3 + toolTokens, text, lastIsUserText: last?.role === 'user' && !isResult };
}

function pickTool(body: Body, lastIsUserText: boolean, text: string): { name: string; input: Body } | undefined {
  const tools: Body[] = Array.isArray(body.tools) ? body.tools : [];
  if (!tools.length) return undefined;
  const choice: Body = body.tool_choice ?? { type: 'auto' };
  if (choice.type === 'none') return undefined;
  let name: string | undefined = choice.type === 'tool' ? choice.name : undefined;
  if (!name && (choice.type === 'any' || (lastIsUserText && wantsTool(text)))) {
    name = tools.find((t) => text.includes(String(t.name)))?.name ?? tools[0]?.name;
  }
  if (!name) return undefined;
  return { name, input: toolArgs(tools.find((t) => t.name === name)?.input_schema, text) };
}

async function messages(ctx: Ctx): Promise<void> {
  const body = ctx.body;
  if (typeof body.model !== 'string') return anthropicError(ctx, 400, 'invalid_request_error', 'model: Field required');
  if (typeof body.max_tokens !== 'number') return anthropicError(ctx, 400, 'invalid_request_error', 'max_tokens: Field required');
  if (!Array.isArray(body.messages) || !body.messages.length) {
    return anthropicError(ctx, 400, 'invalid_request_error', 'messages: at least one message is required');
  }
  const model: string = body.model;
  if (ctx.models.length && !ctx.models.includes(model)) return anthropicError(ctx, 404, 'not_found_error', `model: ${model}`);
  const { inputTokens, text, lastIsUserText } = parse(body);
  const tool = pickTool(body, lastIsUserText, text);
  const out = limitOutput(reply(text), body.max_tokens);
  const args = tool ? JSON.stringify(tool.input) : '';
  const outputTokens = tool ? tokens(args) + 10 : tokens(out.text);
  const v = ctx.reg.gate(ctx.key, 'anthropic', 'anthropic', model, inputTokens + outputTokens);
  if (v.type !== 'ok') return anthropicFailure(ctx, v);
  ctx.res.once('close', v.release);
  await preResponse(ctx, v.b);
  if (ctx.closed) return;
  const headers: Record<string, string> = {
    ...v.headers,
    'request-id': `req_${ctx.nextId()}`,
    'anthropic-organization-id': v.b.group ?? 'org-sim',
  };
  const id = `msg_${ctx.nextId()}`;
  const toolId = `toolu_${ctx.nextId()}`;
  const stopReason = tool ? 'tool_use' : out.cut ? 'max_tokens' : 'end_turn';
  const usage = (output: number): Body => ({
    input_tokens: inputTokens,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
    output_tokens: output,
  });
  const message = (content: Body[], stop: string | null, output: number): Body => ({
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop,
    stop_sequence: null,
    usage: usage(output),
  });

  if (body.stream !== true) {
    const content = tool ? [{ type: 'tool_use', id: toolId, name: tool.name, input: tool.input }] : [{ type: 'text', text: out.text }];
    return sendJson(ctx, 200, message(content, stopReason, outputTokens), headers);
  }

  const ev = (type: string, data: Body): void => sseData(ctx, { type, ...data }, type);
  startSse(ctx, headers);
  ev('message_start', { message: message([], null, 1) });
  ev('content_block_start', {
    index: 0,
    content_block: tool ? { type: 'tool_use', id: toolId, name: tool.name, input: {} } : { type: 'text', text: '' },
  });
  ev('ping', {});
  const r = tool
    ? await pace(ctx, v.b, fragments(args), (p) => ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: p } }))
    : await pace(ctx, v.b, split(out.text), (p) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } }));
  if (r === 'closed') return;
  if (r === 'broken') {
    if (v.b.breakMode === 'reset') return resetStream(ctx);
    ev('error', { error: { type: 'overloaded_error', message: 'Overloaded' } });
    return end(ctx);
  }
  ev('content_block_stop', { index: 0 });
  ev('message_delta', { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  ev('message_stop', {});
  end(ctx);
}
