// `import { KeyPool } from 'keymux'` must not load SQLite's WebAssembly: the SQLite store is reached only through a
// dynamic import (src/store/open.ts). Checked on the static import graph of the library's entry point.
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SRC, reachable } from './import-graph.js';

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
