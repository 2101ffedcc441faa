// containsText and indexOfText find a needle from its rarest character or by its head (search.ts): they must
// answer exactly as includes() and indexOf() do, for needles whose anchor is common, rare, repeated, at either
// end, longer than the head, for texts full of near misses, and from any offset.
import { describe, expect, it } from 'vitest';
import { containsText, indexOfText } from '../../src/providers/search.js';

/** A small deterministic generator (no Math.random: a failure must replay). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('containsText', () => {
  it('answers as includes() for needles at the start, the end, the middle, absent, and longer than the text', () => {
    const text = '{"id":"x","content":"the key sk-bench-1 was echoed","usage":{}}';
    for (const needle of ['{"id"', '{}}', 'sk-bench-1', 'sk-bench-2', '"error"', 'x', '', 'Q', text, `${text}!`, 'echoed"']) {
      expect(containsText(text, needle), needle).toBe(text.includes(needle));
    }
    expect(containsText('', '')).toBe(true);
    expect(containsText('', 'a')).toBe(false);
  });

  it('finds a needle whose rare character repeats, and one that overlaps a near miss', () => {
    expect(containsText('sk-AAAB sk-AAAA', 'sk-AAAA')).toBe(true);
    expect(containsText('sk-AAAB sk-AABA', 'sk-AAAA')).toBe(false);
    expect(containsText('QQQQQQQQQQ', 'QQQ')).toBe(true);
    expect(containsText('aQbQcQ', 'QcQ')).toBe(true);
    expect(containsText('\n\n"error" :', '"error"')).toBe(true);
  });

  it('agrees with includes() on 20,000 random texts and needles over a small alphabet', () => {
    const next = rng(12);
    const alphabet = 'ab-"Q 1e';
    const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
    for (let i = 0; i < 20_000; i++) {
      const text = pick(Math.floor(next() * 40));
      const needle = next() < 0.3 && text.length > 0 ? text.slice(Math.floor(next() * text.length), Math.floor(next() * text.length) + 4) : pick(1 + Math.floor(next() * 5));
      expect(containsText(text, needle), JSON.stringify([text, needle])).toBe(text.includes(needle));
      // In the text's UTF-8 bytes (an answer relayed undecoded), the same answer.
      expect(containsText(Buffer.from(text), needle), `bytes ${JSON.stringify([text, needle])}`).toBe(text.includes(needle));
    }
  });

  it('searches the bytes of a text with multi-byte characters, for ASCII and non-ASCII needles alike', () => {
    const text = '{"content":"naïve café – 😀 sk-live-é1 sk-bench-1"}';
    const bytes = Buffer.from(text);
    for (const needle of ['sk-bench-1', 'sk-live-é1', 'café', '😀 sk', '"error"', 'é', 'e1', 'naive', `${text}!`]) {
      expect(containsText(bytes, needle), needle).toBe(text.includes(needle));
    }
  });
});

describe('indexOfText', () => {
  it('gives indexOf()\'s position from any offset, in text and in bytes, on both paths (rare anchor, common head)', () => {
    const next = rng(7);
    // Upper-case letters, _ and - are rare (anchored search); the rest common (searched by the needle's head). In
    // the third alphabet the anchor is everywhere: past a few candidates the search goes on by the head.
    const alphabets = ['ab "e:', 'aQb Q_e"', 'a-b--e-k'];
    for (let i = 0; i < 30_000; i++) {
      const alphabet = alphabets[i % 3]!;
      const pick = (n: number) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
      const text = pick(Math.floor(next() * 60));
      // Needles up to 10 long: past the 6 of the head, the rest is checked after the head is found.
      const needle = next() < 0.5 && text.length > 0 ? text.slice(Math.floor(next() * text.length)).slice(0, 1 + Math.floor(next() * 10)) : pick(1 + Math.floor(next() * 10));
      const from = Math.floor(next() * (text.length + 2));
      const want = text.indexOf(needle, from);
      const at = JSON.stringify([text, needle, from]);
      expect(indexOfText(text, needle, from), at).toBe(want);
      expect(indexOfText(Buffer.from(text), needle, from), `bytes ${at}`).toBe(want);
    }
  });

  it('finds a key anchored on its - past a text full of them (a Markdown table), from any offset', () => {
    const key = 'sk-or-v1-0a1b2c3d4e5f';
    const rule = '|---|---|---|\n| sk-or-v1-0a1b2c3d4e5e | - | -- |\n';
    const text = `${rule.repeat(40)}${key} ${rule.repeat(3)}${key}`;
    for (const t of [text, Buffer.from(text)]) {
      expect(indexOfText(t, key)).toBe(text.indexOf(key));
      expect(indexOfText(t, key, text.indexOf(key) + 1)).toBe(text.lastIndexOf(key));
      expect(indexOfText(t, key, text.lastIndexOf(key) + 1)).toBe(-1);
    }
  });

  it('counts in bytes in a Buffer: after multi-byte characters its offsets are byte offsets', () => {
    const text = 'é😀 "error" — "usage": null, "error"!';
    const bytes = Buffer.from(text);
    for (const needle of ['"error"', '"usage"', 'null', '"error"!']) {
      expect(indexOfText(bytes, needle), needle).toBe(bytes.indexOf(needle));
      expect(indexOfText(bytes, needle, bytes.indexOf(needle) + 1), `${needle} again`).toBe(bytes.indexOf(needle, bytes.indexOf(needle) + 1));
    }
  });
});
