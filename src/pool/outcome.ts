/**
 * The closed vocabulary a provider adapter speaks to the pool. Every upstream response, or transport
 * failure, becomes exactly one Outcome; the pool reacts to the kind, never to provider specifics.
 */

/** Token usage of one request, as the provider reported it. */
export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  /** Reasoning/thinking tokens when reported separately (already included in outputTokens where the provider says so). */
  reasoningTokens?: number;
  cachedTokens?: number;
  totalTokens?: number;
}

/** One budget dimension as a provider reported it on a response. */
export interface BudgetReading {
  limit?: number;
  remaining?: number;
  /** Milliseconds from the response until the budget is fully replenished (OpenAI) or the window resets (Anthropic). */
  resetMs?: number;
}

/**
 * Limits learned from a response's headers (or a 429 body that carries them, like OpenRouter's).
 * `requests`/`tokens` are the per-minute family; `requestsPerDay`/`tokensPerDay` the daily one (Groq's request limit).
 */
export interface LearnedLimits {
  requests?: BudgetReading;
  tokens?: BudgetReading;
  requestsPerDay?: BudgetReading;
  tokensPerDay?: BudgetReading;
}

/**
 * Where a limit applies. `group`: the whole quota group (the account) is out, whatever the model.
 * `model`: only (group, model) is out — Gemini's per-model quotas, OpenAI's per-model TPM.
 */
export type LimitScope = 'group' | 'model';

interface Common {
  /** Short human-readable reason, never containing a secret (e.g. "tokens per min", "API_KEY_INVALID"). */
  reason?: string;
  /** Quota group (account/organization/project) the provider named in the response, when it did. */
  group?: string;
  /** Upstream status, when there was a response. */
  status?: number;
}

export type Outcome =
  | (Common & { kind: 'ok'; usage?: Usage; limits?: LearnedLimits })
  /**
   * statedRpm: the per-minute request limit the refusal itself stated (Gemini's quotaValue), where no header
   * tells the limits: a ceiling for the pace learned (pace.ts).
   */
  | (Common & { kind: 'rate_limited'; retryAfterMs?: number; scope: LimitScope; limits?: LearnedLimits; statedRpm?: number })
  | (Common & { kind: 'quota_exhausted'; retryAfterMs?: number; scope: LimitScope })
  | (Common & { kind: 'auth_failed' })
  /**
   * A refusal that may be the key's or the request's (a 403 that names neither: a firewall, an unexplained
   * "forbidden"). One is no proof of a dead key: the pool backs the key off briefly and disables it only on a
   * repeat with no success between (react.ts).
   */
  | (Common & { kind: 'auth_suspect' })
  | (Common & { kind: 'overloaded'; retryAfterMs?: number })
  | (Common & { kind: 'server_error'; retryAfterMs?: number })
  | (Common & { kind: 'network' })
  | (Common & { kind: 'client_error' })
  | (Common & { kind: 'cancelled' });

export type OutcomeKind = Outcome['kind'];

export const OUTCOME_KINDS: readonly OutcomeKind[] = [
  'ok',
  'rate_limited',
  'quota_exhausted',
  'auth_failed',
  'auth_suspect',
  'overloaded',
  'server_error',
  'network',
  'client_error',
  'cancelled',
];

/** Outcomes after which the same request may be tried again on another key. */
export function isRetryable(o: Outcome): boolean {
  return (
    o.kind === 'rate_limited' ||
    o.kind === 'quota_exhausted' ||
    o.kind === 'auth_failed' ||
    o.kind === 'auth_suspect' ||
    o.kind === 'overloaded' ||
    o.kind === 'server_error' ||
    o.kind === 'network'
  );
}
