// OpenAI Responses API: POST /v1/responses, non-stream and stream (text output only).
import { end, limitOutput, pace, reply, resetStream, split, sseData, startSse, textOf, tokens, type Body, type Ctx } from './common.js';
import { admitOpenAI, finishJson, okHeaders } from './openai.js';

function lastUserText(input: unknown): { text: string; chars: number } {
  if (typeof input === 'string') return { text: input, chars: input.length };
  if (!Array.isArray(input)) return { text: '', chars: 0 };
  let chars = 0;
  let text = '';
  for (const item of input as Body[]) {
    const t = item.type === 'function_call_output' ? `tool result: ${String(item.output ?? '')}` : textOf(item.content);
    chars += t.length + 12;
    if (item.role === 'user' || item.type === 'function_call_output') text = t;
  }
  return { text, chars };
}

export async function handleResponses(ctx: Ctx): Promise<void> {
  const body = ctx.body;
  const { text, chars } = lastUserText(body.input);
  const inputTokens = Math.ceil((chars + String(body.instructions ?? '').length) / 4) + 1;
  const out = limitOutput(reply(text), body.max_output_tokens);
  const outputTokens = tokens(out.text);
  const v = await admitOpenAI(ctx, body.model, inputTokens + outputTokens);
  if (!v) return;
  const usage = {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
  const id = `resp_${ctx.nextId()}`;
  const msgId = `msg_${ctx.nextId()}`;
  const part = (t: string): Body => ({ type: 'output_text', text: t, annotations: [] });
  const message = (status: string, content: Body[]): Body => ({ id: msgId, type: 'message', status, role: 'assistant', content });
  const status = out.cut ? 'incomplete' : 'completed';
  const response = (st: string, output: Body[], u: Body | null): Body => ({
    id,
    object: 'response',
    created_at: Math.floor(ctx.now() / 1000),
    status: st,
    error: null,
    incomplete_details: out.cut && st === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    model: body.model,
    output,
    parallel_tool_calls: true,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    usage: u,
  });
  const done = response(status, [message(status, [part(out.text)])], usage);

  if (body.stream !== true) return finishJson(ctx, done, okHeaders(ctx, v));

  let seq = 0;
  const ev = (type: string, data: Body): void => sseData(ctx, { type, sequence_number: seq++, ...data }, type);
  startSse(ctx, okHeaders(ctx, v));
  ev('response.created', { response: response('in_progress', [], null) });
  ev('response.in_progress', { response: response('in_progress', [], null) });
  ev('response.output_item.added', { output_index: 0, item: message('in_progress', []) });
  ev('response.content_part.added', { item_id: msgId, output_index: 0, content_index: 0, part: part('') });
  const r = await pace(ctx, v.b, split(out.text), (delta) =>
    ev('response.output_text.delta', { item_id: msgId, output_index: 0, content_index: 0, delta, logprobs: [] }),
  );
  if (r === 'closed') return;
  if (r === 'broken') {
    if (v.b.breakMode === 'reset') return resetStream(ctx);
    ev('error', { code: 'server_error', message: 'The server had an error while processing your request. Sorry about that!', param: null });
    return end(ctx);
  }
  ev('response.output_text.done', { item_id: msgId, output_index: 0, content_index: 0, text: out.text, logprobs: [] });
  ev('response.content_part.done', { item_id: msgId, output_index: 0, content_index: 0, part: part(out.text) });
  ev('response.output_item.done', { output_index: 0, item: message(status, [part(out.text)]) });
  ev(out.cut ? 'response.incomplete' : 'response.completed', { response: done });
  end(ctx);
}
