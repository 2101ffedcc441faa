// The container files, checked without Docker (this machine cannot pull base images, so the image is not built
// here): the Dockerfile passes an offline linter (dockerfile-utils, the validator behind VS Code's Dockerfile
// support; hadolint is not installable here) and has the properties the image promises — multi-stage, built
// and started by the commands test/dist/npm-package.test.ts proves, a non-root user, KEYMUX_DATA_DIR on a
// volume, a health check on /healthz that works — and compose.yaml runs replicas on Redis via KEYMUX_REDIS_URL.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { ROOT } from './helpers.js';

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');

interface Instruction {
  op: string;
  args: string;
}
/** Instructions by stage, continuation lines joined, comments dropped. */
function stages(text: string): Instruction[][] {
  const out: Instruction[][] = [];
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  for (const line of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    const ins = { op: m[1]!.toUpperCase(), args: m[2]!.trim() };
    if (ins.op === 'FROM') out.push([]);
    if (ins.op !== 'ARG' || out.length > 0) out.at(-1)?.push(ins);
  }
  return out;
}
const all = stages(dockerfile);
const final = all.at(-1)!;
const args = (st: Instruction[], op: string): string[] => st.filter((i) => i.op === op).map((i) => i.args);

describe('Dockerfile', () => {
  test('passes the linter with no finding', () => {
    expect(validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  test('multi-stage: built with npm ci and npm pack, installed from the tarball alone, started as keymux serve', () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    const build = all[0]!;
    expect(args(build, 'FROM')[0]).toMatch(/ AS build$/);
    expect(args(build, 'RUN').join('\n')).toMatch(/npm ci\b/);
    expect(args(build, 'RUN').join('\n')).toMatch(/npm pack\b/);
    expect(args(final, 'COPY').join('\n')).toMatch(/--from=build/);
    expect(args(final, 'RUN').join('\n')).toMatch(/npm install -g [^\n]*keymux-\*\.tgz/);
    expect(args(final, 'CMD')).toEqual(['["keymux", "serve"]']);
    // The base image's tag is pinned to the Node major the project supports, never `latest`.
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20-[a-z]+-slim$/m);
  });

  test('runs as a non-root user, keeps KEYMUX_DATA_DIR on a volume it owns, stops with SIGTERM', () => {
    const user = args(final, 'USER');
    expect(user).toHaveLength(1);
    expect(user[0]).not.toMatch(/^(root|0)(:|$)/);
    const env = args(final, 'ENV').join(' ');
    expect(env).toMatch(/KEYMUX_DATA_DIR=\/data\b/);
    expect(env).toMatch(/KEYMUX_HOST=0\.0\.0\.0\b/);
    expect(args(final, 'VOLUME')).toEqual(['["/data"]']);
    expect(args(final, 'RUN').join('\n')).toMatch(/chown node:node \/data/);
    expect(args(final, 'STOPSIGNAL')).toEqual(['SIGTERM']);
    // The user is set after everything that needs root.
    expect(final.findIndex((i) => i.op === 'USER')).toBeGreaterThan(final.findLastIndex((i) => i.op === 'RUN'));
  });

  describe('the health check', () => {
    const hc = args(final, 'HEALTHCHECK');
    const cmd = JSON.parse(/CMD (\[.*\])$/.exec(hc[0] ?? '')?.[1] ?? 'null') as string[] | null;
    let server: KeymuxServer;
    let port = 0;
    beforeAll(async () => {
      server = createServer(loadConfig({ cwd: ROOT + '/no-such-dir', env: { KEYMUX_LOG_LEVEL: 'silent', OPENAI_API_KEYS: 'sk-health' } }));
      port = Number(new URL(await server.listen(0, '127.0.0.1')).port);
    });
    afterAll(() => server.close(1_000));

    // Asynchronously: the server answering it lives in this process.
    const probe = (p: number): Promise<number | null> =>
      new Promise((resolve) => {
        const child = execFile(process.execPath, cmd!.slice(1), { env: { KEYMUX_PORT: String(p) }, timeout: 10_000 });
        child.on('exit', (code) => resolve(code));
      });

    test('is one exec-form command on /healthz, run by the image\'s node', () => {
      expect(hc).toHaveLength(1);
      expect(cmd?.[0]).toBe('node');
      expect(cmd?.join(' ')).toContain('/healthz');
    });

    test('passes against a running keymux on KEYMUX_PORT and fails where none listens', async () => {
      expect(await probe(port)).toBe(0);
      expect(await probe(1)).toBe(1);
    });
  });

  test('.dockerignore keeps local state and build output out of the context', () => {
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'data', '.env', '.git', 'keymux.yaml']) expect(ignored, p).toContain(p);
  });
});

describe('compose.yaml', () => {
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, { build?: string; environment?: Record<string, string>; volumes?: string[]; image?: string; healthcheck?: unknown; stop_grace_period?: string }>;
  };
  const replicas = Object.entries(compose.services).filter(([name]) => name.startsWith('keymux'));

  test('runs several keymux replicas from this Dockerfile, on one Redis through KEYMUX_REDIS_URL', () => {
    expect(replicas.length).toBeGreaterThanOrEqual(2);
    expect(compose.services.redis?.image).toMatch(/^redis:\d/);
    expect(compose.services.redis?.healthcheck).toBeDefined();
    for (const [name, s] of replicas) {
      expect(s.build, name).toBe('.');
      expect(s.environment?.KEYMUX_REDIS_URL, name).toBe('redis://redis:6379');
      expect(s.environment?.KEYMUX_PROXY_KEYS, name).toMatch(/^\$\{KEYMUX_PROXY_KEYS:\?/);
      expect(s.stop_grace_period, name).toBe('35s');
    }
  });

  test('each replica has its own data volume on /data (one keymux per SQLite data dir)', () => {
    const volumes = replicas.map(([, s]) => s.volumes?.find((v) => v.endsWith(':/data')));
    expect(volumes.every(Boolean)).toBe(true);
    expect(new Set(volumes).size).toBe(replicas.length);
  });
});
