import { CATALOG, envPrefixes } from '../providers/catalog.js';
import { maskKey, type KeyConfig } from '../pool/index.js';
import type { ProviderInfo } from '../providers/types.js';
import { formatIssue, type ConfigIssue } from './errors.js';
import { baseUrlFromEnv, customEnvPrefix, firstSet, keysFromEnv, type Env } from './env.js';
import { url, type ProviderEntry, type ResolvedProvider } from './schema.js';
import { dedupe } from './util.js';
import type { Locate, ProviderDraft } from './validate.js';

export interface ProviderContext {
  env: Env;
  /** Where an env variable was set: the .env file and line, or nothing for the real environment. */
  envAt: (name: string) => Omit<ConfigIssue, 'message' | 'path'>;
  locate: Locate;
  issues: ConfigIssue[];
  warnings: string[];
}

const SCALARS = ['baseUrl', 'dialect', 'strategy', 'label', 'apiVersion', 'limitsPerModel'] as const;

/**
 * Providers from the file (entries naming one provider by several names merged), then the catalog's
 * providers that only the environment names. Env keys are added to file keys; `NAME_BASE_URL` wins over the file.
 */
export function resolveProviders(drafts: readonly ProviderDraft[], ctx: ProviderContext): ResolvedProvider[] {
  const groups = new Map<string, ProviderDraft[]>();
  for (const d of drafts) groups.set(d.name, [...(groups.get(d.name) ?? []), d]);

  const out: ResolvedProvider[] = [];
  for (const [name, group] of groups) {
    const first = group[0];
    if (!first) continue;
    const resolved = resolveOne(name, first.info, group, ctx);
    if (resolved) out.push(resolved);
  }
  for (const info of CATALOG) {
    if (groups.has(info.name)) continue;
    const resolved = resolveOne(info.name, info, [], ctx);
    if (resolved) out.push(resolved);
  }
  return out;
}

/** The providers whose models are deployments (apiVersion and deployments apply to them only). */
const DEPLOYMENT_PROVIDERS = CATALOG.filter((p) => p.deployments).map((p) => p.name).join(', ');

function resolveOne(name: string, info: ProviderInfo | undefined, group: readonly ProviderDraft[], ctx: ProviderContext): ResolvedProvider | undefined {
  const prefixes = info ? envPrefixes(info) : [customEnvPrefix(name)];
  const fromEnv = keysFromEnv(ctx.env, prefixes);
  if (group.length === 0 && fromEnv.keys.length === 0) return undefined;

  // A provider's own SDKs may read its endpoint from a variable of their own (AZURE_OPENAI_ENDPOINT).
  const envUrl = baseUrlFromEnv(ctx.env, prefixes) ?? (info?.endpointEnv ? firstSet(ctx.env, [info.endpointEnv]) : undefined);
  let baseUrlFromEnvVar: string | undefined;
  if (envUrl) {
    const r = url.safeParse(envUrl.value);
    if (r.success) baseUrlFromEnvVar = r.data;
    else ctx.issues.push({ ...ctx.envAt(envUrl.name), path: envUrl.name, message: 'expected an http(s) URL' });
  }

  const where = group[0] ? ctx.locate(['providers', group[0].written]) : undefined;
  const envHint = `${prefixes[0]}_BASE_URL`;
  if (!baseUrlFromEnvVar && !group.some((d) => d.hasBaseUrl) && !info?.baseUrl) {
    if (!where) {
      ctx.warnings.push(`${fromEnv.vars.join(', ')} set, but ${name} has no base URL: skipped (set ${envHint})`);
      return undefined;
    }
    const what = info ? `${name} needs baseUrl (https://<resource>.openai.azure.com)` : 'a custom provider needs baseUrl';
    ctx.issues.push({ ...where, message: `${what}, or set ${envHint}` });
  }

  // An entry that did not validate has been reported; the rest of the provider is not worth building.
  if (group.some((d) => d.entry === undefined)) return undefined;
  const entry = merge(group, ctx);
  const keys = mergeKeys(group, fromEnv.keys, ctx);
  const dialect = info?.dialect ?? entry.dialect;
  if (!dialect) return undefined; // reported by validateFile as an unknown provider

  if (where && keys.length === 0) {
    ctx.warnings.push(formatIssue({ ...where, message: `no keys (add keys: or set ${prefixes[0]}_API_KEYS)` }));
  }
  if (!info?.deployments) {
    for (const field of ['apiVersion', 'deployments'] as const) {
      const d = group.find((g) => g.entry?.[field] !== undefined);
      if (d) ctx.warnings.push(formatIssue({ ...ctx.locate(['providers', d.written, field]), message: `only ${DEPLOYMENT_PROVIDERS} uses this; ignored` }));
    }
  }

  const p: ResolvedProvider = {
    name,
    label: entry.label ?? info?.label ?? name,
    dialect,
    baseUrl: baseUrlFromEnvVar ?? entry.baseUrl ?? info?.baseUrl ?? '',
    keys,
    limitsPerModel: entry.limitsPerModel ?? info?.limitsPerModel ?? false,
    custom: info === undefined,
  };
  if (entry.strategy) p.strategy = entry.strategy;
  if (entry.models) p.models = entry.models;
  if (entry.headers) p.headers = entry.headers;
  if (info?.deployments && entry.apiVersion) p.apiVersion = entry.apiVersion;
  if (info?.deployments && entry.deployments) p.deployments = entry.deployments;
  return p;
}

/** Entries naming one provider (`google:` and `gemini:`) merge: lists concatenate, single values must agree. */
function merge(group: readonly ProviderDraft[], ctx: ProviderContext): ProviderEntry {
  const out: ProviderEntry = {};
  const setBy = new Map<string, string>();
  const conflict = (d: ProviderDraft, path: string[], other: string) =>
    ctx.issues.push({ ...ctx.locate(['providers', d.written, ...path]), message: `conflicts with providers.${other}.${path.join('.')}` });
  for (const d of group) {
    const e = d.entry;
    if (!e) continue;
    for (const field of SCALARS) {
      const v = e[field];
      if (v === undefined) continue;
      if (out[field] === undefined) {
        Object.assign(out, { [field]: v });
        setBy.set(field, d.written);
      } else if (out[field] !== v) conflict(d, [field], setBy.get(field) ?? '');
    }
    if (e.models) out.models = dedupe([...(out.models ?? []), ...e.models]);
    for (const field of ['headers', 'deployments'] as const) {
      for (const [k, v] of Object.entries(e[field] ?? {})) {
        const into = (out[field] ??= {});
        const prev = into[k];
        if (prev === undefined) {
          into[k] = v;
          setBy.set(`${field}.${k}`, d.written);
        } else if (prev !== v) conflict(d, [field, k], setBy.get(`${field}.${k}`) ?? '');
      }
    }
  }
  return out;
}

/** File keys in file order, then env keys; one secret is one key (the first occurrence keeps its settings). */
function mergeKeys(group: readonly ProviderDraft[], envKeys: readonly string[], ctx: ProviderContext): KeyConfig[] {
  const seen = new Set<string>();
  const keys: KeyConfig[] = [];
  for (const d of group) {
    (d.entry?.keys ?? []).forEach((k, i) => {
      if (seen.has(k.key)) {
        const at = ctx.locate(['providers', d.written, 'keys', i]);
        ctx.warnings.push(formatIssue({ ...at, message: `duplicate key ${maskKey(k.key)}: the first one is kept` }));
        return;
      }
      seen.add(k.key);
      keys.push(k);
    });
  }
  for (const key of envKeys) {
    if (seen.has(key)) continue;
    seen.add(key);
    keys.push({ key });
  }
  return keys;
}
