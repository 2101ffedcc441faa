// The npm package as users get it: `npm pack` (which builds, through `prepare`), then `npm install -g` of the
// tarball into an empty prefix — what `npm install -g keymux` and `npx keymux` do — and the installed `keymux`
// answering --version and serving a real request (SQLite store included) from an empty directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { chat, listening, ROOT, run, type Proc } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const tmp = mkdtempSync(join(tmpdir(), 'keymux-pack-'));
const prefix = join(tmp, 'global');
const bin = join(prefix, 'bin', 'keymux');
let tarball = '';
let files: string[] = [];

/** npm as a user runs it: none of the npm_* settings `npm test` hands its children (the cache stays shared). */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) || /^npm_config_cache$/i.test(k)) env[k] = v;
  return env;
}
const npm = (args: string[], cwd: string): string =>
  execFileSync('npm', args, { cwd, env: npmEnv(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { 'sk-pack-a': {}, 'sk-pack-b': {} } });
  npm(['pack', '--pack-destination', tmp, '--no-audit', '--no-fund'], ROOT);
  const tgz = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
  expect(tgz).toEqual([`keymux-${pkg.version}.tgz`]);
  tarball = join(tmp, tgz[0]!);
  files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  // From the npm cache that `npm ci` filled: the registry is asked only for what is not there.
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], tmp);
}, 240_000);
afterAll(async () => {
  await sim?.close();
  rmSync(tmp, { recursive: true, force: true });
});

let proc: Proc | undefined;
afterEach(async () => {
  await proc?.stop();
  proc = undefined;
});

// The installed bin finds `node` on the PATH, as on a user's machine; nothing else of this checkout is reachable.
const userEnv = (extra: Record<string, string> = {}): Record<string, string> => ({
  PATH: [join(prefix, 'bin'), process.env.PATH ?? ''].join(delimiter),
  ...extra,
});

describe('the npm package', () => {
  test('ships the build, the README and package.json; no sources, tests or single executable', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('dist/cli/main.js');
    expect(files).toContain('dist/index.js');
    expect(files).toContain('dist/index.d.ts');
    expect(files.filter((f) => !f.startsWith('dist/') && !f.startsWith('web/') && !['package.json', 'README.md', 'LICENSE'].includes(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/sea/'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    // The dashboard's assets, once there is a dashboard.
    if (existsSync(join(ROOT, 'web'))) expect(files.some((f) => f.startsWith('web/'))).toBe(true);
  });

  test('installs without any dev dependency', () => {
    const installed = join(prefix, 'lib', 'node_modules', 'keymux');
    expect(existsSync(join(installed, 'dist', 'cli', 'main.js'))).toBe(true);
    const deps = join(installed, 'node_modules');
    for (const d of Object.keys(pkg.dependencies)) expect(existsSync(join(deps, d)), d).toBe(true);
    for (const d of Object.keys(pkg.devDependencies)) expect(existsSync(join(deps, d)), d).toBe(false);
  });

  test('keymux --version prints the package version', () => {
    const out = execFileSync(bin, ['--version'], { cwd: tmp, env: userEnv(), encoding: 'utf8' });
    expect(out).toBe(`${pkg.version}\n`);
  });

  test('npx keymux finds the installed package (--no-install: nothing fetched)', () => {
    const cwd = join(tmp, 'npx');
    mkdirSync(cwd);
    const out = execFileSync('npx', ['--no-install', 'keymux', '--version'], {
      cwd,
      env: { ...npmEnv(), npm_config_prefix: prefix },
      encoding: 'utf8',
    });
    expect(out).toBe(`${pkg.version}\n`);
  });

  test('keymux serve from an empty directory: a request reaches the provider, the store is SQLite in ./data, SIGTERM exits 0', { timeout: 60_000 }, async () => {
    const cwd = join(tmp, 'empty');
    mkdirSync(cwd);
    proc = run(bin, ['serve', '--port', '0', '--host', '127.0.0.1'], {
      cwd,
      env: userEnv({ OPENAI_API_KEYS: 'sk-pack-a,sk-pack-b', OPENAI_BASE_URL: `${sim.url}/v1`, KEYMUX_LOG_LEVEL: 'info' }),
    });
    const line = await proc.waitForLog(listening, 30_000);
    expect(line.storage).toBe(join(cwd, 'data', 'keymux.db'));
    const r = await chat(line.url as string, 'hello from the npm package');
    expect(r.status, r.body).toBe(200);
    expect(r.provider).toBe('openai');
    expect(sim.requests.length).toBeGreaterThan(0);
    proc.signal('SIGTERM');
    expect(await proc.exited).toEqual({ code: 0, signal: null });
    expect(existsSync(join(cwd, 'data', 'keymux.db'))).toBe(true);
  });
});
