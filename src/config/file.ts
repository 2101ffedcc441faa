import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { ConfigIssue } from './errors.js';
import type { Env } from './env.js';
import { formatPath, isPlainObject, splitList, type Seg } from './util.js';

/** A parsed, substituted config file, and the way back from a path in its value to the file's own path and line. */
export interface ConfigFile {
  /** The file as shown in messages. */
  file: string;
  /** The file's value after `${VAR}` substitution; undefined when it did not parse or is empty. */
  value: unknown;
  issues: ConfigIssue[];
  /** Where a path of `value` is in the file: its path as written (list expansion undone) and line. */
  locate(path: readonly PropertyKey[]): { path: string; line?: number };
}

const NAME = '[A-Za-z_][A-Za-z0-9_]*';
/** `$${` escapes a literal `${`; `${VAR}`; `${VAR:-default}` (default when unset or empty). */
const REF = new RegExp(`\\$\\$\\{|\\$\\{(${NAME})(?::-([^}]*))?\\}`, 'g');
const WHOLE = new RegExp(`^\\$\\{(${NAME})(?::-([^}]*))?\\}$`);

/** Parses YAML or JSON text (YAML parses JSON) and substitutes `${VAR}` in every string value. */
export function parseConfigText(text: string, file: string, env: Env): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false });
  const issues: ConfigIssue[] = [];
  // Index maps for lists where one `${VAR}` item became several: new index → index in the file.
  const expanded = new Map<string, number[]>();

  const toFilePath = (path: readonly PropertyKey[]): Seg[] => {
    const out: Seg[] = [];
    for (const seg of path) {
      if (typeof seg === 'number') out.push(expanded.get(JSON.stringify(out))?.[seg] ?? seg);
      else out.push(String(seg));
    }
    return out;
  };
  const locate = (path: readonly PropertyKey[]) => {
    const filePath = toFilePath(path);
    const line = lineOf(doc, lines, filePath);
    return line === undefined ? { path: formatPath(filePath) } : { path: formatPath(filePath), line };
  };

  for (const e of doc.errors) {
    issues.push({ file, line: lines.linePos(e.pos[0]).line, path: '', message: `not valid YAML/JSON: ${e.message.split('\n')[0] ?? ''}` });
  }
  if (doc.errors.length > 0) return { file, value: undefined, issues, locate };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    issues.push({ file, path: '', message: `cannot read: ${(err as Error).message}` });
    return { file, value: undefined, issues, locate };
  }

  const resolve = (name: string, fallback: string | undefined, path: Seg[]): string | undefined => {
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) return fallback;
    if (value !== undefined) return value;
    issues.push({
      file,
      ...lineAt(path),
      path: formatPath(path),
      message: `\${${name}} is not set (set ${name} in the environment or .env, or write \${${name}:-default})`,
    });
    return undefined;
  };
  const lineAt = (path: Seg[]) => {
    const line = lineOf(doc, lines, path);
    return line === undefined ? {} : { line };
  };

  const substString = (s: string, path: Seg[]): string => {
    if (s.replace(REF, '').includes('${')) {
      issues.push({ file, ...lineAt(path), path: formatPath(path), message: 'malformed ${...}: write ${NAME} or ${NAME:-default} ($${ for a literal ${)' });
      return s;
    }
    return s.replace(REF, (m: string, name: string | undefined, fallback: string | undefined) =>
      name === undefined ? '${' : (resolve(name, fallback, path) ?? ''),
    );
  };

  const walk = (v: unknown, path: Seg[]): unknown => {
    if (typeof v === 'string') return substString(v, path);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      const origin: number[] = [];
      v.forEach((item, i) => {
        const whole = typeof item === 'string' ? WHOLE.exec(item.trim()) : null;
        if (whole?.[1] !== undefined) {
          // A list item that is one `${VAR}` holding a comma list becomes that many items.
          const value = resolve(whole[1], whole[2], [...path, i]);
          for (const part of value === undefined ? [] : splitList(value)) {
            out.push(part);
            origin.push(i);
          }
        } else {
          out.push(walk(item, [...path, i]));
          origin.push(i);
        }
      });
      if (origin.some((o, i) => o !== i)) expanded.set(JSON.stringify(path), origin);
      return out;
    }
    if (isPlainObject(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) out[k] = walk(item, [...path, k]);
      return out;
    }
    return v;
  };

  const value = raw === null || raw === undefined ? undefined : walk(raw, []);
  return { file, value, issues, locate };
}

/** The line of a path's key (or item) in the document, or of its nearest ancestor found. */
function lineOf(doc: Document, lines: LineCounter, path: readonly Seg[]): number | undefined {
  const lineOfNode = (n: unknown) => (isNode(n) && n.range ? lines.linePos(n.range[0]).line : undefined);
  let node: unknown = doc.contents;
  let line = lineOfNode(node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      line = lineOfNode(pair.key) ?? lineOfNode(pair.value) ?? line;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg];
      if (item === undefined) break;
      line = lineOfNode(item) ?? line;
      node = item;
    } else break;
  }
  return line;
}
