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

export function containsText(text: string, needle: string): boolean {
  const n = needle.length;
  if (n === 0) return true;
  if (n > text.length) return false;
  const p = anchor(needle);
  const c = needle.charAt(p);
  for (let i = text.indexOf(c, p); i >= 0 && i - p + n <= text.length; i = text.indexOf(c, i + 1)) {
    if (text.startsWith(needle, i - p)) return true;
  }
  return false;
}
