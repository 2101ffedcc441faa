// Parsing client request bodies at the translators' entry: one zod pass validates what a translator
// reads, and a failure becomes a KMX_ERR_BAD_REQUEST naming the path (`messages[2].content[0].type: …`).
import { z } from 'zod';
import { invalidRequest } from './errors.js';
import { isObject } from './util.js';

/**
 * The tag a block of a type the translator does not know is parsed into. Blocks are told apart by
 * `type`, and a catch-all member with `type: string` would defeat TypeScript's narrowing of the
 * known ones; so an unknown block becomes `{ type: 'unsupported', name }` and the translator
 * refuses it by name (KMX_ERR_UNTRANSLATABLE), as it did before there was a parse.
 */
const UNSUPPORTED = 'unsupported';
const unsupported = z.object({ type: z.literal(UNSUPPORTED), name: z.string() });

/** Objects told apart by `type`: the listed ones, and any other type name as `{ type: 'unsupported', name }`. */
export function byType<const O extends readonly [z.core.$ZodTypeDiscriminable, ...z.core.$ZodTypeDiscriminable[]]>(...options: O) {
  const known = new Set(options.flatMap((o) => [...(o._zod.propValues.type ?? [])]));
  return z.preprocess(
    (v) => (isObject(v) && typeof v.type === 'string' && !known.has(v.type) ? { type: UNSUPPORTED, name: v.type } : v),
    z.discriminatedUnion('type', [...options, unsupported]),
  );
}

/**
 * JSON Schemas and other objects that pass through: checked, not copied, so they reach the upstream
 * exactly as the client wrote them (a copy would also lose an own `__proto__` key).
 */
export const jsonObject = z.custom<Record<string, unknown>>(isObject, { message: 'expected an object' });

/** Optional fields: clients send `null` for "not set" as often as they leave a field out. */
export const opt = <T extends z.ZodType>(t: T) => t.nullish();

/** `schema`'s output for `input`, or a TranslationError (400) naming the first problem's path. */
export function parseRequest<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  throw invalidRequest(first ? explain(pick(first, []), input) : 'the request body is malformed');
}

type Issue = z.core.$ZodIssue;
interface Picked { path: PropertyKey[]; issue: Issue; expected?: string[] }

/**
 * A union's failure holds each alternative's issues: the alternative that got furthest into the
 * input (longest path) is the one the client meant; alternatives that all failed at the same spot
 * on the value's type merge into one "a string or an array" message.
 */
function pick(issue: Issue, prefix: PropertyKey[]): Picked {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { path, issue };
  const alternatives = issue.errors.flatMap((branch) => (branch[0] ? [pick(branch[0], path)] : []));
  const depth = Math.max(...alternatives.map((a) => a.path.length));
  const best = alternatives.filter((a) => a.path.length === depth);
  const expected = best.flatMap((a) => (a.issue.code === 'invalid_type' ? (a.expected ?? [a.issue.expected]) : []));
  const [head] = best;
  if (!head) return { path, issue };
  return expected.length === best.length && best.length > 1 ? { ...head, expected } : head;
}

function explain({ path, issue, expected }: Picked, input: unknown): string {
  const where = path.length ? formatPath(path) : 'request body';
  const value = valueAt(input, path);
  if (issue.code === 'invalid_type') {
    const what = (expected ?? [issue.expected]).map(article).join(' or ');
    return value === undefined ? `${where}: ${what} is required` : `${where}: expected ${what}, received ${describe(value)}`;
  }
  if (issue.code === 'invalid_value') return `${where}: expected one of ${issue.values.map(quote).join(' | ')}, received ${describe(value)}`;
  if (issue.code === 'invalid_union' && issue.discriminator !== undefined) {
    const options = ('options' in issue ? (issue.options ?? []) : []).filter((o) => o !== UNSUPPORTED);
    return `${where}: expected ${options.length ? `one of ${options.map(quote).join(' | ')}` : 'a string'}, received ${describe(value)}`;
  }
  if (issue.code === 'custom') return `${where}: ${issue.message}, received ${describe(value)}`;
  return `${where}: ${issue.message.replace(/^Invalid input: /, '')}`;
}

function formatPath(path: PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function valueAt(input: unknown, path: PropertyKey[]): unknown {
  let node = input;
  for (const key of path) {
    if (Array.isArray(node) && typeof key === 'number') node = node[key];
    else if (isObject(node) && typeof key === 'string' && Object.hasOwn(node, key)) node = node[key];
    else return undefined;
  }
  return node;
}

function article(type: string): string {
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function quote(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}

/** The client's own value, shortened: it ends up in an error message. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`.replace(/[\x00-\x1f\x7f]/g, '?');
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return article(typeof v);
}
