import type { BudgetReading, LearnedLimits } from '../pool/outcome.js';
import { clampDelay, getHeader, getHeaderNumber, parseResetValue } from './headers.js';
import type { Headers } from './types.js';

/** One budget's three headers and the LearnedLimits slot it fills. */
export interface HeaderFamily {
  slot: keyof LearnedLimits;
  limit: string;
  remaining: string;
  reset?: string;
}

const fam = (slot: keyof LearnedLimits, limit: string, remaining: string, reset?: string): HeaderFamily =>
  reset === undefined ? { slot, limit, remaining } : { slot, limit, remaining, reset };

/**
 * OpenAI (and Azure, Together, xAI, Fireworks…): per-minute requests and tokens, resets as Go durations.
 * The `-minute`/`-day` suffixed names are Cerebras's variant of the same idea.
 */
export const OPENAI_FAMILIES: readonly HeaderFamily[] = [
  fam('requests', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'),
  fam('tokens', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'),
  // A project token limit, when one applies, can be tighter than the organization's.
  fam('tokens', 'x-ratelimit-limit-project-tokens', 'x-ratelimit-remaining-project-tokens', 'x-ratelimit-reset-project-tokens'),
  fam('requests', 'x-ratelimit-limit-requests-minute', 'x-ratelimit-remaining-requests-minute', 'x-ratelimit-reset-requests-minute'),
  fam('tokens', 'x-ratelimit-limit-tokens-minute', 'x-ratelimit-remaining-tokens-minute', 'x-ratelimit-reset-tokens-minute'),
  fam('requestsPerDay', 'x-ratelimit-limit-requests-day', 'x-ratelimit-remaining-requests-day', 'x-ratelimit-reset-requests-day'),
  fam('tokensPerDay', 'x-ratelimit-limit-tokens-day', 'x-ratelimit-remaining-tokens-day', 'x-ratelimit-reset-tokens-day'),
];

/** Groq sends OpenAI's names, but its request limit is per day (its token limit per minute). */
export const GROQ_FAMILIES: readonly HeaderFamily[] = [
  fam('requestsPerDay', 'x-ratelimit-limit-requests', 'x-ratelimit-remaining-requests', 'x-ratelimit-reset-requests'),
  fam('tokens', 'x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-tokens'),
];

/**
 * Mistral: token budgets by size (`x-ratelimitbysize-*-minute`, reset in seconds). Newer responses carry
 * `x-ratelimit-{limit,remaining}-{tokens,req}-minute` instead (mistralai/client-ts#169); both are read.
 * The monthly budget has no slot in LearnedLimits and the per-second request limit is not exposed.
 */
export const MISTRAL_FAMILIES: readonly HeaderFamily[] = [
  fam('tokens', 'x-ratelimitbysize-limit-minute', 'x-ratelimitbysize-remaining-minute', 'ratelimitbysize-reset'),
  fam('tokens', 'x-ratelimitbysize-limit-minute', 'x-ratelimitbysize-remaining-minute', 'x-ratelimitbysize-reset'),
  fam('tokens', 'x-ratelimit-limit-tokens-minute', 'x-ratelimit-remaining-tokens-minute'),
  fam('requests', 'x-ratelimit-limit-req-minute', 'x-ratelimit-remaining-req-minute'),
];

/** Anthropic: `tokens` is the tightest token limit in force; input/output are the fallback. */
export const ANTHROPIC_FAMILIES: readonly HeaderFamily[] = [
  fam('requests', 'anthropic-ratelimit-requests-limit', 'anthropic-ratelimit-requests-remaining', 'anthropic-ratelimit-requests-reset'),
  fam('tokens', 'anthropic-ratelimit-tokens-limit', 'anthropic-ratelimit-tokens-remaining', 'anthropic-ratelimit-tokens-reset'),
];
const ANTHROPIC_SPLIT: readonly HeaderFamily[] = [
  fam('tokens', 'anthropic-ratelimit-input-tokens-limit', 'anthropic-ratelimit-input-tokens-remaining', 'anthropic-ratelimit-input-tokens-reset'),
  fam('tokens', 'anthropic-ratelimit-output-tokens-limit', 'anthropic-ratelimit-output-tokens-remaining', 'anthropic-ratelimit-output-tokens-reset'),
];

/** One reading from a family's headers, or undefined when none of them is present. */
export function readFamily(headers: Headers, f: HeaderFamily, now: number): BudgetReading | undefined {
  const limit = getHeaderNumber(headers, f.limit);
  const remaining = getHeaderNumber(headers, f.remaining);
  const rawReset = f.reset === undefined ? undefined : getHeader(headers, f.reset);
  const resetMs = clampDelay(rawReset === undefined ? undefined : parseResetValue(rawReset, now));
  if (limit === undefined && remaining === undefined && resetMs === undefined) return undefined;
  const r: BudgetReading = {};
  if (limit !== undefined) r.limit = limit;
  if (remaining !== undefined) r.remaining = Math.max(0, remaining);
  if (resetMs !== undefined) r.resetMs = resetMs;
  return r;
}

/** The reading that leaves less room: lower remaining wins; unknown remaining loses to a known one. */
export function tighter(a: BudgetReading | undefined, b: BudgetReading | undefined): BudgetReading | undefined {
  if (!a) return b;
  if (!b) return a;
  if (a.remaining === undefined) return b.remaining === undefined ? a : b;
  if (b.remaining === undefined) return a;
  return b.remaining < a.remaining ? b : a;
}

/** Every header name of a table, made once per table. */
const NAMES = new WeakMap<readonly HeaderFamily[], ReadonlySet<string>>();

function namesOf(table: readonly HeaderFamily[]): ReadonlySet<string> {
  let names = NAMES.get(table);
  if (names === undefined) {
    names = new Set(table.flatMap((f) => (f.reset === undefined ? [f.limit, f.remaining] : [f.limit, f.remaining, f.reset])));
    NAMES.set(table, names);
  }
  return names;
}

/**
 * Whether the headers carry any name of the table. Many answers carry none (providers without rate-limit headers,
 * most non-2xx answers from something in front): one pass over the dozen names a response has is cheaper than the
 * table's 21 lookups that all miss, which were a third of classifying a 2xx.
 */
function anyOf(headers: Headers, names: ReadonlySet<string>): boolean {
  for (const k in headers) if (names.has(k) || names.has(k.toLowerCase())) return true;
  return false;
}

/** Reads every family of a table; families filling the same slot keep the tighter reading. */
export function readFamilies(headers: Headers, table: readonly HeaderFamily[], now: number): LearnedLimits | undefined {
  if (!anyOf(headers, namesOf(table))) return undefined;
  const out: LearnedLimits = {};
  for (const f of table) {
    const r = readFamily(headers, f, now);
    if (r) out[f.slot] = tighter(out[f.slot], r);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function parseAnthropicLimits(headers: Headers, now: number): LearnedLimits | undefined {
  const out = readFamilies(headers, ANTHROPIC_FAMILIES, now) ?? {};
  if (!out.tokens) {
    const split = readFamilies(headers, ANTHROPIC_SPLIT, now);
    if (split?.tokens) out.tokens = split.tokens;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
