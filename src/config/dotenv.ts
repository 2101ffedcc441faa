import { statSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { formatIssue, type ConfigIssue } from './errors.js';
import { TooLargeError, readBoundedText } from './file.js';

export interface Dotenv {
  path: string;
  values: Record<string, string | undefined>;
  lineOf(name: string): { line?: number };
}

const QUOTES = new Set(['"', "'", '`']);
const ASSIGNMENT = /^\s*(?:export\s+)?([\w.-]+)\s*=\s*(.*)$/;

/**
 * `.env`, parsed by Node's own parser (quotes, comments, `export`, multi-line quoted values), with two repairs:
 * - a line that is no assignment (a key pasted alone, `NAME value` without `=`) is a warning and skipped; Node's
 *   parser would read it as the start of the next line's name, losing that variable too;
 * - a list quoted item by item (`KEYS="sk-a","sk-b"`), which Node's parser cuts after the first item, is kept
 *   whole (comment dropped) for the comma-list reader.
 * Absent is fine; over MAX_CONFIG_BYTES is an error.
 */
export function readDotenv(path: string, shown: (p: string) => string, issues: ConfigIssue[], warnings: string[]): Dotenv | undefined {
  let text: string;
  try {
    if (!statSync(path).isFile()) return undefined;
    // Windows editors save UTF-8 with a byte-order mark; parseEnv would make it part of the first name.
    text = readBoundedText(path).replace(/^\uFEFF/, '');
  } catch (err) {
    if (err instanceof TooLargeError) issues.push({ file: shown(path), path: '', message: err.message });
    else if ((err as NodeJS.ErrnoException).code !== 'ENOENT') issues.push({ file: shown(path), path: '', message: `cannot read: ${(err as Error).message}` });
    return undefined;
  }

  const lines = text.split(/\r?\n/);
  const lastLine = new Map<string, number>();
  const lists = new Map<string, string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = ASSIGNMENT.exec(line);
    if (!m) {
      // The line's text is not repeated: it may be a key.
      warnings.push(formatIssue({ file: shown(path), line: i + 1, path: '', message: 'not NAME=value: ignored' }));
      lines[i] = '';
      continue;
    }
    const name = m[1] ?? '';
    const value = m[2] ?? '';
    lastLine.set(name, i + 1);
    lists.delete(name);
    const q = value[0] ?? '';
    if (!QUOTES.has(q)) continue;
    const close = value.indexOf(q, 1);
    if (close < 0) {
      // A quoted value spanning lines: its other lines are not assignments.
      const end = lines.findIndex((l, j) => j > i && l.includes(q));
      if (end > i) i = end;
      continue;
    }
    if (value.slice(close + 1).trimStart().startsWith(',')) lists.set(name, withoutComment(value));
  }

  const values = parseEnv(lines.join('\n'));
  for (const [name, list] of lists) values[name] = list;
  return {
    path,
    values,
    lineOf(name) {
      const line = lastLine.get(name); // the last assignment wins, as in parseEnv
      return line === undefined ? {} : { line };
    },
  };
}

/** The value up to a ` #` comment outside quotes. */
function withoutComment(value: string): string {
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] ?? '';
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (QUOTES.has(c)) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(value[i - 1] ?? ''))) return value.slice(0, i).trim();
  }
  return value.trim();
}
