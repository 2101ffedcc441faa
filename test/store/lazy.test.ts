// `import { KeyPool } from 'keymux'` must not load SQLite's WebAssembly: the SQLite store is reached only through a
// dynamic import (src/store/open.ts). Checked on the static import graph of the library's entry point.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

/** Modules a file imports statically for their values (type-only imports and dynamic import() left out). */
function staticImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'([^']+)'/gms)) out.push(m[1]!);
  return out;
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

describe('the library loads no SQLite until a config asks for it', () => {
  it('neither the SQLite store nor its driver is statically reachable from src/index.ts', () => {
    const graph = reachable(resolve(SRC, 'index.ts'));
    expect(graph.has(resolve(SRC, 'server/runtime.ts'))).toBe(true); // the walk does follow the server
    expect(graph.has(resolve(SRC, 'store/open.ts'))).toBe(true);
    expect([...graph].filter((m) => m.includes('sqlite'))).toEqual([]);
  });

  it('the SQLite store itself does import the driver (the walk would see it)', () => {
    expect(reachable(resolve(SRC, 'store/sqlite.ts'))).toContain('node-sqlite3-wasm');
  });
});
