// readFamilies reads a response's rate-limit headers in one pass over its names. Held here to the plain reading
// it replaced: each family's three headers looked up by name (getHeader), whatever the names' casing, repeats
// and blanks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getHeader, getHeaderNumber, clampDelay, parseResetValue } from '../../src/providers/headers.js';
import { ANTHROPIC_FAMILIES, GROQ_FAMILIES, MISTRAL_FAMILIES, OPENAI_FAMILIES, readFamilies, tighter, type HeaderFamily } from '../../src/providers/limits.js';
import type { BudgetReading, LearnedLimits } from '../../src/pool/outcome.js';
import type { Headers } from '../../src/providers/types.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

function byLookup(headers: Headers, table: readonly HeaderFamily[], now: number): LearnedLimits | undefined {
  const out: LearnedLimits = {};
  for (const f of table) {
    const limit = getHeaderNumber(headers, f.limit);
    const remaining = getHeaderNumber(headers, f.remaining);
    const raw = f.reset === undefined ? undefined : getHeader(headers, f.reset);
    const resetMs = clampDelay(raw === undefined ? undefined : parseResetValue(raw, now));
    if (limit === undefined && remaining === undefined && resetMs === undefined) continue;
    const r: BudgetReading = {};
    if (limit !== undefined) r.limit = limit;
    if (remaining !== undefined) r.remaining = Math.max(0, remaining);
    if (resetMs !== undefined) r.resetMs = resetMs;
    out[f.slot] = tighter(out[f.slot], r);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const TABLES = { OPENAI_FAMILIES, GROQ_FAMILIES, MISTRAL_FAMILIES, ANTHROPIC_FAMILIES };

describe('readFamilies', () => {
  it('reads OpenAI’s six headers', () => {
    const h = {
      'x-ratelimit-limit-requests': '500', 'x-ratelimit-remaining-requests': '499', 'x-ratelimit-reset-requests': '120ms',
      'x-ratelimit-limit-tokens': '30000', 'x-ratelimit-remaining-tokens': '29000', 'x-ratelimit-reset-tokens': '2s',
      'content-type': 'application/json',
    };
    expect(readFamilies(h, OPENAI_FAMILIES, NOW)).toEqual({ requests: { limit: 500, remaining: 499, resetMs: 120 }, tokens: { limit: 30_000, remaining: 29_000, resetMs: 2000 } });
    expect(readFamilies({ 'content-type': 'application/json' }, OPENAI_FAMILIES, NOW)).toBeUndefined();
  });

  it.each(Object.entries(TABLES))('%s: any headers read as looking each name up does', (_, table) => {
    const names = [...new Set(table.flatMap((f) => [f.limit, f.remaining, ...(f.reset ? [f.reset] : [])]))];
    const name = fc.oneof(fc.constantFrom(...names), fc.constantFrom(...names).map((n) => n.toUpperCase()), fc.constantFrom(...names).map((n) => n[0]!.toUpperCase() + n.slice(1)), fc.constantFrom('date', 'x-request-id', 'retry-after'));
    const one = fc.oneof(fc.constantFrom('0', '7', '  12 ', '', ' ', '-3', '1e3', 'abc', '6m0s', '120ms', '2026-11-25T12:00:03Z', '1795967842'), fc.integer({ min: 0, max: 1_000_000 }).map(String));
    const value = fc.oneof(one, fc.array(one, { maxLength: 3 }), fc.constant(undefined));
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 12 }), (headers) => {
        expect(readFamilies(headers as Headers, table, NOW)).toEqual(byLookup(headers as Headers, table, NOW));
      }),
      { numRuns: 2000 },
    );
  });
});
