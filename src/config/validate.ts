import type { z } from 'zod';
import { CATALOG, findProvider } from '../providers/catalog.js';
import type { ProviderInfo } from '../providers/types.js';
import type { ConfigIssue } from './errors.js';
import type { Layer } from './layers.js';
import { clientSchema, type ClientEntry } from './clients.js';
import { CUSTOM_DIALECTS, SECTION_NAMES, SETTING_SECTIONS, providerSchema, sections, type ProviderEntry } from './schema.js';
import { closest, isPlainObject, type Seg } from './util.js';

/** Where a path of the config value is, for messages: file, line, and the path as the file writes it. */
export type Locate = (path: readonly PropertyKey[]) => Omit<ConfigIssue, 'message'>;

/** One entry under `providers:` as written, before entries naming the same provider merge. */
export interface ProviderDraft {
  /** The name as the file writes it (`google`). */
  written: string;
  /** Canonical name, or the written one for a custom provider. */
  name: string;
  info: ProviderInfo | undefined;
  /** Undefined when the entry did not validate (its problems are already reported). */
  entry: ProviderEntry | undefined;
  hasBaseUrl: boolean;
}

export interface FileLayer {
  /** The plain settings the file sets (SETTING_SECTIONS), each section that validated. */
  settings: Layer;
  proxyKeys: string[];
  /** The `clients:` items that validated, with their index in the file. */
  clients: Array<{ index: number; entry: ClientEntry }>;
  providers: ProviderDraft[];
  /** `aliases` and `modelMap` merged: model name → target (a list: a fallback group), and the section that set it. */
  aliases: Record<string, WrittenAlias>;
}

export interface WrittenAlias {
  to: string | readonly string[];
  section: 'aliases' | 'modelMap';
}

const sameTarget = (a: string | readonly string[], b: string | readonly string[]): boolean =>
  typeof a === 'string' || typeof b === 'string' ? a === b : a.length === b.length && a.every((t, i) => t === b[i]);

const CATALOG_NAMES = CATALOG.map((p) => p.name);

/**
 * A file whose top level is a map of provider → `{ keys: [...] }` (DeepWiki's api_keys.json) rather than
 * config sections: no section name at the top, and every name a known provider or an entry with `keys`.
 */
export function isKeyFile(v: unknown): v is Record<string, unknown> {
  if (!isPlainObject(v)) return false;
  const names = Object.keys(v);
  return (
    names.length > 0 &&
    names.every((n) => {
      const entry = v[n];
      return !SECTION_NAMES.includes(n) && (findProvider(n) !== undefined || (isPlainObject(entry) && 'keys' in entry));
    })
  );
}

export function validateFile(value: unknown, locate: Locate, issues: ConfigIssue[]): FileLayer {
  const report = (path: readonly PropertyKey[], message: string) => issues.push({ ...locate(path), message });
  const reportZod = (prefix: readonly Seg[], error: z.ZodError) => {
    for (const iss of error.issues) {
      const path = [...prefix, ...iss.path];
      // An unknown field's own line rather than its object's; but inside a key item the name may be a secret.
      const inKeyItem = typeof path.at(-1) === 'number' && path.at(-2) === 'keys';
      const single = iss.code === 'unrecognized_keys' && iss.keys.length === 1 && !inKeyItem ? iss.keys : [];
      report([...path, ...single], iss.message.replace(/^Invalid input: /, ''));
    }
  };

  const layer: FileLayer = { settings: {}, proxyKeys: [], clients: [], providers: [], aliases: {} };
  if (value === undefined) return layer;
  if (!isPlainObject(value)) {
    report([], `expected a map of settings (${SECTION_NAMES.filter((n) => n !== '$schema').join(', ')})`);
    return layer;
  }

  for (const name of Object.keys(value)) {
    if (SECTION_NAMES.includes(name)) continue;
    const provider = findProvider(name);
    const guess = closest(name, SECTION_NAMES);
    report(
      [name],
      provider
        ? `unknown field '${name}': providers go under providers: (providers.${name})`
        : `unknown field '${name}'${guess ? ` (did you mean '${guess}'?)` : ` (known: ${SECTION_NAMES.join(', ')})`}`,
    );
  }

  const parse = <T extends z.ZodType>(name: string, schema: T): z.output<T> | undefined => {
    const r = schema.safeParse(value[name]);
    if (r.success) return r.data;
    reportZod([name], r.error);
    return undefined;
  };
  for (const [name, schema] of Object.entries(SETTING_SECTIONS)) {
    const section = parse(name, schema);
    if (section !== undefined) layer.settings[name] = section;
  }
  layer.proxyKeys = parse('proxyKeys', sections.proxyKeys) ?? [];
  (parse('clients', sections.clients) ?? []).forEach((item, index) => {
    const r = clientSchema.safeParse(item);
    if (r.success) layer.clients.push({ index, entry: r.data });
    else reportZod(['clients', index], r.error);
  });
  parse('$schema', sections.$schema);

  const providers = value.providers;
  if (isPlainObject(providers)) {
    for (const [written, raw] of Object.entries(providers)) layer.providers.push(draft(written, raw, report, reportZod));
  } else if (providers !== undefined && providers !== null) {
    report(['providers'], 'expected a map of provider name: settings');
  }

  const aliases = parse('aliases', sections.aliases) ?? {};
  const modelMap = parse('modelMap', sections.modelMap) ?? {};
  for (const [from, to] of Object.entries(aliases)) layer.aliases[from] = { to, section: 'aliases' };
  for (const [from, to] of Object.entries(modelMap)) {
    const other = aliases[from];
    if (other !== undefined && !sameTarget(other, to)) report(['modelMap', from], `conflicts with aliases.${from}`);
    else layer.aliases[from] ??= { to, section: 'modelMap' };
  }
  return layer;
}

function draft(
  written: string,
  raw: unknown,
  report: (path: readonly PropertyKey[], message: string) => void,
  reportZod: (prefix: readonly Seg[], error: z.ZodError) => void,
): ProviderDraft {
  const path = ['providers', written];
  const info = findProvider(written);
  const r = providerSchema.safeParse(raw);
  if (!r.success) reportZod(path, r.error);
  const fields = isPlainObject(raw) ? raw : {};
  if (!info) {
    const guess = closest(written, [...CATALOG_NAMES, ...CATALOG.flatMap((p) => p.aliases)]);
    if (fields.dialect === undefined) {
      report(
        path,
        `unknown provider '${written}'${guess ? ` (did you mean '${guess}'?)` : ''}; known providers: ${CATALOG_NAMES.join(', ')}. ` +
          `A custom provider needs dialect: ${CUSTOM_DIALECTS.join(' | ')} and baseUrl`,
      );
    }
    if (/[\s/]/.test(written) || written === '') report(path, 'a provider name cannot contain spaces or "/" (it prefixes model names)');
  } else if (typeof fields.dialect === 'string' && fields.dialect !== info.dialect) {
    report([...path, 'dialect'], `${info.name} speaks the ${info.dialect} dialect; for another, use a custom provider name`);
  }
  return { written, name: info?.name ?? written, info, entry: r.success ? r.data : undefined, hasBaseUrl: fields.baseUrl !== undefined };
}
