/**
 * Every error keymux itself produces, in one table of stable codes (like fastify's), and the one place that
 * shapes them for the client's dialect. Upstream errors are relayed as the provider sent them; these are ours.
 */
export type ClientDialect = 'openai' | 'anthropic' | 'gemini';

export const ERROR_CODES = {
  KMX_ERR_BAD_JSON: { status: 400, type: 'invalid_request_error', message: 'The request body is not valid JSON' },
  KMX_ERR_BAD_REQUEST: { status: 400, type: 'invalid_request_error', message: 'The request is invalid' },
  KMX_ERR_UNTRANSLATABLE: { status: 400, type: 'invalid_request_error', message: 'The request uses a feature the target provider cannot express' },
  KMX_ERR_UNAUTHORIZED: { status: 401, type: 'authentication_error', message: 'Missing or invalid proxy key' },
  KMX_ERR_NOT_FOUND: { status: 404, type: 'not_found_error', message: 'No such route' },
  KMX_ERR_UNKNOWN_MODEL: { status: 404, type: 'not_found_error', message: 'Unknown provider or model' },
  KMX_ERR_METHOD: { status: 405, type: 'invalid_request_error', message: 'Method not allowed' },
  KMX_ERR_BODY_TOO_LARGE: { status: 413, type: 'request_too_large', message: 'The request body is larger than the configured limit' },
  KMX_ERR_UNSUPPORTED_MEDIA: { status: 415, type: 'invalid_request_error', message: 'The request body must be JSON' },
  KMX_ERR_ALL_KEYS_UNAVAILABLE: { status: 429, type: 'rate_limit_error', message: 'No key of this provider can take the request now' },
  KMX_ERR_UPSTREAM: { status: 502, type: 'api_error', message: 'The provider failed' },
  KMX_ERR_UPSTREAM_UNREACHABLE: { status: 502, type: 'api_error', message: 'The provider could not be reached' },
  KMX_ERR_NO_KEYS: { status: 503, type: 'api_error', message: 'No usable key is configured for this provider' },
  KMX_ERR_SHUTTING_DOWN: { status: 503, type: 'overloaded_error', message: 'The proxy is shutting down' },
  KMX_ERR_UPSTREAM_TIMEOUT: { status: 504, type: 'timeout_error', message: 'The provider did not answer in time' },
  KMX_ERR_INTERNAL: { status: 500, type: 'api_error', message: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class HttpError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(code: ErrorCode, message?: string, opts: { status?: number; headers?: Record<string, string> } = {}) {
    super(message ?? ERROR_CODES[code].message);
    this.name = 'HttpError';
    this.code = code;
    this.status = opts.status ?? ERROR_CODES[code].status;
    this.headers = opts.headers ?? {};
  }
}

const ANTHROPIC_TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const GOOGLE_STATUS: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  405: 'UNIMPLEMENTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

/** The body of one of our errors in the client's dialect. */
export function errorBody(dialect: ClientDialect, status: number, code: string, message: string): unknown {
  switch (dialect) {
    case 'anthropic':
      return { type: 'error', error: { type: ANTHROPIC_TYPE_BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message } };
    case 'gemini':
      return { error: { code: status, message, status: GOOGLE_STATUS[status] ?? (status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT') } };
    default: {
      const entry = (ERROR_CODES as Record<string, { type: string }>)[code];
      return { error: { message, type: entry?.type ?? 'api_error', param: null, code } };
    }
  }
}
