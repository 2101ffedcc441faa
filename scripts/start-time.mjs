#!/usr/bin/env node
// Cold start of `keymux serve`: the time from spawning it to its "keymux listening" log line (SQLite store in a
// fresh data dir, one provider key), and of `keymux --version` to exit; median of N runs each, for the single
// executable (dist/sea/keymux; `npm run build:sea` first) beside `node dist/cli/main.js` (`npm run build`).
//   node scripts/start-time.mjs [runs=15]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.argv[2] ?? 15);
const targets = [
  { name: 'dist/sea/keymux', cmd: join(ROOT, 'dist', 'sea', 'keymux'), args: [] },
  { name: 'node dist/cli/main.js', cmd: process.execPath, args: [join(ROOT, 'dist', 'cli', 'main.js')] },
].filter((t) => existsSync(t.args[0] ?? t.cmd));

function once(t, args, until) {
  const dir = mkdtempSync(join(tmpdir(), 'keymux-start-'));
  return new Promise((res, rej) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(t.cmd, [...t.args, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, OPENAI_API_KEYS: 'sk-start', KEYMUX_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    let ms;
    child.stdout.on('data', (c) => {
      out += c;
      if (ms === undefined && until && out.includes(until)) {
        ms = Number(process.hrtime.bigint() - t0) / 1e6;
        child.kill('SIGTERM');
      }
    });
    child.on('exit', () => {
      ms ??= until ? undefined : Number(process.hrtime.bigint() - t0) / 1e6;
      rmSync(dir, { recursive: true, force: true });
      if (ms === undefined) rej(new Error(`${t.name} ${args.join(' ')} exited without "${until}": ${out}`));
      else res(ms);
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const t of targets) {
  const serve = [];
  const version = [];
  for (let i = 0; i < RUNS; i++) {
    serve.push(await once(t, ['serve', '--port', '0', '--host', '127.0.0.1'], 'keymux listening'));
    version.push(await once(t, ['--version']));
  }
  const size = t.args.length === 0 ? ` (${(statSync(t.cmd).size / 1e6).toFixed(1)} MB)` : '';
  process.stdout.write(
    `${t.name}${size}: serve → "keymux listening" median ${median(serve).toFixed(0)} ms (min ${Math.min(...serve).toFixed(0)}), ` +
      `--version median ${median(version).toFixed(0)} ms, ${RUNS} runs\n`,
  );
}
