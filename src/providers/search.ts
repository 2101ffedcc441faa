/**
 * Whether a text contains a needle, found from the needle's rarest character. String.prototype.includes (and
 * Buffer's) searches a 32 KB answer in 1–20 µs depending on how often the needle's letters occur in it: a 10-char
 * key in English prose took 17 µs, more than parsing the whole answer. One pass of indexOf for a single character
 * runs at memchr speed; checking the needle only where its rarest character occurs keeps the search near that,
 * whatever the needle. The answer is exact either way: only the speed depends on the guess of what is rare.
 */

/**
 * Characters from most to least common in what keymux searches (English text inside JSON); anything not listed
 * (most upper-case letters, rare punctuation) counts as rarer than all of them.
 */
const COMMON = ' etaoinsrhldcu":,mfpgwyb.\n0123456789vk-TAISONRHLDCEMUFPGWYB_xjqz';

/**
 * anchor(), remembered: keymux searches for a handful of needles (`"error"`, each key) thousands of times a
 * second, and ranking a needle's characters cost more than searching a short event for it. Bounded, as the
 * needles are keymux's own words and its configured keys.
 */
const anchors = new Map<string, number>();

function anchorOf(needle: string): number {
  let p = anchors.get(needle);
  if (p === undefined) {
    if (anchors.size >= 1024) anchors.clear();
    anchors.set(needle, (p = anchor(needle)));
  }
  return p;
}

/** The position in the needle of its rarest character (the last of equals: key tails are the random part). */
function anchor(needle: string): number {
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
  return best;
}

/**
 * Whether a text, or the UTF-8 bytes of one, contains a needle. Searching the bytes spares decoding an answer
 * relayed as it came (a 32 KB string per answer, most of keymux's allocation on a large one). A needle of ASCII
 * characters matches the bytes exactly as it matches the text: in UTF-8 an ASCII byte is never part of another
 * character. Any other needle is searched by Buffer's includes(), which encodes it first.
 */
export function containsText(text: string | Buffer, needle: string): boolean {
  const n = needle.length;
  if (n === 0) return true;
  if (n > text.length) return false;
  if (typeof text !== 'string') return isAscii(needle) ? containsAscii(text, needle) : text.includes(needle);
  const p = anchorOf(needle);
  const c = needle.charAt(p);
  for (let i = text.indexOf(c, p); i >= 0 && i - p + n <= text.length; i = text.indexOf(c, i + 1)) {
    if (text.startsWith(needle, i - p)) return true;
  }
  return false;
}

const isAscii = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
};

/** containsText on bytes: indexOf of one byte is memchr. */
function containsAscii(bytes: Buffer, needle: string): boolean {
  const n = needle.length;
  const p = anchorOf(needle);
  const c = needle.charCodeAt(p);
  outer: for (let i = bytes.indexOf(c, p); i >= 0 && i - p + n <= bytes.length; i = bytes.indexOf(c, i + 1)) {
    const at = i - p;
    for (let j = 0; j < n; j++) if (bytes[at + j] !== needle.charCodeAt(j)) continue outer;
    return true;
  }
  return false;
}
