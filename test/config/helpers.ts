import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { ConfigError, loadConfig, type Config } from '../../src/config/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh temp dir holding the given files (name → text). */
export function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'keymux-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** Loads from a temp dir with exactly these files and this env (never process.env). */
export function load(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
  extra: { configPath?: string; flags?: { port?: number; host?: string } } = {},
): Config {
  return loadConfig({ cwd: tempDir(files), env, ...extra });
}

/** The ConfigError a load throws (fails the test when it does not throw one). */
export function loadError(
  files: Record<string, string>,
  env: Record<string, string | undefined> = {},
  extra: { configPath?: string; flags?: { port?: number; host?: string } } = {},
): ConfigError {
  try {
    load(files, env, extra);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

export function keysOf(config: Config, provider: string): string[] {
  return config.providers.find((p) => p.name === provider)?.keys.map((k) => k.key) ?? [];
}
