#!/usr/bin/env node
// `npm run build:sea`: keymux as one file that runs without Node or node_modules — a Node single-executable
// application (https://nodejs.org/api/single-executable-applications.html) holding an esbuild bundle of the CLI.
//
//   dist/sea/keymux.cjs    the bundle (CommonJS: Node 20's SEA runs a CommonJS script only)
//   dist/sea/keymux        the executable: a copy of the Node binary that runs this build, with the bundle injected
//
// The executable is for the platform of the `node` running this script (Linux x64 here). For another platform,
// run it there (macOS arm64, Windows x64, …) with Node ≥ 20.18, or set KEYMUX_SEA_NODE to that platform's Node
// binary of the same version as the Node running this script (the blob's format is that version's; the bundle
// is platform-independent); on macOS, sign the result afterwards (`codesign --sign - dist/sea/keymux`).
//
// The SQLite driver (node-sqlite3-wasm) reads its .wasm from beside its .js, which a single file does not have:
// the .wasm goes in as a SEA asset, and a small esbuild plugin hands it to the driver as `Module.wasmBinary`.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// --out DIR: somewhere else than dist/sea (the tests build their own, so that two runs never share one).
const outAt = process.argv.indexOf('--out');
const OUT = outAt > 0 && process.argv[outAt + 1] ? resolve(process.argv[outAt + 1]) : join(ROOT, 'dist', 'sea');
const BUNDLE = join(OUT, 'keymux.cjs');
const BLOB = join(OUT, 'keymux.blob');
const EXE = join(OUT, process.platform === 'win32' ? 'keymux.exe' : 'keymux');
const NODE = process.env.KEYMUX_SEA_NODE ?? process.execPath;
const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const WASM_ASSET = 'sqlite.wasm';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const wasmFile = join(dirname(require.resolve('node-sqlite3-wasm')), 'node-sqlite3-wasm.wasm');
// The dashboard's files (web/) go in as assets too, named `web/<file>`: src/server/dashboard.ts reads them there.
const WEB = join(ROOT, 'web');
const webAssets = Object.fromEntries(readdirSync(WEB).map((f) => [`web/${f}`, join(WEB, f)]));

/** Gives node-sqlite3-wasm its .wasm from the executable's assets (outside a SEA it finds its file as usual). */
const sqliteWasmFromSea = {
  name: 'sqlite-wasm-from-sea',
  setup(b) {
    b.onLoad({ filter: /node-sqlite3-wasm[\\/]dist[\\/]node-sqlite3-wasm\.js$/ }, (args) => ({
      contents:
        `var Module = (() => { try { const sea = require('node:sea'); ` +
        `if (sea.isSea()) return { wasmBinary: new Uint8Array(sea.getAsset(${JSON.stringify(WASM_ASSET)})) }; } catch {} ` +
        `return {}; })();\n` +
        readFileSync(args.path, 'utf8'),
      loader: 'js',
    }));
  },
};

const t0 = Date.now();
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

const result = await build({
  entryPoints: [join(ROOT, 'src', 'cli', 'main.ts')],
  outfile: BUNDLE,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'none',
  // `keymux --version` cannot read package.json from inside the executable: the build writes it in.
  define: { __KEYMUX_VERSION__: JSON.stringify(pkg.version) },
  plugins: [sqliteWasmFromSea],
  logLevel: 'warning',
  logOverride: { 'empty-import-meta': 'silent' },
});
if (result.errors.length > 0) process.exit(1);
// The bundle's first line is the source's shebang; harmless, but the SEA main is not run as a script file.

writeFileSync(
  join(OUT, 'sea-config.json'),
  JSON.stringify(
    {
      main: relative(OUT, BUNDLE),
      output: relative(OUT, BLOB),
      disableExperimentalSEAWarning: true,
      // Compiled code in the blob: a faster start, tied to this Node version (as the executable is anyway).
      useCodeCache: NODE === process.execPath,
      assets: { [WASM_ASSET]: wasmFile, ...webAssets },
    },
    null,
    2,
  ),
);
execFileSync(process.execPath, ['--experimental-sea-config', 'sea-config.json'], { cwd: OUT, stdio: 'inherit' });

copyFileSync(NODE, EXE);
chmodSync(EXE, 0o755);
const { inject } = require('postject');
await inject(EXE, 'NODE_SEA_BLOB', readFileSync(BLOB), {
  sentinelFuse: FUSE,
  ...(process.platform === 'darwin' ? { machoSegmentName: 'NODE_SEA' } : {}),
});
rmSync(BLOB);

const mb = (f) => (statSync(f).size / 1e6).toFixed(1);
process.stdout.write(`built ${relative(process.cwd(), EXE)} (${mb(EXE)} MB; bundle ${mb(BUNDLE)} MB) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
