import { z } from 'zod';
import { maskKey } from '../pool/index.js';
import { closest, splitList } from './util.js';

export const STRATEGIES = ['default', 'round-robin', 'least-used', 'lru', 'random', 'weighted'] as const;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// The leaves of the configuration schema: value schemas shared by the file, env and flag layers (schema.ts).

/** `${PORT}` substitutes a string, so numbers are accepted as numeric strings too (`600_000` as well). */
export function numeric(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim().replace(/_/g, '');
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : v;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export function duration(v: unknown): unknown {
  const n = numeric(v);
  if (typeof n !== 'string') return n;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/i.exec(n.trim());
  return m ? Math.round(Number(m[1]) * (UNIT_MS[(m[2] ?? 'ms').toLowerCase()] ?? 1)) : v;
}

const UNIT_BYTES: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };
export function byteSize(v: unknown): unknown {
  const n = numeric(v);
  if (typeof n !== 'string') return n;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(n.trim());
  return m ? Math.floor(Number(m[1]) * (UNIT_BYTES[(m[2] ?? '').toLowerCase()] ?? 1)) : v;
}

/** A message for a value of the wrong type only; range checks keep their own. */
export const typeError = (message: string) => ({ error: (iss: { code?: string }) => (iss.code === 'invalid_type' ? message : undefined) });
export const atLeast = (min: number) => `must be at least ${min}`;

export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(numeric, z.number(typeError('expected a whole number')).int('expected a whole number').min(min, atLeast(min)).max(max, `must be at most ${max}`));
export const positive = z.preprocess(numeric, z.number(typeError('expected a number')).positive('must be above 0'));
export const durationMs = (min = 0) =>
  z.preprocess(duration, z.number(typeError("expected milliseconds, or a duration like '30s', '10m'")).int('expected whole milliseconds').min(min, atLeast(min)));
export const bodyLimit = z.preprocess(byteSize, z.number(typeError("expected bytes, or a size like '32mb', '512kb'")).int().min(1, atLeast(1)));
export const port = int(0, 65535);
/** true/false, also as the environment writes it (1/0, yes/no, on/off). */
export const bool = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  const t = v.trim().toLowerCase();
  return ['1', 'true', 'yes', 'on'].includes(t) ? true : ['0', 'false', 'no', 'off', ''].includes(t) ? false : v;
}, z.boolean({ error: 'expected true or false' }));
export const text = z.string({ error: 'expected text' }).trim().min(1, 'must not be empty');
export const host = text;
export const strategy = z.enum(STRATEGIES, { error: `expected one of ${STRATEGIES.join(', ')}` });
export const logLevel = z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` });
export const url = z
  .url({ protocol: /^https?$/, error: 'expected an http(s) URL' })
  .transform((u) => u.replace(/\/+$/, ''));
/** A web origin as browsers send it in `Origin` (scheme, host, port; nothing after): `https://app.example.com`. */
export const webOrigin = text.transform((v, ctx) => {
  let u: URL | undefined;
  try {
    u = new URL(v);
  } catch {
    u = undefined;
  }
  if (u && /^https?:$/.test(u.protocol) && u.pathname === '/' && !u.search && !u.hash && !u.username && !u.password) return u.origin;
  ctx.issues.push({ code: 'custom', input: v, message: 'expected an origin like https://app.example.com (scheme, host and port only)' });
  return z.NEVER;
});

/** A list, or one comma-separated string of items. */
export const list = <T extends z.ZodType>(item: T) => z.preprocess((v) => (typeof v === 'string' ? splitList(v) : v), z.array(item));
export const stringMap = (value: z.ZodType<string>) => z.record(z.string(), value, { error: 'expected a map of name: value' });
/** A section left empty in YAML (`server:`) is null: same as absent. */
export const section = <T extends z.ZodType>(s: T) => z.preprocess((v) => (v === null ? undefined : v), s.optional());

export function unknownFields(known: readonly string[], mask = false) {
  return (iss: { code?: string; keys?: string[] }): string | undefined => {
    if (iss.code !== 'unrecognized_keys' || !iss.keys) return undefined;
    const shown = iss.keys.map((k) => (mask && k.length >= 12 ? maskKey(k) : k));
    if (shown.length === 1) {
      const guess = closest(iss.keys[0] ?? '', known);
      return `unknown field '${shown[0]}'${guess ? ` (did you mean '${guess}'?)` : ` (known: ${known.join(', ')})`}`;
    }
    return `unknown fields ${shown.map((k) => `'${k}'`).join(', ')} (known: ${known.join(', ')})`;
  };
}
export const strict = <S extends z.ZodRawShape>(shape: S, mask = false) =>
  z.strictObject(shape, { error: unknownFields(Object.keys(shape), mask) });

/** A Redis URL (`redis://[user:password@]host:port[/db]`, `rediss://` for TLS). */
export const redisUrl = text.refine((v) => /^rediss?:\/\/[^/]/.test(v) && URL.canParse(v), { error: 'expected a redis:// or rediss:// URL' });
export const USAGE_PLACES = ['local', 'redis'] as const;

export const STORAGE_TYPES = ['memory', 'sqlite'] as const;
export const storageType = z.enum(STORAGE_TYPES, { error: `expected one of ${STORAGE_TYPES.join(', ')}` });
export const usdPerMillion = z.preprocess(numeric, z.number(typeError('expected USD per million tokens')).min(0, atLeast(0)));
/** Price overrides for usage cost: `openai/gpt-4o: { input: 2.5, output: 10, cachedInput: 1.25 }` (USD per million tokens). */
export const prices = z.record(
  z.string().regex(/^[^/\s]+\/\S+$/),
  strict({ input: usdPerMillion, output: usdPerMillion, cachedInput: usdPerMillion.optional() }),
  {
    error: (iss) =>
      iss.code === 'invalid_type'
        ? 'expected a map of provider/model: { input, output, cachedInput } (USD per million tokens)'
        : iss.code === 'invalid_key' ? "expected 'provider/model' (e.g. openai/gpt-4o)" : undefined,
  },
);

/** An alias's value: one `provider/model`, or a fallback group: a non-empty list of them, tried in order. */
const groupTargets = z.array(text).min(1, 'a fallback group needs at least one target');
// Dispatched by hand rather than z.union: a union reports only its own message, losing the path of the one
// bad element of a list (`aliases.coder[2]`).
const aliasValue = z.unknown().transform((v, ctx): string | string[] => {
  if (typeof v !== 'string' && !Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: 'expected provider/model, or a list of them (a fallback group)' });
    return z.NEVER;
  }
  const r = typeof v === 'string' ? text.safeParse(v) : groupTargets.safeParse(v);
  if (r.success) return r.data;
  for (const iss of r.error.issues) ctx.addIssue({ code: 'custom', message: iss.message, path: iss.path });
  return z.NEVER;
});
export const aliasMap = z.record(z.string(), aliasValue, { error: 'expected a map of name: value' });
