// `import { KeyPool } from 'keymux'`, and a server without KEYMUX_REDIS_URL, load no Redis client: ioredis and the
// Redis store are reached only through the dynamic imports of src/store/redis-open.ts. Checked on the static
// import graph of the library's entry point.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Modules a file imports statically for their values (type-only imports and dynamic import() left out). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gms)].map((m) => m[1]!);
}

function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(file)) {
      if (spec.startsWith('.')) todo.push(resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
      else seen.add(spec);
    }
  }
  return seen;
}

describe('the library loads no Redis client until a config asks for one', () => {
  it('neither ioredis nor the Redis store is statically reachable from src/index.ts', () => {
    const graph = reachable(resolve(SRC, 'index.ts'));
    expect(graph.has(resolve(SRC, 'store/redis-open.ts'))).toBe(true); // the walk does reach the wiring
    expect([...graph].filter((m) => m === 'ioredis' || /redis-(link|store|admission|usage|scripts)\.ts$/.test(m))).toEqual([]);
  });
});
