// Tests against the real Redis the machine runs (REDIS_URL, else KEYMUX_REDIS_URL, else 127.0.0.1:6379). A Redis
// that does not answer fails the tests that need it, with a message saying so: never a skip, which would let a
// CI without Redis pass without testing anything of it.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisLink } from '../../src/store/redis-link.js';

export const REDIS_URL = process.env.REDIS_URL ?? process.env.KEYMUX_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A prefix no other test file or run uses, so files running in parallel never meet; its keys are deleted after the file. */
export function testPrefix(): string {
  const prefix = `kmxtest:${randomUUID().slice(0, 8)}:`;
  prefixes.push(prefix);
  return prefix;
}
const prefixes: string[] = [];

/** Pings Redis before the file's tests (failing them all if it does not answer), cleans up after them. */
export function useRedis(): { link: () => RedisLink; raw: () => Redis } {
  let link: RedisLink | undefined;
  let raw: Redis | undefined;
  beforeAll(async () => {
    raw = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 2_000, retryStrategy: () => null });
    raw.on('error', () => {});
    try {
      await raw.connect();
      await raw.ping();
    } catch (error) {
      throw new Error(
        `Redis is not answering at ${REDIS_URL} (${(error as Error).message}): these tests need a real Redis. ` +
          'Start one (`redis-server --daemonize yes --port 6379 --save "" --appendonly no`; .ci/run does) or set REDIS_URL.',
      );
    }
    link = await RedisLink.open({ url: REDIS_URL, timeoutMs: 1_000, now: Date.now });
  });
  afterAll(async () => {
    for (const p of prefixes.splice(0)) {
      let cursor = '0';
      do {
        const [next, keys] = await raw!.scan(cursor, 'MATCH', `${p}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await raw!.del(...keys);
      } while (cursor !== '0');
    }
    await link?.close();
    raw?.disconnect();
  });
  return {
    link: () => {
      if (!link) throw new Error('Redis is not connected (see the first failure)');
      return link;
    },
    raw: () => {
      if (!raw) throw new Error('Redis is not connected (see the first failure)');
      return raw;
    },
  };
}
