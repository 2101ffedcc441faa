// Key tiers (issue #19): ten free keys at tier 1 with a small rpm each, one paid key at tier 2, over the
// simulator. The paid key takes nothing while the free ones have room, and the overflow when they have none,
// with no client error; /v1/providers, /admin/keys, /admin/stats and /admin/usage show the tiers.
import { afterEach, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { call, chatBody, start, type Harness, type Reply } from './helpers.js';

const ADMIN = 'adm-tiers-secret-0123456789';
const FREE = Array.from({ length: 10 }, (_, i) => `sk-free-${String(i).padStart(2, '0')}-aaaaaaaaaaaa`);
const PAID = 'sk-paid-00-bbbbbbbbbbbbbbbb';
const RPM = 3;

const yaml = [
  'providers:',
  '  openai:',
  '    keys:',
  ...FREE.map((k) => `      - { key: ${k}, rpm: ${RPM}, label: free }`),
  `      - { key: ${PAID}, tier: 2, label: paid }`,
].join('\n');

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function startTiers(): Promise<Harness> {
  // Each key its own account (the simulator names one organisation for keys of no group, and keymux would
  // then rightly budget them as one).
  const keys = Object.fromEntries([...FREE.map((k, i) => [k, { rpm: RPM, group: `org-free-${i}` }]), [PAID, { group: 'org-paid' }]]);
  return start({ sim: { keys }, env: (sim) => ({ OPENAI_BASE_URL: `${sim.url}/v1`, KEYMUX_ADMIN_KEY: ADMIN }), file: yaml });
}

const ask = (i: number) => call(h!.url, '/v1/chat/completions', chatBody(`question ${i}`));
const admin = (path: string) => call(h!.url, path, undefined, { headers: { authorization: `Bearer ${ADMIN}` } });
const upstream = () => h!.sim.countsByKey();

describe('key tiers over the simulator', () => {
  test('light load: the tier-2 key gets no upstream request while tier-1 keys have room', async () => {
    h = await startTiers();
    const replies: Reply[] = [];
    for (let i = 0; i < 10; i++) replies.push(await ask(i));
    replies.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => ask(10 + i)))));
    expect(replies.map((r) => r.status)).toEqual(Array(20).fill(200));
    const counts = upstream();
    expect(counts[PAID] ?? 0).toBe(0);
    expect(FREE.reduce((n, k) => n + (counts[k] ?? 0), 0)).toBe(20);
    expect(replies.every((r) => r.headers.get('x-keymux-key') !== keyId(PAID))).toBe(true);
  });

  test('load beyond tier-1 capacity: the tier-2 key takes the overflow, no client errors, no 429 upstream', { timeout: 30_000 }, async () => {
    h = await startTiers();
    const n = 60;
    const replies = await Promise.all(Array.from({ length: n }, (_, i) => ask(i)));
    expect(replies.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    const counts = upstream();
    // Each free key takes what its rpm allows in this minute, the paid key the rest.
    for (const k of FREE) expect(counts[k]).toBe(RPM);
    expect(counts[PAID]).toBe(n - FREE.length * RPM);
    expect(h.sim.requests.filter((r) => r.status !== 200)).toEqual([]);

    // Where operators look: the tier of each key and the overflow's share.
    const providers = (await call(h.url, '/v1/providers')).json.data[0];
    expect(providers.tiers).toEqual([
      { tier: 1, keys: 10, status: { active: 10, cooling: 0, exhausted: 0, disabled: 0 } },
      { tier: 2, keys: 1, status: { active: 1, cooling: 0, exhausted: 0, disabled: 0 } },
    ]);
    const keys = (await admin('/admin/keys')).json.keys as Array<{ id: string; tier: number }>;
    expect(keys.find((k) => k.id === keyId(PAID))?.tier).toBe(2);
    expect(keys.filter((k) => k.tier === 1)).toHaveLength(10);

    // Usage is written behind the requests: poll until it is all there.
    let byTier: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100; i++) {
      byTier = (await admin('/admin/stats')).json.providers[0].byTier;
      if (byTier.reduce((s, t) => s + Number(t.requests), 0) === n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(byTier).toEqual([
      expect.objectContaining({ tier: 1, keys: 10, requests: 30, successes: 30, errors: 0 }),
      expect.objectContaining({ tier: 2, keys: 1, requests: 30, successes: 30, errors: 0 }),
    ]);
    expect(byTier[1]!.inputTokens).toBeGreaterThan(0);
    const usage = (await admin('/admin/usage?by=tier')).json.rows as Array<Record<string, unknown>>;
    expect(usage.map((r) => [r.provider, r.tier, r.requests]).sort()).toEqual([
      ['openai', 1, 30],
      ['openai', 2, 30],
    ]);
    for (const r of [JSON.stringify(providers), JSON.stringify(keys), JSON.stringify(byTier), JSON.stringify(usage)]) {
      for (const secret of [...FREE, PAID]) expect(r).not.toContain(secret);
    }
  });
});
