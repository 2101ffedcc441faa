// `keymux serve` as a real child process: the startup line names the URL; a config file change or SIGHUP
// reloads keys without dropping requests (keys that stay keep their state); SIGTERM drains, then exits 0;
// a bad config file exits non-zero naming the file, line, path and reason.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { runCli, type Cli } from './cli-helpers.js';
import { call, chatBody, openStream, scratchDir } from './helpers.js';

const LONG = 60_000;
const yaml = (keys: string[], extra = '') => `${extra}providers:\n  openai:\n    keys:\n${keys.map((k) => `      - ${k}\n`).join('')}`;

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ keys: { 'sk-a': {}, 'sk-b': {}, 'sk-dead': { revoked: true }, 'sk-slow': { latencyMs: 1_500, chunkDelayMs: 300 } } });
});
afterAll(() => sim.close());

let cli: Cli | undefined;
const dir = scratchDir();
afterEach(async () => {
  await cli?.stop();
  cli = undefined;
});
afterAll(() => dir.remove());

async function serve(file: string): Promise<{ cli: Cli; url: string; path: string }> {
  const path = dir.write('keymux.yaml', file);
  cli = runCli(['serve', '--port', '0', '--config', path], {
    cwd: dir.dir,
    env: { OPENAI_BASE_URL: `${sim.url}/v1`, KEYMUX_LOG_LEVEL: 'info' },
  });
  const line = await cli.waitForLog((l) => typeof l.url === 'string' && String(l.msg).includes('listening'), 30_000);
  return { cli, url: line.url as string, path };
}

const providerKeys = async (url: string) => (await call(url, '/v1/providers')).json.data[0] as { keys: number; status: Record<string, number> };

describe('keymux serve (CLI)', () => {
  test('prints its URL in the startup log line and serves through it', { timeout: LONG }, async () => {
    const { url, cli: c } = await serve(yaml(['sk-a']));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const start = c.logs.find((l) => l.url === url)!;
    expect(start).toMatchObject({ level: 30, providers: ['openai (1 key)'] });
    const r = await call(url, '/v1/chat/completions', chatBody('via cli'));
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: via cli');
    await c.waitForLog((l) => l.msg === 'request' && l.status === 200);
    expect(JSON.stringify(c.logs)).not.toContain('sk-a"');
  });

  test('a config file change reloads the keys', { timeout: LONG }, async () => {
    const { url, path, cli: c } = await serve(yaml(['sk-a']));
    expect((await providerKeys(url)).keys).toBe(1);
    writeFileSync(path, yaml(['sk-a', 'sk-b']));
    await c.waitForLog((l) => l.msg === 'configuration reloaded');
    expect((await providerKeys(url)).keys).toBe(2);
  });

  test('an editor-style save (write a temp file, rename over the config) reloads, again and again', { timeout: LONG }, async () => {
    const { url, path, cli: c } = await serve(yaml(['sk-a']));
    const reloads = () => c.logs.filter((l) => l.msg === 'configuration reloaded').length;
    const tmp = join(dir.dir, '.keymux.yaml.swp');
    writeFileSync(tmp, yaml(['sk-a', 'sk-b']));
    renameSync(tmp, path);
    await c.waitForLog(() => reloads() >= 1);
    expect((await providerKeys(url)).keys).toBe(2);
    writeFileSync(tmp, yaml(['sk-b']));
    renameSync(tmp, path);
    await c.waitForLog(() => reloads() >= 2);
    expect((await providerKeys(url)).keys).toBe(1);
  });

  test('SIGHUP reloads; a key that stays keeps its state (disabled stays disabled)', { timeout: LONG }, async () => {
    const { url, path, cli: c } = await serve(yaml(['sk-dead', 'sk-a'], 'strategy: round-robin\n'));
    expect((await call(url, '/v1/chat/completions', chatBody('x'))).status).toBe(200);
    expect((await providerKeys(url)).status.disabled).toBe(1);
    // The watcher may see this write too; SIGHUP must reload in any case.
    writeFileSync(path, yaml(['sk-dead', 'sk-a', 'sk-b'], 'strategy: round-robin\n'));
    c.signal('SIGHUP');
    await c.waitForLog((l) => l.msg === 'configuration reloaded' && l.why === 'SIGHUP');
    const p = await providerKeys(url);
    expect(p.keys).toBe(3);
    expect(p.status.disabled).toBe(1);
  });

  test('a bad config file on reload keeps the running configuration', { timeout: LONG }, async () => {
    const { url, path, cli: c } = await serve(yaml(['sk-a']));
    writeFileSync(path, 'retry:\n  maxAttempts: lots\n');
    const err = await c.waitForLog((l) => l.msg === 'configuration not reloaded: the running one stays');
    expect(String(err.error)).toContain('retry.maxAttempts');
    expect((await call(url, '/v1/chat/completions', chatBody('still'))).status).toBe(200);
  });

  test('reloads do not drop in-flight requests', { timeout: LONG }, async () => {
    const { url, path, cli: c } = await serve(yaml(['sk-slow']));
    const before = sim.requests.length;
    const slow = call(url, '/v1/chat/completions', chatBody('slow one'));
    const s = await openStream(url, '/v1/chat/completions', chatBody('a b c d e f', { stream: true }));
    await sim.waitFor((q) => sim.requests.indexOf(q) >= before && q.key === 'sk-slow' && q.stream, 10_000);
    writeFileSync(path, yaml(['sk-a', 'sk-b']));
    await c.waitForLog((l) => l.msg === 'configuration reloaded');
    c.signal('SIGHUP');
    await c.waitForLog((l) => l.why === 'SIGHUP');
    const text = await s.readAll();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const r = await slow;
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: slow one');
  });

  test('hot reload under load: file changes and SIGHUPs amid concurrent requests lose none', { timeout: LONG }, async () => {
    // Every request starts on the slow key, so they are all still flowing when the reloads land.
    const { url, path, cli: c } = await serve(yaml(['sk-slow']));
    const reloads = () => c.logs.filter((l) => l.msg === 'configuration reloaded').length;
    const N = 16;
    const before = sim.requests.length;
    const requests = Array.from({ length: N }, (_, i) =>
      call(url, '/v1/chat/completions', chatBody(`cli load ${i} a b c`, { stream: i % 2 === 0, model: i % 4 < 2 ? 'gpt-4o-mini' : 'gpt-4o' })),
    );
    await sim.waitFor(() => sim.requests.length >= before + N, 20_000);
    const unfinished = () => sim.requests.slice(before).filter((q) => !q.done).length;
    expect(unfinished()).toBeGreaterThan(0);
    const sets = [['sk-b', 'sk-slow'], ['sk-a'], ['sk-a', 'sk-b', 'sk-slow']];
    for (const [j, keys] of sets.entries()) {
      writeFileSync(path, yaml(keys, `strategy: ${j % 2 ? 'round-robin' : 'least-used'}\n`));
      await c.waitForLog(() => reloads() >= 2 * j + 1);
      c.signal('SIGHUP');
      await c.waitForLog(() => reloads() >= 2 * j + 2);
    }
    const results = await Promise.all(requests);
    results.forEach((r, i) => {
      expect(r.status, `request ${i}`).toBe(200);
      if (i % 2 === 0) expect(r.events.at(-1)?.data, `request ${i}`).toBe('[DONE]');
      else expect(r.json.choices[0].message.content, `request ${i}`).toBe(`echo: cli load ${i} a b c`);
    });
    expect((await providerKeys(url)).keys).toBe(3);
  });

  test('a reload that drops the proxy keys while listening on 0.0.0.0 is refused, at error level: the keys stay', { timeout: LONG }, async () => {
    const withKeys = (keys: string[]) => `proxyKeys: [ kmx-secret ]\n${yaml(keys)}`;
    const { url: bound, path, cli: c } = await serve(withKeys(['sk-a']));
    // Proxy keys make 0.0.0.0 the default host: the socket is reachable from other hosts.
    expect(bound).toMatch(/^http:\/\/0\.0\.0\.0:\d+$/);
    const url = bound.replace('0.0.0.0', '127.0.0.1');
    const key = { headers: { authorization: 'Bearer kmx-secret' } };
    expect((await call(url, '/v1/chat/completions', chatBody('keyless'))).status).toBe(401);
    writeFileSync(path, yaml(['sk-a', 'sk-b']));
    const err = await c.waitForLog((l) => l.msg === 'configuration not reloaded: the running one stays');
    expect(err.level).toBe(50);
    expect(String(err.error)).toMatch(/no proxy keys.*0\.0\.0\.0/);
    expect((await call(url, '/v1/chat/completions', chatBody('still keyless'))).status).toBe(401);
    expect((await call(url, '/v1/providers', undefined, key)).json.data[0].keys).toBe(1);
    // SIGHUP takes the same path.
    c.signal('SIGHUP');
    await c.waitForLog((l) => l.msg === 'configuration not reloaded: the running one stays' && l.why === 'SIGHUP');
    expect((await call(url, '/v1/chat/completions', chatBody('keyless again'))).status).toBe(401);
    // A config that keeps keys reloads as ever.
    writeFileSync(path, withKeys(['sk-a', 'sk-b']));
    await c.waitForLog((l) => l.msg === 'configuration reloaded');
    expect((await call(url, '/v1/providers', undefined, key)).json.data[0].keys).toBe(2);
    expect((await call(url, '/v1/chat/completions', chatBody('with key'), key)).status).toBe(200);
  });

  test('the startup line shows a base URL without its credentials; no log line has them', { timeout: LONG }, async () => {
    const path = dir.write('keymux.yaml', yaml(['sk-a']));
    cli = runCli(['serve', '--port', '0', '--config', path], {
      cwd: dir.dir,
      env: { OPENAI_BASE_URL: `http://alice:s3cret@${new URL(sim.url).host}/v1`, KEYMUX_LOG_LEVEL: 'info' },
    });
    const line = await cli.waitForLog((l) => typeof l.url === 'string' && String(l.msg).includes('listening'), 30_000);
    expect(line.baseUrls).toEqual({ openai: `http://${new URL(sim.url).host}/v1` });
    expect((await call(line.url as string, '/v1/chat/completions', chatBody('creds'))).status).toBe(200);
    await cli.waitForLog((l) => l.msg === 'request' && l.status === 200);
    expect(JSON.stringify(cli.logs)).not.toMatch(/s3cret|alice/);
  });

  test('SIGTERM drains in-flight requests, then exits 0', { timeout: LONG }, async () => {
    const { url, cli: c } = await serve(yaml(['sk-slow']));
    const before = sim.requests.length;
    const pending = call(url, '/v1/chat/completions', chatBody('finish me'));
    const s = await openStream(url, '/v1/chat/completions', chatBody('a b c d e f', { stream: true }));
    await sim.waitFor((q) => sim.requests.indexOf(q) >= before && q.key === 'sk-slow' && !q.stream, 10_000);
    c.signal('SIGTERM');
    await c.waitForLog((l) => l.signal === 'SIGTERM');
    const r = await pending;
    expect(r.status).toBe(200);
    expect(r.json.choices[0].message.content).toBe('echo: finish me');
    const text = await s.readAll();
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const { code } = await c.exited;
    expect(code).toBe(0);
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  test('a bad config file: non-zero exit, stderr names the file, line, path and reason', { timeout: LONG }, async () => {
    const path = dir.write('bad.yaml', 'server:\n  port: 8080\nretry:\n  maxAttempts: many\n');
    cli = runCli(['serve', '--config', path], { cwd: dir.dir, env: { OPENAI_API_KEYS: 'sk-a' } });
    const { code } = await cli.exited;
    expect(code).not.toBe(0);
    const err = cli.stderr();
    expect(err).toContain('bad.yaml:4');
    expect(err).toContain('retry.maxAttempts');
    expect(err).toMatch(/whole number/);
    expect(err).not.toContain('sk-a');
  });

  test('a port in use: exit 1 with a one-line reason', { timeout: LONG }, async () => {
    const taken = new URL(sim.url).port;
    cli = runCli(['serve', '--port', taken], { cwd: dir.dir, env: { OPENAI_API_KEYS: 'sk-a' } });
    expect((await cli.exited).code).toBe(1);
    expect(cli.stderr()).toContain('cannot listen');
    expect(cli.stderr()).toContain('EADDRINUSE');
    expect(cli.stderr()).not.toContain('    at ');
  });

  test('an unknown flag or port is refused with a usage message', { timeout: LONG }, async () => {
    cli = runCli(['serve', '--port', 'abc'], { cwd: dir.dir, env: {} });
    const { code } = await cli.exited;
    expect(code).toBe(2);
    expect(cli.stderr()).toContain('--port');
    cli = runCli(['serve', '--prot', '1'], { cwd: dir.dir, env: {} });
    expect((await cli.exited).code).toBe(2);
    expect(cli.stderr()).toContain("Unknown option '--prot'");
    expect(cli.stderr()).toContain('Usage:');
    expect(cli.stderr()).not.toContain('    at ');
  });
});
