import { z } from 'zod';
import type { ConfigIssue } from './errors.js';
import { firstSet, type Env } from './env.js';
import { ENV_SETTINGS, FLAG_SETTINGS, settingsSchema, type Flags, type SettingPath, type Settings } from './schema.js';
import { isPlainObject } from './util.js';

/**
 * What one layer sets: part of the settings tree. Its leaves have passed their setting's schema already, so the
 * merge need not know any setting; the merged tree is parsed by settingsSchema once to be typed again.
 */
export type Layer = Record<string, unknown>;

/** Later layers win; undefined never overrides; maps merge field by field, anything else is replaced whole. */
export function mergeLayers(layers: readonly Layer[]): Layer {
  return layers.reduce<Layer>(mergeTwo, {});
}

function mergeTwo(under: Layer, over: Layer): Layer {
  const out = { ...under };
  for (const [name, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const below = out[name];
    out[name] = isPlainObject(below) && isPlainObject(value) ? mergeTwo(below, value) : value;
  }
  return out;
}

/** The settings the layers make, typed. Every layer's leaves are valid, so only a setting without a default fails. */
export function resolveSettings(layers: readonly Layer[]): Settings {
  const r = settingsSchema.safeParse(mergeLayers(layers));
  if (r.success) return r.data;
  // DEFAULTS' `satisfies` should make this unreachable; say which setting, not a bare ZodError.
  throw new Error(`keymux bug: settings without a value: ${r.error.issues.map((i) => i.path.join('.')).join(', ')}`);
}

export function getAt(layer: Layer, path: readonly string[]): unknown {
  let node: unknown = layer;
  for (const seg of path) node = isPlainObject(node) ? node[seg] : undefined;
  return node;
}

function setAt(layer: Layer, path: readonly string[], value: unknown): void {
  const last = path.at(-1);
  if (last === undefined) return;
  let node = layer;
  for (const seg of path.slice(0, -1)) {
    const next = node[seg];
    if (isPlainObject(next)) node = next;
    else node = node[seg] = {};
  }
  node[last] = value;
}

/** The one schema a setting's value goes through, whichever layer it comes from. */
function schemaAt(path: SettingPath): z.ZodType {
  let node: z.ZodType = settingsSchema;
  for (const seg of path) {
    const next: unknown = node instanceof z.ZodObject ? node.shape[seg] : undefined;
    if (!(next instanceof z.ZodType)) throw new Error(`keymux bug: no setting ${path.join('.')}`);
    node = next;
  }
  return node;
}

/** Where a value came from, for its message if it does not validate: the env variable or flag, and its file/line. */
type Origin = Omit<ConfigIssue, 'message'>;

function layerOf(values: readonly { path: SettingPath; value: unknown; origin: Origin }[], issues: ConfigIssue[]): Layer {
  const layer: Layer = {};
  for (const { path, value, origin } of values) {
    const r = schemaAt(path).safeParse(value);
    if (r.success) setAt(layer, path, r.data);
    else issues.push({ ...origin, message: r.error.issues[0]?.message ?? 'invalid value' });
  }
  return layer;
}

/** ENV_SETTINGS read from the environment; a bad value is reported under the variable's name (and .env line). */
export function envLayer(env: Env, envAt: (name: string) => Omit<Origin, 'path'>, issues: ConfigIssue[]): Layer {
  const values = ENV_SETTINGS.flatMap(({ vars, path }) => {
    const found = firstSet(env, vars);
    return found ? [{ path, value: found.value, origin: { ...envAt(found.name), path: found.name } }] : [];
  });
  return layerOf(values, issues);
}

/** FLAG_SETTINGS from the command line; a bad value is reported as `--flag`. */
export function flagLayer(flags: Flags, issues: ConfigIssue[]): Layer {
  const given = new Map<string, unknown>(Object.entries(flags));
  const values = Object.entries(FLAG_SETTINGS).flatMap(([flag, path]) => {
    const value = given.get(flag);
    const option = `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    return value === undefined ? [] : [{ path, value, origin: { path: option } }];
  });
  return layerOf(values, issues);
}
