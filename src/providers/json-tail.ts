/**
 * Reading one top-level member of a JSON object from its text without parsing the whole text. A 2xx answer is
 * judged on its `usage` (OpenAI, Anthropic) or `usageMetadata` (Gemini), which providers write near the end;
 * parsing 32 KB of completion to read four numbers was the largest single cost of relaying a JSON answer.
 *
 * Why an occurrence of `"usage"` followed by `:` is a key, not text: inside a JSON string every `"` is escaped,
 * so an unescaped `"` opens or closes a string; a closing one cannot be followed by a letter, so this one opens
 * the string `usage`, and a string followed by `:` is a member name. The one way round it, a name ending in an
 * escaped quote (`"a\"usage":`), is refused (a backslash before the quote). The member is top-level when,
 * scanning on from its value, the next unmatched `}` is the last character of the text.
 *
 * What this does NOT do is validate the text before the member: a body that is well-formed at both ends but
 * broken in the middle would be read as one that parses. The caller only takes this path for a text that starts
 * with `{`, ends with `}` and names no `error` anywhere; anything else is parsed whole, as before.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;

/** JSON's white space; any other (Unicode) space counts as none. Undefined (past a buffer's end) is none either. */
export const isSpace = (c: number | undefined): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** No answer from the tail: the caller parses the whole text. */
export const NOT_FOUND: unique symbol = Symbol('not found');

/** Index after the string that starts at `i` (a quote), or -1 when it does not end. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === BACKSLASH) j++;
    else if (c === QUOTE) return j + 1;
  }
  return -1;
}

/**
 * From `i` (just after a member's value, inside an object), scans to the object's closing brace, strings
 * skipped; returns its index, or -1 when the text is unbalanced.
 */
function closingBrace(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === QUOTE) {
      j = skipString(s, j) - 1;
      if (j < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (depth === 0) return c === CLOSE_BRACE ? j : -1;
      depth--;
    }
  }
  return -1;
}

/** The end (exclusive) of the object starting at `i`, or -1. */
function objectEnd(s: string, i: number): number {
  if (s.charCodeAt(i) !== OPEN_BRACE) return -1;
  const close = closingBrace(s, i + 1);
  return close < 0 ? -1 : close + 1;
}

/**
 * The parsed value of the top-level member `name` of the JSON object `text`, when it is an object and
 * can be proven top-level from the tail; NOT_FOUND otherwise (absent, nested, escaped, malformed).
 */
export function tailMember(text: string, name: string): unknown {
  let end = text.length - 1;
  while (end > 0 && isSpace(text.charCodeAt(end))) end--;
  if (text.charCodeAt(end) !== CLOSE_BRACE) return NOT_FOUND;
  const quoted = `"${name}"`;
  const at = text.lastIndexOf(quoted);
  if (at <= 0 || text.charCodeAt(at - 1) === BACKSLASH) return NOT_FOUND;
  let i = at + quoted.length;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  if (text.charCodeAt(i) !== COLON) return NOT_FOUND;
  i++;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  const stop = objectEnd(text, i);
  if (stop < 0 || closingBrace(text, stop) !== end) return NOT_FOUND;
  try {
    return JSON.parse(text.slice(i, stop));
  } catch {
    return NOT_FOUND;
  }
}

/** The first character after leading spaces. */
function firstChar(text: string): number {
  let i = 0;
  while (i < text.length && isSpace(text.charCodeAt(i))) i++;
  return text.charCodeAt(i);
}

/** Whether the text (or its bytes) starts, after spaces, with `{`: a JSON object, or something that is not JSON at all. */
export function startsAsObject(text: string | Buffer): boolean {
  if (typeof text === 'string') return firstChar(text) === OPEN_BRACE;
  let i = 0;
  while (i < text.length && isSpace(text[i]!)) i++;
  return text[i] === OPEN_BRACE;
}

/**
 * How much of an answer's end is decoded to look for its usage member. Providers write usage in the last few
 * hundred bytes; what the tail lacks is looked for in the whole text. A tail that starts inside a character
 * starts with U+FFFD, which tailMember's reasoning survives: it never looks before the member's own quote.
 */
const TAIL_BYTES = 2048;

/**
 * tailMember on the bytes of a JSON object, decoding only their last few KB, and the whole text (`whole()`,
 * decoded once by the caller) only when the member is not in those.
 */
export function tailMemberOf(bytes: Buffer, name: string, whole: () => string): unknown {
  if (bytes.length <= TAIL_BYTES) return tailMember(whole(), name);
  const found = tailMember(bytes.toString('utf8', bytes.length - TAIL_BYTES), name);
  return found !== NOT_FOUND ? found : tailMember(whole(), name);
}

/** Parses JSON when it parses; the raw text otherwise (adapters accept both). */
export function parseMaybeJson(text: string): unknown {
  const c = firstChar(text);
  if (c !== OPEN_BRACE && c !== OPEN_BRACKET) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
