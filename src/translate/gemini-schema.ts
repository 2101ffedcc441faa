// JSON Schema → the OpenAPI-3.0 subset Gemini's `Schema` accepts (function parameters, responseSchema).
import { isObject, list } from './util.js';

/** Keys Gemini's Schema knows; everything else ($schema, additionalProperties, strict, $id, examples…) is dropped. */
const KEEP = new Set([
  'description', 'nullable', 'minItems', 'maxItems', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern', 'title',
  'default', 'example', 'propertyOrdering', 'minProperties', 'maxProperties',
]);
/** Gemini rejects any other `format` for these types. */
const FORMATS: Record<string, ReadonlySet<string>> = {
  STRING: new Set(['enum', 'date-time']),
  NUMBER: new Set(['float', 'double']),
  INTEGER: new Set(['int32', 'int64']),
};
const MAX_REF_DEPTH = 12;

type Schema = Record<string, unknown>;

/**
 * Converts a JSON Schema to Gemini's subset: types upper-cased, `["string","null"]` and
 * `anyOf: [X, {type: null}]` to `nullable`, `oneOf` to `anyOf`, `allOf` merged, `const` to a
 * one-value enum, local `$ref`s (`#/$defs/…`, `#/definitions/…`) inlined (recursion cut at a
 * depth of 12 with a bare OBJECT), non-string enums and unsupported formats dropped, `required`
 * limited to declared properties, empty `properties` removed (Gemini rejects an empty map).
 */
export function toGeminiSchema(schema: unknown, dropped?: Set<string>): Schema | undefined {
  return isObject(schema) ? convert(schema, schema, 0, dropped) : undefined;
}

/** Keys the conversion reads or rewrites (not "dropped" when absent from the output). */
const HANDLED = new Set(['type', 'properties', 'required', 'items', 'anyOf', 'oneOf', 'allOf', 'enum', 'const', 'format', '$ref', '$defs', 'definitions', '$schema']);

function convert(input: Schema, root: Schema, depth: number, dropped?: Set<string>): Schema {
  let s = input;
  const ref = s.$ref;
  if (typeof ref === 'string') {
    if (depth >= MAX_REF_DEPTH) {
      dropped?.add('$ref cycle');
      return { type: 'OBJECT', ...(typeof s.description === 'string' ? { description: s.description } : {}) };
    }
    const rest = { ...s };
    delete rest.$ref;
    s = { ...resolveRef(root, ref), ...rest };
    depth++;
  }
  if (Array.isArray(s.allOf)) s = mergeAllOf(s, root);
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) {
    if (KEEP.has(k)) out[k] = v;
    // additionalProperties: false asks for nothing Gemini would do otherwise; anything else is a real loss.
    else if (!HANDLED.has(k) && v !== undefined && !(k === 'additionalProperties' && v === false)) dropped?.add(k);
  }

  let types: string[] = Array.isArray(s.type) ? s.type.filter((t): t is string => typeof t === 'string') : typeof s.type === 'string' ? [s.type] : [];
  if (types.includes('null')) {
    out.nullable = true;
    types = types.filter((t) => t !== 'null');
  }
  let anyOf = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (anyOf) {
    const nonNull = anyOf.filter((x) => !(isObject(x) && x.type === 'null'));
    if (nonNull.length < anyOf.length) out.nullable = true;
    anyOf = nonNull;
  }
  if (types.length > 1) anyOf = types.map((t) => ({ ...s, type: t, anyOf: undefined, oneOf: undefined, nullable: undefined }));
  if (anyOf && anyOf.length === 1 && isObject(anyOf[0])) {
    // One alternative left (the other was null): the schema is that alternative.
    const only = convert(anyOf[0], root, depth, dropped);
    return { ...only, ...out, ...(only.description && !out.description ? { description: only.description } : {}) };
  }
  if (anyOf && anyOf.length > 1) {
    out.anyOf = anyOf.filter(isObject).map((x) => convert(x, root, depth, dropped));
    return out;
  }

  const type = types[0]?.toUpperCase() ?? (s.properties ? 'OBJECT' : s.items ? 'ARRAY' : Array.isArray(s.enum) || s.const !== undefined ? 'STRING' : undefined);
  if (type) out.type = type;
  const enumValues = s.const !== undefined ? [s.const] : s.enum;
  if (Array.isArray(enumValues)) {
    const values = enumValues.filter((e) => e !== null);
    if (values.length < enumValues.length) out.nullable = true;
    if (values.length && values.every((e) => typeof e === 'string')) out.enum = values; // Gemini enums are strings only
    else if (values.length) dropped?.add('non-string enum');
  }
  if (typeof s.format === 'string') {
    if (type && FORMATS[type]?.has(s.format)) out.format = s.format;
    else dropped?.add(`format '${s.format}'`);
  }
  if (out.enum && type === 'STRING') out.format = 'enum';
  if (isObject(s.properties)) {
    const props: Record<string, Schema> = {};
    for (const [name, p] of Object.entries(s.properties)) if (isObject(p)) props[name] = convert(p, root, depth, dropped);
    if (Object.keys(props).length) out.properties = props;
    const req = Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === 'string' && r in props) : [];
    if (req.length) out.required = req;
  }
  const items = Array.isArray(s.items) ? s.items[0] : s.items; // a tuple keeps its first item's schema
  if (isObject(items)) out.items = convert(items, root, depth, dropped);
  return out;
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) return {};
  let node: unknown = root;
  for (const seg of ref.slice(2).split('/')) {
    const key = seg.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isObject(node) ? node[key] : undefined;
  }
  return isObject(node) ? node : {};
}

function mergeAllOf(s: Schema, root: Schema): Schema {
  const { allOf, ...rest } = s;
  const merged: Schema = { ...rest };
  const props: Schema = isObject(rest.properties) ? { ...rest.properties } : {};
  const required = new Set<string>(Array.isArray(rest.required) ? rest.required.filter((r) => typeof r === 'string') : []);
  for (const raw of list(allOf)) {
    if (!isObject(raw)) continue;
    const part = typeof raw.$ref === 'string' ? { ...resolveRef(root, raw.$ref), ...raw, $ref: undefined } : raw;
    for (const [k, v] of Object.entries(part)) {
      if (v === undefined) continue;
      if (k === 'properties' && isObject(v)) Object.assign(props, v);
      else if (k === 'required' && Array.isArray(v)) for (const r of v) if (typeof r === 'string') required.add(r);
      else if (!(k in merged)) merged[k] = v;
    }
  }
  if (Object.keys(props).length) merged.properties = props;
  if (required.size) merged.required = [...required];
  return merged;
}
