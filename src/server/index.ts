export { createServer } from './app.js';
export type { KeymuxServer, ServerOptions } from './app.js';
export { ERROR_CODES, HttpError } from './errors.js';
export type { ErrorCode } from './errors.js';
export { redactText, shownUrl } from './redact.js';
