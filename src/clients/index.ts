/**
 * Clients: who is asking (a proxy key with a name) and how much they may take. The limiter is pure logic on an
 * injected clock; the server maps its refusals to HTTP errors.
 */
export { ClientLimiter } from './limiter.js';
export type { Admission, ClientLimits, ClientRefusal, ClientTicket, ClientView, LimitName, PriceUsage, Settlement, WindowView } from './limiter.js';
export { modelAllowed } from './models.js';
