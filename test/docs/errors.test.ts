import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/server/errors.js';

const root = new URL('../../', import.meta.url).pathname;
const doc = readFileSync(join(root, 'docs/errors.md'), 'utf8');
const documented = new Map<string, string>();
for (const m of doc.matchAll(/^\| `(KMX_ERR_[A-Z_]+)` \| ([^|]+) \|/gm)) documented.set(m[1]!, m[2]!.trim());

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  it('every code used in the source is documented in docs/errors.md', () => {
    const used = new Set<string>();
    for (const f of sources(join(root, 'src'))) for (const m of readFileSync(f, 'utf8').matchAll(/KMX_ERR_[A-Z_]+/g)) used.add(m[0]);
    expect(used.size).toBeGreaterThan(10);
    expect([...used].filter((c) => !documented.has(c))).toEqual([]);
  });

  it('the HTTP table and the documentation agree on every status', () => {
    for (const [code, e] of Object.entries(ERROR_CODES)) expect(documented.get(code), code).toBe(String(e.status));
  });

  it('documents no code that no longer exists', () => {
    const all = sources(join(root, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect([...documented.keys()].filter((c) => !all.includes(c))).toEqual([]);
  });
});
