import { isSpace } from './json-tail.js';
import { containsText, indexOfText } from './search.js';

/**
 * OpenAI's include_usage chunk (`choices: []` and the usage), told apart from every other event: parsed, or by its
 * bytes without decoding them. keymux asks every OpenAI stream for it and hides it from a client that did not.
 */

/** OpenAI's include_usage chunk, parsed: no choices, only usage. */
export function isUsageOnlyChunk(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const { choices, usage } = v as { choices?: unknown; usage?: unknown };
  return Array.isArray(choices) && choices.length === 0 && usage != null;
}

/**
 * Whether the bytes of one whole OpenAI event are the usage-only chunk of include_usage (isUsageOnlyChunk's
 * shape) without decoding them: a `choices` member that is an empty array, a `usage` member that is not null, and
 * no `"error"`. A relay that drops the chunk for a client that did not ask for it reads it later, after the
 * stream's end has gone out (bench/RESULTS.md, #12: decoding and parsing it on the way cost 14–21 µs per stream
 * at idle).
 */
export function isUsageOnlyEvent(b: Buffer): boolean {
  return hasMember(b, '"choices"', emptyArrayAt) && hasMember(b, '"usage"', (v) => !nullAt(b, v)) && !containsText(b, '"error"');
  function emptyArrayAt(v: number): boolean {
    if (b[v++] !== 0x5b) return false; // '['
    while (isSpace(b[v])) v++;
    return b[v] === 0x5d; // ']'
  }
}

/**
 * Whether the bytes of a JSON text hold a member `name` (quoted) whose value, at the offset given, `accept`s.
 * A quote with a backslash before it is text (an escaped quote): a member's name starts after `{`, `,` or white
 * space, and a string's own quotes are escaped, so `"name"` followed by `:` is a member, never text.
 */
function hasMember(b: Buffer, name: string, accept: (value: number) => boolean): boolean {
  for (let i = indexOfText(b, name); i >= 0; i = indexOfText(b, name, i + 1)) {
    if (b[i - 1] === 0x5c) continue; // '\'
    let at = i + name.length;
    while (isSpace(b[at])) at++;
    if (b[at++] !== 0x3a) continue; // ':'
    while (isSpace(b[at])) at++;
    if (accept(at)) return true;
  }
  return false;
}

/** Whether the bytes at `at` are the literal null (no word character after it). */
export function nullAt(b: Buffer, at: number): boolean {
  if (b[at] !== 0x6e || b[at + 1] !== 0x75 || b[at + 2] !== 0x6c || b[at + 3] !== 0x6c) return false;
  const next = b[at + 4];
  return next === undefined || !isWordByte(next);
}

const isWordByte = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
