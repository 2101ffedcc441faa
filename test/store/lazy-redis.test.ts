// `import { KeyPool } from 'keymux'`, and a server without KEYMUX_REDIS_URL, load no Redis client: ioredis and the
// Redis store are reached only through the dynamic imports of src/store/redis-open.ts. Checked on the static
// import graph of the library's entry point.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SRC, reachable } from './import-graph.js';

describe('the library loads no Redis client until a config asks for one', () => {
  it('neither ioredis nor the Redis store is statically reachable from src/index.ts', () => {
    const graph = reachable(resolve(SRC, 'index.ts'));
    expect(graph.has(resolve(SRC, 'store/redis-open.ts'))).toBe(true); // the walk does reach the wiring
    expect([...graph].filter((m) => m === 'ioredis' || /redis-(link|store|admission|usage|scripts)\.ts$/.test(m))).toEqual([]);
  });
});
