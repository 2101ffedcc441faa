// Error responses of the OpenAI dialect, in the shape of each OpenAI-compatible provider (PROVIDERS.md).
import type { Verdict } from './behaviour.js';
import { sendJson, type Body, type Ctx } from './common.js';
import { googleError, quotaFailure } from './gemini-errors.js';

type Failure = Exclude<Verdict, { type: 'ok' }>;

const PROBLEM = 'application/problem+json';

function oai(message: string, type: string, code: string | null, param: string | null = null): Body {
  return { error: { message, type, param, code } };
}

function mask(key: string | undefined): string {
  if (!key) return '';
  return key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '****';
}

function windowName(kind: string): string {
  return kind === 'tokens'
    ? 'tokens per min (TPM)'
    : kind === 'day'
      ? 'requests per day (RPD)'
      : 'requests per min (RPM)';
}

/** "Please try again in 45.19s" / "in 120ms" / "in 1m5.2s", like OpenAI and Groq. */
function tryAgain(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${Number(s.toFixed(3))}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = Number((s % 60).toFixed(3));
  return `${h ? `${h}h` : ''}${m}m${rest}s`;
}

/** Write the flavor's error for a gate failure, or a plain client error (status + message). */
export function openaiFailure(ctx: Ctx, v: Failure, model: string): void {
  const f = ctx.flavor;
  if (f === 'gemini_openai') return geminiOpenai(ctx, v, model);
  switch (v.type) {
    case 'invalid_key': {
      if (f === 'nvidia_nim') {
        return sendJson(ctx, 403, { status: 403, title: 'Forbidden', detail: 'Authorization failed' }, {}, PROBLEM);
      }
      if (f === 'openrouter') return sendJson(ctx, 401, { error: { message: 'User not found.', code: 401 } });
      if (f === 'mistral') return sendJson(ctx, 401, { message: 'Unauthorized', request_id: ctx.nextId() });
      if (f === 'deepseek') {
        return sendJson(
          ctx,
          401,
          oai(`Authentication Fails, Your api key: ${mask(ctx.key)} is invalid`, 'authentication_error', 'invalid_request_error'),
        );
      }
      if (f === 'groq') return sendJson(ctx, 401, oai('Invalid API Key', 'invalid_request_error', 'invalid_api_key'));
      const msg =
        v.reason === 'missing'
          ? "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
          : `Incorrect API key provided: ${mask(ctx.key)}. You can find your API key at https://platform.openai.com/account/api-keys.`;
      return sendJson(ctx, 401, oai(msg, 'invalid_request_error', v.reason === 'missing' ? null : 'invalid_api_key'));
    }
    case 'quota': {
      if (f === 'openrouter') {
        return sendJson(ctx, 402, {
          error: { message: 'Insufficient credits. Add more using https://openrouter.ai/settings/credits', code: 402 },
        });
      }
      if (f === 'deepseek') return sendJson(ctx, 402, oai('Insufficient Balance', 'unknown_error', 'invalid_request_error'));
      if (f === 'nvidia_nim') {
        return sendJson(ctx, 402, { status: 402, title: 'Payment Required', detail: 'Account credits exhausted' }, {}, PROBLEM);
      }
      if (f === 'mistral') {
        return sendJson(ctx, 429, {
          object: 'error',
          message: 'Monthly usage limit exceeded',
          type: 'rate_limited',
          param: null,
          code: '1310',
        });
      }
      const code = v.variant ?? 'insufficient_quota';
      return sendJson(
        ctx,
        429,
        oai(
          'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
          'insufficient_quota',
          code,
        ),
      );
    }
    case 'rate_limited': {
      if (f === 'nvidia_nim') {
        const body: Body = { status: 429, title: 'Too Many Requests' };
        if (v.kind === 'concurrency') body.detail = 'Worker local total request limit reached';
        return sendJson(ctx, 429, body, {}, PROBLEM);
      }
      if (f === 'openrouter') {
        const which = v.kind === 'day' ? 'free-models-per-day' : 'free-models-per-min';
        return sendJson(ctx, 429, {
          error: {
            message: `Rate limit exceeded: ${which}. `,
            code: 429,
            metadata: {
              headers: {
                'X-RateLimit-Limit': String(v.limit),
                'X-RateLimit-Remaining': '0',
                'X-RateLimit-Reset': String(ctx.now() + v.retryAfterMs),
              },
              provider_name: null,
            },
          },
          user_id: 'user_sim',
        });
      }
      if (f === 'mistral') {
        return sendJson(ctx, 429, { object: 'error', message: 'Rate limit exceeded', type: 'rate_limited', param: null, code: '1300' });
      }
      if (f === 'deepseek') {
        return sendJson(ctx, 429, oai('Rate limit reached', 'rate_limit_error', 'rate_limit_exceeded'), v.headers);
      }
      const org = v.b.group ?? 'org-sim';
      const used = v.kind === 'tokens' ? v.limit - 1 : v.limit;
      const where = f === 'groq' ? `model \`${model}\` in organization \`${org}\` service tier \`on_demand\`` : `${model} in organization ${org}`;
      const msg =
        `Rate limit reached for ${where} on ${windowName(v.kind)}: Limit ${v.limit}, Used ${used}, ` +
        `Requested ${v.requested}. Please try again in ${tryAgain(v.retryAfterMs)}. ` +
        'Visit https://platform.openai.com/account/rate-limits to learn more.';
      return sendJson(ctx, 429, oai(msg, v.kind === 'tokens' ? 'tokens' : 'requests', 'rate_limit_exceeded'), v.headers);
    }
    case 'overloaded': {
      if (f === 'nvidia_nim') return sendJson(ctx, 503, { status: 503, title: 'Service Unavailable' }, {}, PROBLEM);
      if (f === 'mistral') {
        return sendJson(ctx, 503, { object: 'error', message: 'Service unavailable', type: 'service_unavailable', param: null, code: '1000' });
      }
      return sendJson(ctx, 503, oai('The server is overloaded or not ready yet.', 'server_error', 'server_is_overloaded'), v.headers);
    }
    case 'server_error': {
      if (f === 'nvidia_nim') return sendJson(ctx, 500, { status: 500, title: 'Internal Server Error' }, {}, PROBLEM);
      if (f === 'mistral') {
        return sendJson(ctx, 500, { object: 'error', message: 'Internal server error', type: 'internal_server_error', param: null, code: '1000' });
      }
      return sendJson(
        ctx,
        500,
        oai('The server had an error while processing your request. Sorry about that!', 'server_error', null),
        v.headers,
      );
    }
  }
}

/** Gemini's OpenAI-compatible endpoint: errors are a JSON array of Google errors. */
function geminiOpenai(ctx: Ctx, v: Failure, model: string): void {
  const g = googleFailure(v, model);
  sendJson(ctx, g.status, [g.body]);
}

export function googleFailure(v: Failure, model: string): { status: number; body: Body } {
  switch (v.type) {
    case 'invalid_key':
      return { status: 400, body: googleError(400, 'API key not valid. Please pass a valid API key.', 'INVALID_ARGUMENT', 'API_KEY_INVALID') };
    case 'quota':
      return { status: 429, body: quotaFailure('day', model, v.b.rpd ?? 0, undefined) };
    case 'rate_limited':
      if (v.kind === 'concurrency') {
        return { status: 429, body: googleError(429, 'Resource has been exhausted (e.g. check quota).', 'RESOURCE_EXHAUSTED') };
      }
      return { status: 429, body: quotaFailure(v.kind, model, v.limit, v.retryAfterMs) };
    case 'overloaded':
      return { status: 503, body: googleError(503, 'The model is overloaded. Please try again later.', 'UNAVAILABLE') };
    case 'server_error':
      return {
        status: 500,
        body: googleError(500, 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', 'INTERNAL'),
      };
  }
}

/** A client error (bad request / unknown model) in the flavor's shape. */
export function openaiClientError(ctx: Ctx, status: number, message: string, code: string | null, param: string | null = null): void {
  const f = ctx.flavor;
  if (f === 'gemini_openai') {
    return sendJson(ctx, status, [googleError(status, message, status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT')]);
  }
  if (f === 'nvidia_nim') {
    return sendJson(ctx, status, { status, title: status === 404 ? 'Not Found' : 'Bad Request', detail: message }, {}, PROBLEM);
  }
  if (f === 'mistral') return sendJson(ctx, status, { object: 'error', message, type: 'invalid_request_error', param, code });
  if (f === 'openrouter') return sendJson(ctx, status, { error: { message, code: status } });
  sendJson(ctx, status, oai(message, 'invalid_request_error', code, param));
}
