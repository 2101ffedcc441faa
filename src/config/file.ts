import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { LineCounter, isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, parseDocument, visit, type Alias, type Document } from 'yaml';
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

/**
 * The largest config file or .env read. Parsing YAML costs far more than its bytes (a 1 MB list of tiny values
 * takes seconds and hundreds of MB; 10 MB, half a minute and gigabytes), and a real config is a few kB.
 */
export const MAX_CONFIG_BYTES = 1024 * 1024;
/** The most values a file may stand for once its aliases are expanded: ample for ten thousand keys with settings. */
export const MAX_CONFIG_VALUES = 1_000_000;

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Number((bytes / MB).toFixed(1))} MB`;

/** A file over MAX_CONFIG_BYTES; its message is the whole issue. */
export class TooLargeError extends Error {
  constructor(bytes: number, limit: number) {
    // `bytes` is the file's size, or (a device, a file still growing) only what was read: a bound, not the size.
    super(`too large: ${bytes > limit + 1 ? '' : 'over '}${bytes.toLocaleString('en-US')} bytes (the limit is ${mb(limit)})`);
    this.name = 'TooLargeError';
  }
}

/** A text file, read only up to the limit (a huge file or an endless device is refused, not read whole). */
export function readBoundedText(path: string, limit = MAX_CONFIG_BYTES): string {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size > limit) throw new TooLargeError(size, limit);
    // The size may be 0 (a device) or grow while read: read one byte past the limit to know.
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    for (let r = -1; r !== 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, null);
    if (n > limit) throw new TooLargeError(n, limit);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
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
  const aliasIssue = checkAliases(doc, lines);
  if (aliasIssue) {
    issues.push({ file, ...aliasIssue });
    return { file, value: undefined, issues, locate };
  }

  let raw: unknown;
  try {
    // checkAliases has bounded the expansion exactly; the library's own guard counts references, not sizes
    // (it lets one big anchor be aliased a thousand times, and refuses ten thousand `<<: *defaults`).
    raw = doc.toJS({ maxAliasCount: -1 });
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

/**
 * A problem with the document's aliases, if any: one inside its own anchor (an endless value), or so many that the
 * value they expand to is over MAX_CONFIG_VALUES ("billion laughs", or one big anchor aliased or merged many
 * times). Counted on the document, before anything is expanded.
 */
function checkAliases(doc: Document, lines: LineCounter): Omit<ConfigIssue, 'file'> | undefined {
  // An alias refers to the last anchor of its name before it, in document order (as the library resolves it).
  const anchors = new Map<string, unknown>();
  const targets = new Map<Alias, unknown>();
  visit(doc, {
    Node(_, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) anchors.set(node.anchor, node);
    },
  });
  if (targets.size === 0) return undefined;

  const sizes = new Map<unknown, number>();
  const open = new Set<unknown>();
  const size = (node: unknown): number => {
    if (isAlias(node)) {
      const target = targets.get(node);
      if (target === undefined) return 1; // unresolved: the library says so
      if (open.has(target)) throw new AliasCycle(node);
      return size(target);
    }
    if (!isCollection(node)) return 1;
    const known = sizes.get(node);
    if (known !== undefined) return known;
    open.add(node);
    let n = 1;
    for (const item of node.items) {
      n += isPair(item) ? size(item.key) + size(item.value) : size(item);
      if (n > MAX_CONFIG_VALUES) throw new TooManyValues();
    }
    open.delete(node);
    sizes.set(node, n);
    return n;
  };
  try {
    size(doc.contents);
    return undefined;
  } catch (err) {
    if (err instanceof AliasCycle) {
      const line = err.alias.range ? lines.linePos(err.alias.range[0]).line : undefined;
      return { ...(line === undefined ? {} : { line }), path: '', message: `an alias (*${err.alias.source}) inside its own anchor makes an endless value` };
    }
    if (err instanceof TooManyValues) {
      return { path: '', message: `aliases expand to more than ${MAX_CONFIG_VALUES.toLocaleString('en-US')} values: write the values out, or use fewer aliases` };
    }
    if (err instanceof RangeError) return { path: '', message: 'nested too deeply' };
    throw err;
  }
}

class AliasCycle extends Error {
  constructor(readonly alias: Alias) {
    super('alias cycle');
  }
}
class TooManyValues extends Error {}

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
