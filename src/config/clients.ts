import { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { int, list, positive, section, strict, text } from './leaves.js';
import { looksLikeKey } from './redact.js';

/**
 * `clients:` — proxy keys with a name and optional limits. The name is what logs, metrics and usage show (the
 * key never is); the limits are enforced by the server before a provider key is spent (src/server/clients).
 */
const clientFields = {
  name: text,
  key: text,
  /** Requests per minute, tokens per minute, requests per UTC day. */
  rpm: int(1).optional(),
  tpm: int(1).optional(),
  rpd: int(1).optional(),
  /** Approximate spend per UTC month, in USD, priced by the usage price table. */
  budgetUsd: positive.optional(),
  /** Models it may use: names as the client sends them (aliases), or `provider/*`. Absent: all. */
  models: list(text).optional(),
};
export const clientSchema = strict(clientFields);
export type ClientEntry = z.output<typeof clientSchema>;

/** The file's `clients:` section: a list, each item checked on its own so every bad item is reported. */
export const clientsSection = section(z.array(z.unknown(), { error: 'expected a list of clients: - { name: ..., key: ... }' }));

/** A client as the loaded config carries it. */
export const resolvedClientSchema = z.object({
  name: z.string(),
  key: z.string(),
  rpm: z.number().optional(),
  tpm: z.number().optional(),
  rpd: z.number().optional(),
  budgetUsd: z.number().optional(),
  models: z.array(z.string()).optional(),
});
export type ClientConfig = z.output<typeof resolvedClientSchema>;

/**
 * Clients whose names and keys are unique, among themselves and against the proxy keys (a key that is both would
 * be a client with limits and one without). Messages name the client, never its key.
 */
export function checkClients(
  entries: ReadonlyArray<{ index: number; entry: ClientEntry }>,
  proxyKeys: readonly string[],
  at: (path: readonly PropertyKey[]) => Omit<ConfigIssue, 'message'>,
  issues: ConfigIssue[],
): ClientConfig[] {
  const names = new Map<string, number>();
  const keys = new Map<string, string>();
  const plain = new Set(proxyKeys);
  const out: ClientConfig[] = [];
  for (const { index, entry } of entries) {
    const path = ['clients', index];
    let ok = true;
    const first = names.get(entry.name);
    if (first !== undefined) {
      issues.push({ ...at([...path, 'name']), message: `client name '${entry.name}' is already used by clients[${first}]` });
      ok = false;
    } else names.set(entry.name, index);
    // Names are shown in logs and metrics: a key pasted as a name would be shown with them.
    if (looksLikeKey(entry.name)) {
      issues.push({ ...at([...path, 'name']), message: 'looks like a key: a client name is shown in logs and metrics; put the secret in key:' });
      ok = false;
    }
    const other = keys.get(entry.key);
    if (other !== undefined) {
      issues.push({ ...at([...path, 'key']), message: `the same key as client '${other}': each client needs its own key` });
      ok = false;
    } else keys.set(entry.key, entry.name);
    if (plain.has(entry.key)) {
      issues.push({ ...at([...path, 'key']), message: 'this key is also in proxyKeys: remove it there (a client key already opens the proxy)' });
      ok = false;
    }
    if (ok) out.push({ ...entry });
  }
  return out;
}
