// The hub: a translator for a pair of dialects is the client's reader and the upstream's writer on the way up,
// and the upstream's reader and the client's writer on the way down. A new dialect is one reader and one writer.
import { DIALECT, type Dialect, type StreamItem } from '../../dialects/index.js';
import type { CanonEvent, CanonRequest, CanonResponse, HubContext } from '../canonical.js';
import { errorBodyFor } from '../errors.js';
import type { StreamContext, StreamTranslator, Translator, TranslatorOptions } from '../index.js';
import { AnthropicStreamReader, readAnthropicRequest, readAnthropicResponse } from './anthropic-read.js';
import { AnthropicStreamWriter } from './anthropic-stream.js';
import { writeAnthropicRequest, writeAnthropicResponse } from './anthropic-write.js';
import { readGeminiRequest } from './gemini-read.js';
import { GeminiStreamReader, readGeminiResponse } from './gemini-reply.js';
import { GeminiStreamWriter } from './gemini-stream.js';
import { writeGeminiRequest, writeGeminiResponse } from './gemini-write.js';
import { OpenAIStreamWriter, writeOpenAIResponse } from './openai-client.js';
import { readOpenAIRequest } from './openai-read.js';
import { OpenAIStreamReader, readOpenAIResponse } from './openai-reply.js';
import { writeOpenAIRequest } from './openai-write.js';

export const TARGET: { readonly [D in Dialect]: string } = {
  openai: 'OpenAI chat completions',
  anthropic: 'Anthropic Messages',
  gemini: 'Gemini generateContent',
};

interface ClientSide {
  read(body: unknown, ctx: HubContext, stream: boolean): CanonRequest;
  write(res: CanonResponse, opts: { model?: string }): unknown;
  stream(opts: { model?: string; includeUsage: boolean }): { push(e: CanonEvent[]): StreamItem[]; end(): StreamItem[]; error(message: string): StreamItem[] };
}

interface UpstreamSide {
  write(req: CanonRequest, model: string, ctx: HubContext, options: TranslatorOptions): object;
  read(body: unknown): CanonResponse;
  stream(): { push(event: string | undefined, data: unknown): CanonEvent[]; end(): CanonEvent[] };
}

const CLIENTS: { readonly [D in Dialect]: ClientSide } = {
  openai: {
    read: (body, ctx) => readOpenAIRequest(body, ctx),
    write: (res, o) => writeOpenAIResponse(res, o),
    stream: (o) => openAIItems(new OpenAIStreamWriter(o)),
  },
  anthropic: {
    read: (body, ctx) => readAnthropicRequest(body, ctx),
    write: (res, o) => writeAnthropicResponse(res, o),
    stream: (o) => new AnthropicStreamWriter(o.model ? { model: o.model } : {}),
  },
  gemini: {
    read: readGeminiRequest,
    write: (res, o) => writeGeminiResponse(res, o),
    stream: (o) => new GeminiStreamWriter(o.model ? { model: o.model } : {}),
  },
};

const UPSTREAMS: { readonly [D in Dialect]: UpstreamSide } = {
  openai: {
    write: (req, model, ctx, o) => writeOpenAIRequest(req, { model, ...o }, ctx),
    read: readOpenAIResponse,
    stream: () => new OpenAIStreamReader(),
  },
  anthropic: {
    write: (req, model, ctx, o) => writeAnthropicRequest(req, { model, ...(o.defaultMaxTokens ? { defaultMaxTokens: o.defaultMaxTokens } : {}) }, ctx),
    read: readAnthropicResponse,
    stream: () => new AnthropicStreamReader(),
  },
  gemini: {
    write: (req, _model, ctx) => writeGeminiRequest(req, ctx),
    read: readGeminiResponse,
    stream: () => new GeminiStreamReader(),
  },
};

/** The hub's translator for client → upstream; undefined for a same-dialect pair. */
export function hubTranslator(client: Dialect, upstream: Dialect, options: TranslatorOptions = {}): Translator | undefined {
  // Same-dialect traffic is passed through by the server untouched, never re-serialised through the hub.
  if (client === upstream) return undefined;
  const c = CLIENTS[client];
  const u = UPSTREAMS[upstream];
  let includeUsage = false;
  return {
    client,
    upstream,
    request(body, { model, stream }) {
      const ctx: HubContext = { warnings: [], target: TARGET[upstream], upstream };
      const canon = c.read(body, ctx, stream === true);
      includeUsage = canon.includeUsage === true;
      return { body: u.write(canon, model, ctx, options), warnings: ctx.warnings };
    },
    response: (body, o = {}) => c.write(u.read(body), o),
    stream: (ctx: StreamContext = {}) => composeStream(u.stream(), c.stream({ includeUsage: ctx.includeUsage ?? includeUsage, ...(ctx.model ? { model: ctx.model } : {}) }), client),
    error: (status, body) => errorBodyFor(client, status, body),
  };
}

function composeStream(reader: ReturnType<UpstreamSide['stream']>, writer: ReturnType<ClientSide['stream']>, client: Dialect): StreamTranslator {
  let closed = false;
  return {
    push: (event, data) => (closed ? [] : writer.push(reader.push(event, data))),
    end: () => {
      if (closed) return [];
      closed = true;
      return [...writer.push(reader.end()), ...writer.end()];
    },
    error: (message) => {
      if (closed) return [];
      closed = true;
      const out = writer.error(message);
      return out.length ? out : DIALECT[client].streamError(502, message, 'KMX_ERR_UPSTREAM');
    },
  };
}

/** OpenAI clients get chunks as `data:` lines and the `[DONE]` that ends every OpenAI stream, also after an error. */
function openAIItems(w: OpenAIStreamWriter): ReturnType<ClientSide['stream']> {
  return {
    push: (events) => w.push(events).map((data) => ({ data })),
    end: () => [...w.end().map((data) => ({ data })), { data: '[DONE]' }],
    error: (message) => DIALECT.openai.streamError(502, message, 'KMX_ERR_UPSTREAM'),
  };
}
