import { DIALECT, type Dialect } from '../dialects/index.js';

/**
 * Every error keymux itself produces, in one table of stable codes (like fastify's), shaped for the client's
 * dialect by the dialect table. Upstream errors are relayed as the provider sent them; these are ours.
 */
export const ERROR_CODES = {
  KMX_ERR_BAD_JSON: { status: 400, message: 'The request body is not valid JSON' },
  KMX_ERR_BAD_REQUEST: { status: 400, message: 'The request is invalid' },
  KMX_ERR_UNTRANSLATABLE: { status: 400, message: 'The request uses a feature the target provider cannot express' },
  KMX_ERR_UNAUTHORIZED: { status: 401, message: 'Missing or invalid proxy key' },
  KMX_ERR_CLIENT_BUDGET: { status: 402, message: "This client's monthly budget is spent" },
  KMX_ERR_FORBIDDEN: { status: 403, message: 'This client may not call keymux' },
  KMX_ERR_MODEL_NOT_ALLOWED: { status: 403, message: 'This client may not use this model' },
  KMX_ERR_ADMIN_DISABLED: { status: 403, message: 'The admin API is off: no admin key is set (KEYMUX_ADMIN_KEY)' },
  KMX_ERR_NOT_FOUND: { status: 404, message: 'No such route' },
  KMX_ERR_UNKNOWN_MODEL: { status: 404, message: 'Unknown provider or model' },
  KMX_ERR_METHOD: { status: 405, message: 'Method not allowed' },
  KMX_ERR_KEY_CONFLICT: { status: 409, message: 'The key cannot be added or deleted in its present state' },
  KMX_ERR_NO_ENCRYPTION_KEY: { status: 409, message: 'No KEYMUX_ENCRYPTION_KEY is set to store keys encrypted, and plaintext keys are not allowed' },
  KMX_ERR_BODY_TOO_LARGE: { status: 413, message: 'The request body is larger than the configured limit' },
  KMX_ERR_UNSUPPORTED_MEDIA: { status: 415, message: 'The request body must be JSON' },
  KMX_ERR_CLIENT_LIMIT: { status: 429, message: 'This client is over one of its limits' },
  KMX_ERR_ALL_KEYS_UNAVAILABLE: { status: 429, message: 'No key of this provider can take the request now' },
  KMX_ERR_UPSTREAM: { status: 502, message: 'The provider failed' },
  KMX_ERR_UPSTREAM_UNREACHABLE: { status: 502, message: 'The provider could not be reached' },
  KMX_ERR_NO_KEYS: { status: 503, message: 'No usable key is configured for this provider' },
  KMX_ERR_SHUTTING_DOWN: { status: 503, message: 'The proxy is shutting down' },
  KMX_ERR_UPSTREAM_TIMEOUT: { status: 504, message: 'The provider did not answer in time' },
  KMX_ERR_INTERNAL: { status: 500, message: 'Internal error' },
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

/** The body of one of our errors in the client's dialect: the shape and the error's type come from the dialect table. */
export function errorBody(dialect: Dialect, status: number, code: string, message: string): object {
  return DIALECT[dialect].errorBody(status, message, code);
}
