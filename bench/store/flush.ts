// What the SQLite store's batching costs: the in-memory fold per report (on the event loop, per request) and one
// commit (synchronous, on the event loop, once per flushMs). Run: npx tsx bench/store/flush.ts
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { UsageDelta } from '../../src/store/index.js';

const dir = mkdtempSync(join(tmpdir(), 'keymux-bench-store-'));
const store = new SqliteStore({ file: join(dir, 'keymux.db'), flushMs: 3_600_000 });
const at = Date.now();
const delta = (i: number): UsageDelta => ({
  keyId: `key${i % 50}`, model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini', at: at + i, requests: 1, successes: 1,
  inputTokens: 1200, outputTokens: 300, cachedTokens: 200, outcomes: { ok: 1 },
});

for (const [reports, label] of [[1_000, 'warm-up'], [250, '250 reports → 100 rows'], [1_000, '1000 reports → 100 rows'], [10_000, '10000 reports → 100 rows']] as const) {
  const t0 = performance.now();
  for (let i = 0; i < reports; i++) void store.addUsage('openai', [delta(i)]);
  void store.writeState('openai', { kind: 'scope', group: 'g', status: 'cooling', until: at + 60_000, at });
  const t1 = performance.now();
  await store.readUsage('openai', { keyId: 'none' }); // commits what is queued
  const t2 = performance.now();
  if (label !== 'warm-up') {
    console.log(`${label}: fold ${(((t1 - t0) / reports) * 1000).toFixed(2)} µs/report, commit ${(t2 - t1).toFixed(2)} ms`);
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });
