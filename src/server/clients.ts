import type { ClientRefusal, ClientTicket } from '../clients/index.js';
import { HttpError } from './errors.js';
import type { ResolvedModel, Runtime } from './runtime.js';

/**
 * The server's side of client limits (src/clients): refusals in keymux's error codes, the checks routes and the
 * proxy make, and this month's spend read back from the store at start.
 */

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
const UNIT: Readonly<Record<string, string>> = { rpm: 'requests per minute', tpm: 'tokens per minute', rpd: 'requests per day (UTC)' };

export function refusalError(r: ClientRefusal): HttpError {
  if (r.kind === 'model') {
    return new HttpError('KMX_ERR_MODEL_NOT_ALLOWED', `client '${r.client}' may not use the model "${r.model}" (see its models: in the configuration)`, {
      headers: { 'x-should-retry': 'false' },
    });
  }
  if (r.kind === 'budget') {
    const retry = seconds(r.retryAfterMs);
    return new HttpError('KMX_ERR_CLIENT_BUDGET', `client '${r.client}' has spent its budget for this month: about $${r.spentUsd.toFixed(2)} of $${r.budgetUsd}; it renews at the start of the next UTC month`, {
      headers: { 'retry-after': String(retry), 'x-should-retry': 'false' },
    });
  }
  const retry = seconds(r.retryAfterMs);
  return new HttpError('KMX_ERR_CLIENT_LIMIT', `client '${r.client}' is over its ${r.limit} limit (${r.value} ${UNIT[r.limit]}); retry in ${retry}s`, {
    headers: { 'retry-after': String(retry), 'x-keymux-client-limit': r.limit },
  });
}

/** Throws 403 when the client may not use the model it asked for (`asked`, as the request names it). */
export function checkModel(rt: Runtime, client: string | undefined, asked: unknown, target: ResolvedModel): void {
  const r = typeof asked === 'string' ? rt.clients.allows(client, asked, target.provider.name) : undefined;
  if (r) throw refusalError(r);
}

/** Counts the request against its client's limits before a key is acquired; throws 429/402 when over one. */
export function admitClient(rt: Runtime, client: string | undefined, tokens: number | undefined): ClientTicket {
  const a = rt.clients.admit(client, tokens ?? 0);
  if (!a.ok) throw refusalError(a.refusal);
  return a.ticket;
}

/** This UTC month's spend per client, from stored usage: a restart does not reset a budget. */
export async function seedSpend(rt: Runtime): Promise<void> {
  const read = rt.store.readClientUsage;
  if (!read || rt.config.clients.every((c) => c.budgetUsd === undefined)) return;
  const rows = await read.call(rt.store, { from: rt.clients.monthStart() });
  for (const r of rows) rt.clients.seed(r.client, r.costUsd, r.hour);
}
