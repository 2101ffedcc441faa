// `npx tsx bench/pool/pick.ts [path/to/other/src/pool …]`
// What one Selector.pick() costs over 50 keys, per key layout, for this checkout's pool and any other given (an
// older checkout's src/pool, e.g. exported with `git archive <commit> src/pool | tar -x -C /tmp/before`): key
// tiers must cost nothing measurable when every key shares one tier. Pure CPU (no clock, no I/O); the pools
// run interleaved, and each figure is the median of 9 runs.
import { fileURLToPath } from 'node:url';
import type { KeyConfig } from '../../src/pool/index.js';
import type { PoolState as State } from '../../src/pool/core.js';

const N = 50;
const PICKS = 200_000;
const key = (i: number) => `sk-bench-${String(i).padStart(4, '0')}-abcdefghijklmnop`;

/** Key layouts: no tier field (as before tiers), all one tier, and 40 tier-1 keys before 10 tier-2 ones. */
const LAYOUTS: Record<string, (i: number) => KeyConfig> = {
  untiered: (i) => ({ key: key(i), rpm: 100 }),
  'one tier (tier: 1)': (i) => ({ key: key(i), rpm: 100, tier: 1 }),
  '40 tier 1 + 10 tier 2': (i) => ({ key: key(i), rpm: 100, tier: i < 40 ? 1 : 2 }),
};

interface Pool {
  core: typeof import('../../src/pool/core.js');
  keys: typeof import('../../src/pool/keys.js');
  select: typeof import('../../src/pool/select.js');
}

async function load(dir: string): Promise<Pool> {
  return { core: await import(`${dir}/core.ts`), keys: await import(`${dir}/keys.ts`), select: await import(`${dir}/select.ts`) };
}

function nsPerPick(p: Pool, layout: (i: number) => KeyConfig): number {
  const s: State = new p.core.PoolState(p.core.settings({ keys: [], random: () => 0.5 }));
  p.keys.applyKeys(s, new Map(), Array.from({ length: N }, (_, i) => layout(i)));
  const sel = new p.select.Selector(s, 'default');
  let found = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < PICKS; i++) if (sel.pick('m', 0, undefined, 1_000 + i) instanceof Object) found++;
  const ns = Number(process.hrtime.bigint() - t0) / PICKS;
  if (found !== PICKS) throw new Error('a pick found nothing');
  return ns;
}

const here = fileURLToPath(new URL('../../src/pool', import.meta.url));
const dirs = [here, ...process.argv.slice(2)];
const pools = await Promise.all(dirs.map(async (d) => [d, await load(d)] as const));
const runs: Record<string, number[]> = {};
for (let r = 0; r < 9; r++) {
  for (const [d, p] of r % 2 ? [...pools].reverse() : pools) {
    for (const [name, layout] of Object.entries(LAYOUTS)) {
      // A pool from before tiers ignores the field: only its untiered layout is worth timing.
      if (d !== here && name !== 'untiered') continue;
      (runs[`${name} — ${d}`] ??= []).push(nsPerPick(p, layout));
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, xs] of Object.entries(runs)) console.log(`${median(xs).toFixed(0).padStart(6)} ns/pick  ${name}`);
