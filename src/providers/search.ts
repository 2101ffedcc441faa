/**
 * Finding a needle in a text or its bytes, fast whatever the needle. String.prototype.includes (and Buffer's)
 * scans for the needle's first character: a 10-char key in English prose took 17 µs in a 32 KB answer, more than
 * parsing it. One pass of indexOf for a single character runs at memchr speed, so a needle with a rare character
 * is found from that one; a needle of common characters (keymux's own words) by indexOf, whose native check of
 * each candidate beats one call per occurrence. The answer is exact either way: only the speed depends on the
 * guess of what is rare.
 */

/**
 * Characters from most to least common in what keymux searches (English text inside JSON); anything not listed
 * (most upper-case letters, rare punctuation) counts as rarer than all of them.
 */
const COMMON = ' etaoinsrhldcu":,mfpgwyb.\n0123456789vk-TAISONRHLDCEMUFPGWYB_xjqz';

/**
 * From this rank on (`-`, upper-case letters, `_`, rare lower-case ones, and characters not listed) a character is
 * rare enough that finding it one indexOf() at a time beats indexOf(needle). That scans for the needle's first
 * character at memchr speed and checks each occurrence natively: on 16 KB of prose in JSON `"usage` took 0.2 µs
 * against 3.9 µs anchored on its `g`, while a key anchored on an upper-case letter took 0.1 µs against 2.2 µs.
 * `-` is in no word keymux searches, and in every key that has no capital (OpenRouter's and DeepSeek's are
 * lower-case hex; bench:proxy's are `sk-bench-1`): searched by its head `sk-ben`, such a key took 9.6 µs in
 * sse-32k's 34 KB answer, anchored on its `-` 0.8 µs.
 */
const RARE_FROM = COMMON.indexOf('-');

/**
 * An anchor is a guess, and a text may be full of it (`-` in Markdown rules, capitals in base64). Past DENSE
 * candidates at more than one in SPARSE characters, the search goes on by the needle's head, which costs no more
 * than that many.
 */
const DENSE = 8;
const SPARSE = 128;

/**
 * The longest needle handed to indexOf whole. V8 (and Buffer, which copies its search) scans for a pattern of up
 * to 6 characters' first character at memchr speed, but searches a longer one by Boyer–Moore–Horspool, which in
 * prose sharing the needle's letters steps a few characters at a time: `"error"` (7) took 4.2 µs in an 8 KB event
 * where `"usage` (6) took 0.25 µs. A longer needle is found by its first 6, then checked whole.
 */
const HEAD = 6;

/** How a needle is searched: from `at`, its rarest character, or (at -1) by indexOf of its head. */
interface Plan {
  at: number;
  /** The needle's first HEAD characters, and their UTF-8 bytes (for Buffer's indexOf). */
  head: string;
  headBytes: Buffer;
  /** The whole needle's UTF-8 bytes. */
  bytes: Buffer;
  ascii: boolean;
}

/**
 * plan(), remembered: keymux searches for a handful of needles (`"error"`, each key) thousands of times a
 * second, and ranking a needle's characters cost more than searching a short event for it. Bounded, as the
 * needles are keymux's own words and its configured keys.
 */
const plans = new Map<string, Plan>();

function planOf(needle: string): Plan {
  let p = plans.get(needle);
  if (p === undefined) {
    if (plans.size >= 1024) plans.clear();
    const [at, rank] = anchor(needle);
    const ascii = isAscii(needle);
    const head = needle.slice(0, HEAD);
    p = { at: rank >= RARE_FROM && ascii ? at : -1, head, headBytes: Buffer.from(head, 'utf8'), bytes: Buffer.from(needle, 'utf8'), ascii };
    plans.set(needle, p);
  }
  return p;
}

/** The position in the needle of its rarest character (the last of equals: key tails are the random part), and its rank. */
function anchor(needle: string): [number, number] {
  let best = 0;
  let bestRank = -1;
  for (let i = 0; i < needle.length; i++) {
    const r = COMMON.indexOf(needle.charAt(i));
    const rank = r < 0 ? COMMON.length : r;
    if (rank >= bestRank) {
      best = i;
      bestRank = rank;
    }
  }
  return [best, bestRank];
}

/**
 * Whether a text, or the UTF-8 bytes of one, contains a needle. Searching the bytes spares decoding an answer
 * relayed as it came (a 32 KB string per answer, most of keymux's allocation on a large one).
 */
export function containsText(text: string | Buffer, needle: string): boolean {
  return indexOfText(text, needle) >= 0;
}

/**
 * Where a needle first occurs in a text, or in the UTF-8 bytes of one (a byte offset then), at or after `from`;
 * -1 if nowhere. A needle of ASCII characters matches the bytes exactly as it matches the text: in UTF-8 an
 * ASCII byte is never part of another character.
 */
export function indexOfText(text: string | Buffer, needle: string, from = 0): number {
  const n = needle.length;
  if (n === 0) return Math.min(from, text.length);
  if (n > text.length - from) return -1;
  const plan = planOf(needle);
  if (typeof text !== 'string') return plan.at >= 0 ? indexOfAscii(text, needle, plan, from) : headOfBytes(text, needle, plan, from);
  if (plan.at < 0) return headOfText(text, needle, plan, from);
  const p = plan.at;
  const c = needle.charAt(p);
  let seen = 0;
  for (let i = text.indexOf(c, from + p); i >= 0 && i - p + n <= text.length; i = text.indexOf(c, i + 1)) {
    if (text.startsWith(needle, i - p)) return i - p;
    if (++seen > DENSE && seen * SPARSE > i - from) return headOfText(text, needle, plan, i - p + 1);
  }
  return -1;
}

/** The needle by indexOf of its head in a text: whole when it is no longer than the head. */
function headOfText(text: string, needle: string, plan: Plan, from: number): number {
  if (needle.length <= HEAD) return text.indexOf(needle, from);
  for (let i = text.indexOf(plan.head, from); i >= 0 && i + needle.length <= text.length; i = text.indexOf(plan.head, i + 1)) {
    if (text.startsWith(needle, i)) return i;
  }
  return -1;
}

/** The needle by indexOf of its head in bytes (whole when no longer than the head, or not ASCII). */
function headOfBytes(bytes: Buffer, needle: string, plan: Plan, from: number): number {
  const n = needle.length;
  if (n <= HEAD || !plan.ascii) return bytes.indexOf(plan.bytes, from);
  for (let i = bytes.indexOf(plan.headBytes, from); i >= 0 && i + n <= bytes.length; i = bytes.indexOf(plan.headBytes, i + 1)) {
    if (asciiAt(bytes, i, needle)) return i;
  }
  return -1;
}

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** indexOfText on bytes from the needle's rarest character (plan.at): indexOf of one byte is memchr. */
function indexOfAscii(bytes: Buffer, needle: string, plan: Plan, from: number): number {
  const n = needle.length;
  const p = plan.at;
  const c = needle.charCodeAt(p);
  let seen = 0;
  for (let i = bytes.indexOf(c, from + p); i >= 0 && i - p + n <= bytes.length; i = bytes.indexOf(c, i + 1)) {
    if (asciiAt(bytes, i - p, needle)) return i - p;
    if (++seen > DENSE && seen * SPARSE > i - from) return headOfBytes(bytes, needle, plan, i - p + 1);
  }
  return -1;
}

/** Whether the bytes at `at` are an ASCII needle's. */
export function asciiAt(bytes: Buffer, at: number, needle: string): boolean {
  for (let j = 0; j < needle.length; j++) if (bytes[at + j] !== needle.charCodeAt(j)) return false;
  return true;
}

/** The earlier of two positions, -1 meaning none: where the first of two searches found something. */
export const earlierOf = (a: number, b: number): number => (a < 0 ? b : b < 0 || a < b ? a : b);
