// Several `keymux serve` processes on one Redis act as one pool (#14): offered twice the keys' capacity by a
// client spreading requests over them, they keep upstream 429s at or below 2% of upstream requests and get at
// least 95% of the capacity through; with their Redis killed mid-run they keep serving, and resync when it
// returns. The upstream is the project's simulator: per-key request buckets with OpenAI's rate-limit headers.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { startSimulator, type Simulator } from '../sim/index.js';
import { useRedis, REDIS_URL } from '../store/redis-helpers.js';
import { runCli, type Cli } from './cli-helpers.js';
import { scratchDir } from './helpers.js';

const KEYS = ['sk-rep-a', 'sk-rep-b'];
/** Each key's bucket: RPM requests, refilled over a minute (the simulator starts it full). */
const RPM = 300;
/**
 * Upstream latency of the load test. A second, as LLM answers take: each replica's readings are then a second
 * old and blind to what the others sent meanwhile, and without Redis these three replicas sent 5.4% of their
 * upstream requests into 429s at this load (measured by running this test without KEYMUX_REDIS_URL).
 */
const LATENCY_MS = 1_000;
const LONG = 90_000;

useRedis(); // fails the file, with why, when the machine's Redis does not answer
const dir = scratchDir();
afterAll(() => dir.remove());
let clis: Cli[] = [];
let sim: Simulator | undefined;
afterEach(async () => {
  await Promise.all(clis.map((c) => c.stop()));
  clis = [];
  await sim?.close();
  sim = undefined;
});

/** Replicas of one pool: the same keys, one Redis, one prefix; state in memory (a SQLite file each would do too). */
async function replicas(n: number, redisUrl: string, prefix: string, upstream: string): Promise<string[]> {
  const yaml = `queue: { timeoutMs: 3s }\nproviders:\n  openai:\n    keys:\n${KEYS.map((k) => `      - ${k}\n`).join('')}`;
  const config = dir.write('keymux.yaml', yaml);
  clis = Array.from({ length: n }, () =>
    runCli(['serve', '--port', '0', '--config', config], {
      cwd: dir.dir,
      env: { OPENAI_BASE_URL: `${upstream}/v1`, KEYMUX_REDIS_URL: redisUrl, KEYMUX_REDIS_PREFIX: prefix, KEYMUX_STORAGE: 'memory', KEYMUX_LOG_LEVEL: 'info' },
    }),
  );
  const lines = await Promise.all(clis.map((c) => c.waitForLog((l) => typeof l.url === 'string' && String(l.msg).includes('listening'), 30_000)));
  return lines.map((l) => String(l.url));
}

interface Driven {
  sent: number;
  byStatus: Map<number, number>;
}

/** Sends `rps` requests a second for `seconds`, round-robin over the replicas, at even intervals; waits for every answer. */
async function drive(urls: string[], rps: number, seconds: number, during?: (elapsedMs: number) => void): Promise<Driven> {
  const byStatus = new Map<number, number>();
  const pending: Array<Promise<void>> = [];
  const start = performance.now();
  const total = Math.round(rps * seconds);
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1_000) / rps;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    during?.(performance.now() - start);
    const url = urls[i % urls.length]!;
    pending.push(
      fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `r${i}` }] }),
      }).then(
        async (r) => {
          await r.arrayBuffer();
          byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
        },
        () => {
          byStatus.set(0, (byStatus.get(0) ?? 0) + 1);
        },
      ),
    );
  }
  await Promise.all(pending);
  return { sent: total, byStatus };
}

/** What the simulator saw of the chat requests: upstream 200s and 429s, and when the first came. */
function upstream(s: Simulator, until?: number): { requests: number; ok: number; limited: number; first: number } {
  const chats = s.requests.filter((r) => r.path.endsWith('/chat/completions'));
  const first = Math.min(...chats.map((r) => r.at));
  const inWindow = until === undefined ? chats : chats.filter((r) => r.at <= first + until);
  return {
    requests: chats.length,
    ok: inWindow.filter((r) => r.status === 200).length,
    limited: chats.filter((r) => r.status === 429).length,
    first,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

/** A Redis of this test's own (the machine's one serves other tests): started, and killed, at will. */
function privateRedis(port: number): { child: ChildProcess; ready: Promise<void>; stop(): Promise<void> } {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => String(d).includes('Ready to accept connections') && resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code})`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  return { child, ready, stop };
}

describe('replicas on one Redis', () => {
  test('three replicas at 2× the keys’ capacity: ≤ 2% upstream 429s, ≥ 95% of capacity served', { timeout: LONG }, async () => {
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, { rpm: RPM, latencyMs: LATENCY_MS }])) });
    const urls = await replicas(3, REDIS_URL, `kmxtest:${randomUUID().slice(0, 8)}:`, sim.url);
    const seconds = 20;
    // Capacity over the run: each bucket's RPM to start with, and its refill meanwhile.
    const capacity = KEYS.length * (RPM + (RPM * seconds) / 60);
    const d = await drive(urls, (2 * capacity) / seconds, seconds);
    const up = upstream(sim, seconds * 1_000);
    const limitedShare = up.limited / up.requests;
    const goodput = up.ok / capacity;
    console.log(`3 replicas, 2× capacity for ${seconds} s: ${d.sent} sent, answers ${JSON.stringify(Object.fromEntries(d.byStatus))}; upstream ${up.requests} requests, ${up.limited} 429s (${(100 * limitedShare).toFixed(2)}%), ${up.ok} served of a capacity of ${capacity} (${(100 * goodput).toFixed(1)}%)`);
    expect(d.byStatus.get(500) ?? 0).toBe(0);
    expect(limitedShare).toBeLessThanOrEqual(0.02);
    expect(goodput).toBeGreaterThanOrEqual(0.95);
  });

  test('Redis killed mid-run: every replica keeps serving on its share, and resyncs when Redis returns', { timeout: LONG }, async () => {
    const port = await freePort();
    let redis = privateRedis(port);
    await redis.ready;
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, { rpm: RPM }])) });
    const urls = await replicas(2, `redis://127.0.0.1:${port}`, 'keymux:', sim.url);
    const outage = { from: 4_000, to: 9_000 };
    const served: number[] = [];
    let phase = 0;
    const d = await drive(urls, 6, 14, (t) => {
      if (phase === 0 && t >= outage.from) {
        phase = 1;
        void redis.stop();
      } else if (phase === 1 && t >= outage.to) {
        phase = 2;
        redis = privateRedis(port);
      }
    });
    for (const c of clis) await c.waitForLog((l) => String(l.msg).startsWith('redis unreachable'), 5_000);
    for (const c of clis) await c.waitForLog((l) => String(l.msg).startsWith('redis reachable again'), 10_000);
    const chats = sim.requests.filter((r) => r.path.endsWith('/chat/completions') && r.status === 200);
    const start = upstream(sim).first;
    for (const r of chats) served.push(r.at - start);
    console.log(`outage ${outage.from}–${outage.to} ms: answers ${JSON.stringify(Object.fromEntries(d.byStatus))}; upstream 200s during it: ${served.filter((t) => t > outage.from + 500 && t < outage.to).length}`);
    // No request failed for Redis: every answer a success (6 a second is well below the keys' capacity).
    expect(d.byStatus.get(200)).toBe(d.sent);
    expect(served.filter((t) => t > outage.from + 500 && t < outage.to).length).toBeGreaterThan(20);
    await redis.stop();
  });

  test('a replica whose Redis is down at start serves at once, and joins when Redis comes up', { timeout: LONG }, async () => {
    const port = await freePort();
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, { rpm: RPM }])) });
    const [url] = await replicas(1, `redis://127.0.0.1:${port}`, 'keymux:', sim.url);
    const ask = () =>
      fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
    expect((await ask()).status).toBe(200);
    expect(clis[0]!.logs.filter((l) => String(l.msg).startsWith('redis unreachable'))).toHaveLength(1);
    const redis = privateRedis(port);
    await redis.ready;
    await clis[0]!.waitForLog((l) => String(l.msg).startsWith('redis reachable again'), 10_000);
    expect((await ask()).status).toBe(200);
    await redis.stop();
  });
});
