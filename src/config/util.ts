/** One step of a path into the config: a field name or a list index. */
export type Seg = string | number;

/** `providers.openai.keys[0]`; names that would read ambiguously are quoted: `aliases["gpt-3.5"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const name = String(seg);
      out += /^[A-Za-z0-9_$/-]+$/.test(name) ? (out ? `.${name}` : name) : `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}

const isQuote = (c: string | undefined) => c === '"' || c === "'";

/** `"a"` or `'a'` → `a` (trimmed inside too); anything else as it is. */
function unquote(s: string): string {
  const t = s.trim();
  return t.length >= 2 && isQuote(t[0]) && t.endsWith(t[0] ?? '') ? t.slice(1, -1).trim() : t;
}

/**
 * The items of a list written as text: `a, b,"c"` → `[a, b, c]`. Commas or newlines separate; items are trimmed,
 * surrounding quotes stripped, empty items dropped, duplicates merged (first wins). An array written as JSON, or
 * as Python prints one (`['a', 'b']`), works too: both are common pastes into one variable.
 */
export function splitList(value: string): string[] {
  let text = value.trim();
  // `"a,b"` quoted as a whole (a real env var keeps the quotes a shell or .env would have eaten); but `"a","b"`,
  // which also starts and ends with a quote, is items quoted one by one.
  const q = text[0];
  if (text.length >= 2 && isQuote(q) && text.endsWith(q ?? '') && !text.slice(1, -1).includes(q ?? '')) text = text.slice(1, -1).trim();
  if (text.startsWith('[') && text.endsWith(']')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (Array.isArray(parsed) && parsed.every((x) => typeof x === 'string')) return dedupe(parsed.map((x: string) => x.trim()).filter(Boolean));
    } catch {
      // not JSON (`['a', 'b']`, `[a, b]`): its items are a plain list
    }
    text = text.slice(1, -1);
  }
  return dedupe(
    text
      .split(/[,\n]/)
      .map(unquote)
      .filter((s) => s !== ''),
  );
}

export function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Edit distance where swapping two neighbours counts as one edit (`kyes` → `keys`). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate a typo most likely meant, if one is close. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const name of candidates) {
    const d = distance(w, name.toLowerCase());
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (!best || d < best.d)) best = { name, d };
  }
  return best?.name;
}
