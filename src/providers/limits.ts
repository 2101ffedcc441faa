import type { BudgetReading, LearnedLimits } from '../pool/outcome.js';
import { clampDelay, headerValue, parseResetValue } from './headers.js';
import { num } from './util.js';
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

type Field = 'limit' | 'remaining' | 'reset';
const BIT: Readonly<Record<Field, number>> = { limit: 1, remaining: 2, reset: 4 };
/**
 * A family's header values as found, raw (read by headerValue), and the fields a lower-case name has settled:
 * getHeader() takes the lower-case name's value when it has one, else the last name of another casing.
 */
interface Found {
  raw: Partial<Record<Field, string | string[] | undefined>>;
  /** Fields settled (BIT). */
  settled: number;
}

/** One reading from a family's header values, or undefined when none of them is present. */
function readingOf(f: Found, now: number): BudgetReading | undefined {
  const limit = num(headerValue(f.raw.limit));
  const remaining = num(headerValue(f.raw.remaining));
  const resetText = headerValue(f.raw.reset);
  const resetMs = clampDelay(resetText === undefined ? undefined : parseResetValue(resetText, now));
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

/** Where each header name of a table goes: the families (by their index) and the field of each it fills. */
type Index = ReadonlyMap<string, ReadonlyArray<readonly [family: number, field: Field]>>;
const INDEX = new WeakMap<readonly HeaderFamily[], Index>();

function indexOf(table: readonly HeaderFamily[]): Index {
  let index = INDEX.get(table);
  if (index === undefined) {
    const m = new Map<string, Array<readonly [number, Field]>>();
    const add = (name: string, family: number, field: Field) => m.set(name, [...(m.get(name) ?? []), [family, field] as const]);
    table.forEach((f, i) => {
      add(f.limit, i, 'limit');
      add(f.remaining, i, 'remaining');
      if (f.reset !== undefined) add(f.reset, i, 'reset');
    });
    INDEX.set(table, (index = m));
  }
  return index;
}

/**
 * Reads every family of a table; families filling the same slot keep the tighter reading. One pass over the
 * dozen names a response has, not a lookup per name of the table (21 for OpenAI's, most of them missing),
 * reading each as getHeader() would: a name matches whatever its casing (node:http and undici give them all
 * lower-case).
 */
export function readFamilies(headers: Headers, table: readonly HeaderFamily[], now: number): LearnedLimits | undefined {
  const index = indexOf(table);
  let found: Found[] | undefined;
  for (const k in headers) {
    let slots = index.get(k);
    const exact = slots !== undefined;
    if (slots === undefined) {
      const lower = k.toLowerCase();
      if (lower === k || (slots = index.get(lower)) === undefined) continue;
    }
    const v = headers[k];
    found ??= table.map((): Found => ({ raw: {}, settled: 0 }));
    for (const [i, field] of slots) {
      const f = found[i]!;
      if ((f.settled & BIT[field]) !== 0) continue;
      f.raw[field] = v;
      if (exact && v !== undefined) f.settled |= BIT[field];
    }
  }
  if (found === undefined) return undefined;
  const out: LearnedLimits = {};
  for (let i = 0; i < table.length; i++) {
    const r = readingOf(found[i]!, now);
    if (r) out[table[i]!.slot] = tighter(out[table[i]!.slot], r);
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
