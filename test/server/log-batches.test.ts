import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { lineBatches } from '../../src/server/events-logger.js';

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('lineBatches: one write per turn of the event loop', () => {
  const dirs: string[] = [];
  const fds: number[] = [];
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function file(): { path: string; fd: number } {
    const dir = mkdtempSync(join(tmpdir(), 'kmx-log-'));
    dirs.push(dir);
    const path = join(dir, 'out.log');
    const fd = openSync(path, 'a');
    fds.push(fd);
    return { path, fd };
  }

  it('gathers the lines of a turn and writes them, in order, when the turn ends', async () => {
    const { path, fd } = file();
    const log = pino({ base: undefined, timestamp: false }, lineBatches(fd));
    log.info({ n: 1 }, 'request');
    log.info({ n: 2 }, 'request');
    log.warn({ n: 3 }, 'request');
    expect(readFileSync(path, 'utf8')).toBe('');
    await turn();
    await turn();
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { n: number; level: number });
    expect(lines.map((l) => l.n)).toEqual([1, 2, 3]);
    expect(lines[2]!.level).toBe(40);
    // A later turn's line is written at that turn's end too: nothing waits for more traffic.
    log.info({ n: 4 }, 'request');
    await turn();
    await turn();
    expect(readFileSync(path, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('writes at once when a turn gathers more than a batch', () => {
    const { path, fd } = file();
    const log = pino({ base: undefined, timestamp: false }, lineBatches(fd));
    const big = 'x'.repeat(6_000);
    for (let i = 0; i < 3; i++) log.info({ big }, 'large');
    // 3 × ~6 KB passed the batch size: written within the turn, nothing left behind but what came after.
    const text = readFileSync(path, 'utf8');
    expect(text.trim().split('\n')).toHaveLength(3);
  });

  it('writes what a turn gathered when the process exits in it', () => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const fixture = fileURLToPath(new URL('./fixtures/log-exit.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', tsx, fixture], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 3]);
  });
});
