import { splitList, dedupe } from './util.js';

/** The environment as loadConfig reads it: the real one, with `.env` filling what it leaves unset. */
export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvKeys {
  keys: string[];
  /** The variables that contributed, in reading order (names only: safe to log). */
  vars: string[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The variables that hold keys for one env prefix, in reading order: `P_API_KEYS`, `P_API_KEY`, `P_API_KEY_<n>` by n. */
export function keyVarNames(env: Env, prefix: string): string[] {
  const numbered = new RegExp(`^${escapeRe(prefix)}_API_KEY_(\\d+)$`);
  const found: Array<[number, string]> = [];
  for (const name of Object.keys(env)) {
    const m = numbered.exec(name);
    if (m) found.push([Number(m[1]), name]);
  }
  found.sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : 1));
  return [`${prefix}_API_KEYS`, `${prefix}_API_KEY`, ...found.map(([, name]) => name)];
}

/**
 * Keys for a provider from the environment, over its prefixes in order (canonical name first, then aliases).
 * Every variable is a comma list (`NVIDIA_NIM_API_KEY="a,b,c"` is three keys); duplicates merge, first wins.
 */
export function keysFromEnv(env: Env, prefixes: readonly string[]): EnvKeys {
  const keys: string[] = [];
  const vars: string[] = [];
  for (const prefix of prefixes) {
    for (const name of keyVarNames(env, prefix)) {
      const value = env[name];
      if (value === undefined) continue;
      const items = splitList(value);
      if (items.length === 0) continue;
      vars.push(name);
      keys.push(...items);
    }
  }
  return { keys: dedupe(keys), vars };
}

/** The first `P_BASE_URL` set over the prefixes, with the variable's name. */
export function baseUrlFromEnv(env: Env, prefixes: readonly string[]): { name: string; value: string } | undefined {
  for (const prefix of prefixes) {
    const name = `${prefix}_BASE_URL`;
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

/** Env prefix of a custom provider: `my-local` → `MY_LOCAL` (`MY_LOCAL_API_KEYS`, `MY_LOCAL_BASE_URL`). */
export function customEnvPrefix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export const PROXY_KEY_VARS = ['KEYMUX_PROXY_KEYS', 'PROXY_API_KEYS', 'PROXY_API_KEY'] as const;

/** Proxy (client) keys from the environment, all variables merged. */
export function proxyKeysFromEnv(env: Env): string[] {
  return dedupe(PROXY_KEY_VARS.flatMap((name) => splitList(env[name] ?? '')));
}

/** The first of the names that is set (and not blank), with its value. */
export function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}
