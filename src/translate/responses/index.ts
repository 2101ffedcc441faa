// The Responses API over a chat-only provider: Responses → OpenAI chat here, then (for an upstream of another
// dialect) OpenAI chat → that dialect through the chat translator of translatorFor(); answers and streams come
// back the same way. One instance per request.
import type { Dialect, StreamItem } from '../../dialects/index.js';
import { errorBodyFor, untranslatable } from '../errors.js';
import { translatorFor, type StreamTranslator } from '../index.js';
import type { OpenAIMessage } from '../types.js';
import { parseResponsesRequest, responsesToChat, type ResponsesRequest } from './request.js';
import { chatToResponse, newId } from './response.js';
import { ChatToResponsesStream } from './stream.js';

export { parseResponsesRequest, type ResponsesRequest } from './request.js';
export { MemoryResponseStore, type ResponseStore, type StoredResponse, type MemoryResponseStoreOptions } from './store.js';
export { ChatToResponsesStream } from './stream.js';

export interface ResponsesOverChatOptions {
  /** The provider's dialect. */
  upstream: Dialect;
  /** The model as the provider knows it. */
  model: string;
  /** The model name the client hears back (the one it asked for). */
  reportedModel: string;
  /** The conversation of previous_response_id, when there is one. */
  history?: readonly OpenAIMessage[];
  /** A completed response, with its whole conversation: for the store (not called for store: false). */
  onDone?(id: string, conversation: OpenAIMessage[]): void;
}

export interface ResponsesOverChat {
  /** keymux's id of this response. */
  readonly id: string;
  /** The request in the upstream's dialect (its chat route), and what was dropped on the way. */
  readonly body: object;
  readonly warnings: string[];
  response(upstream: unknown): unknown;
  stream(): StreamTranslator;
  error(status: number, upstream: unknown): unknown;
}

export function responsesOverChat(req: ResponsesRequest, raw: Record<string, unknown>, o: ResponsesOverChatOptions): ResponsesOverChat {
  const id = newId('resp');
  const { chat, conversation, warnings } = responsesToChat(req, raw, { model: o.model, history: o.history ?? [] });
  const env = { id, model: o.reportedModel, createdAt: Math.floor(Date.now() / 1000), req };
  const done = (assistant: OpenAIMessage): void => {
    if (req.store !== false) o.onDone?.(id, [...conversation, assistant]);
  };
  const toResponse = (c: unknown): unknown => {
    const r = chatToResponse(c, env);
    if (!r) return c;
    done(r.assistant);
    return r.response;
  };
  const responses = (): ChatToResponsesStream => new ChatToResponsesStream(env, done);
  if (o.upstream === 'openai') {
    return {
      id,
      body: chat,
      warnings,
      response: toResponse,
      stream: () => {
        const s = responses();
        return { push: (_e, data) => s.push(data), end: () => s.end(), error: (m) => s.error(m) };
      },
      error: (status, b) => errorBodyFor('openai', status, b),
    };
  }
  const tr = translatorFor('openai', o.upstream);
  if (!tr) throw untranslatable('the Responses API', `${o.upstream} dialect`);
  const up = tr.request(chat, { model: o.model });
  return {
    id,
    body: up.body,
    warnings: [...warnings, ...up.warnings],
    response: (b) => toResponse(tr.response(b, { model: o.reportedModel })),
    stream: () => {
      const chatStream = tr.stream({ includeUsage: true, model: o.reportedModel });
      const s = responses();
      // The chat translator's items carry chat chunks (its `[DONE]` is the end, said by end() below).
      const feed = (items: StreamItem[]): StreamItem[] => items.flatMap((it) => (it.data === '[DONE]' ? [] : s.push(it.data)));
      return {
        push: (event, data) => feed(chatStream.push(event, data)),
        end: () => [...feed(chatStream.end()), ...s.end()],
        error: (m) => s.error(m),
      };
    },
    error: (status, b) => tr.error(status, b),
  };
}
