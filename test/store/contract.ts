import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LearnedRecord, StateChange, Store, UsageDelta } from '../../src/store/index.js';
import type { PriceOverrides } from '../../src/store/prices.js';

/** Lets the store's asynchronous notifications arrive. */
const tick = () => new Promise<void>((r) => setImmediate(r));

const HOUR = 3_600_000;
/** 2025-06-01T10:00Z: a whole hour, so offsets below land in known hours. */
const T = Date.UTC(2025, 5, 1, 10);

export interface StoreFactoryOptions {
  prices?: PriceOverrides;
}

/**
 * The behaviour every Store must have. Call it from a test file with a factory for a fresh, empty store:
 * `storeContract('sqlite', (opts) => new SqliteStore({ file: tempFile(), ...opts }))`.
 */
export function storeContract(name: string, makeStore: (opts?: StoreFactoryOptions) => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.loadState('openai', 0)).toEqual({ keys: [], scopes: [], learned: [] });
      expect(await store.readUsage('openai')).toEqual([]);
    });

    it('remembers a disabled key, then its enabling (last writer wins by time)', async () => {
      await store.writeState('openai', { kind: 'key', keyId: 'k1', status: 'disabled', reason: 'invalid_api_key', at: 100 });
      expect((await store.loadState('openai', 200)).keys).toEqual([{ keyId: 'k1', status: 'disabled', reason: 'invalid_api_key', at: 100 }]);
      await store.writeState('openai', { kind: 'key', keyId: 'k1', status: 'active', at: 300 });
      expect((await store.loadState('openai', 400)).keys).toEqual([{ keyId: 'k1', status: 'active', at: 300 }]);
      await store.writeState('openai', { kind: 'key', keyId: 'k1', status: 'disabled', at: 250 }); // stale
      expect((await store.loadState('openai', 400)).keys[0]!.status).toBe('active');
    });

    it('keeps a learned group with the key', async () => {
      await store.writeState('openai', { kind: 'group', keyId: 'k1', group: 'org-1', at: 10 });
      expect((await store.loadState('openai', 20)).keys).toEqual([expect.objectContaining({ keyId: 'k1', group: 'org-1' })]);
      await store.writeState('openai', { kind: 'key', keyId: 'k1', status: 'disabled', at: 30 });
      expect((await store.loadState('openai', 40)).keys).toEqual([expect.objectContaining({ keyId: 'k1', group: 'org-1', status: 'disabled' })]);
    });

    it('returns scopes only while they are out', async () => {
      await store.writeState('gemini', { kind: 'scope', group: 'p1', model: 'flash', status: 'cooling', until: 1_000, reason: 'rpm', at: 0 });
      await store.writeState('gemini', { kind: 'scope', group: 'p2', status: 'exhausted', until: 90_000, at: 0 });
      expect((await store.loadState('gemini', 500)).scopes).toEqual(
        expect.arrayContaining([
          { group: 'p1', model: 'flash', status: 'cooling', until: 1_000, reason: 'rpm', at: 0 },
          { group: 'p2', status: 'exhausted', until: 90_000, at: 0 },
        ]),
      );
      expect((await store.loadState('gemini', 1_000)).scopes).toEqual([{ group: 'p2', status: 'exhausted', until: 90_000, at: 0 }]);
      await store.writeState('gemini', { kind: 'scope', group: 'p2', status: 'active', at: 2_000 });
      expect((await store.loadState('gemini', 2_001)).scopes).toEqual([]);
    });

    it('keeps providers apart', async () => {
      await store.writeState('a', { kind: 'key', keyId: 'k', status: 'disabled', at: 1 });
      expect((await store.loadState('b', 2)).keys).toEqual([]);
    });

    it('tells subscribers of the provider about every change, until they unsubscribe', async () => {
      const seen: StateChange[] = [];
      const other: StateChange[] = [];
      const off = store.subscribe('openai', (c) => seen.push(c));
      store.subscribe('anthropic', (c) => other.push(c));
      const change: StateChange = { kind: 'scope', group: 'g', status: 'cooling', until: 50, at: 1, origin: 'replica-a' };
      await store.writeState('openai', change);
      await tick();
      expect(seen).toEqual([change]);
      off();
      await store.writeState('openai', { kind: 'key', keyId: 'k', status: 'disabled', at: 2 });
      await tick();
      expect(seen).toHaveLength(1);
      expect(other).toEqual([]);
    });

    it('adds usage per key, model and hour', async () => {
      const d: UsageDelta = { keyId: 'k1', model: 'm', at: T, requests: 1, successes: 1, inputTokens: 10, outputTokens: 5, cachedTokens: 4, outcomes: { ok: 1 } };
      await store.addUsage('openai', [
        { ...d, at: T + 100 },
        { ...d, at: T + 200, successes: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, outcomes: { rate_limited: 1 } },
        { ...d, model: 'n', at: T + 150 },
      ]);
      await store.addUsage('openai', [{ ...d, keyId: 'k2', at: T + 300 }, { ...d, at: T + HOUR + 5 }]);
      await store.addUsage('openai', [{ ...d, at: T + 50, outcomes: { ok: 1 } }]);
      const rows = await store.readUsage('openai', { keyId: 'k1', model: 'm' });
      expect(rows.sort((a, b) => a.hour - b.hour)).toEqual([
        {
          keyId: 'k1', model: 'm', hour: T, requests: 3, successes: 2, inputTokens: 20, outputTokens: 10, cachedTokens: 8,
          outcomes: { ok: 2, rate_limited: 1 }, costUsd: 0, priced: false, firstAt: T + 50, lastAt: T + 200,
        },
        expect.objectContaining({ hour: T + HOUR, requests: 1, firstAt: T + HOUR + 5, lastAt: T + HOUR + 5 }),
      ]);
      expect(await store.readUsage('openai')).toHaveLength(4);
      expect(await store.readUsage('openai', { model: 'n' })).toHaveLength(1);
      expect(await store.readUsage('openai', { from: T + HOUR })).toEqual([expect.objectContaining({ keyId: 'k1', hour: T + HOUR })]);
      expect(await store.readUsage('openai', { to: T + HOUR })).toHaveLength(3);
      expect(await store.readUsage('anthropic')).toEqual([]);
    });

    it('prices usage from the table, a config override over it; an unknown model costs nothing and says so', async () => {
      store = await swap(store, () => makeStore({ prices: { 'openai/my-tuned': { input: 1, output: 2 } } }));
      const d: UsageDelta = { keyId: 'k', model: 'gpt-4o-2024-08-06', at: T, requests: 1, successes: 1, inputTokens: 1_000_000, outputTokens: 100_000, cachedTokens: 400_000, outcomes: { ok: 1 } };
      await store.addUsage('openai', [d, { ...d, model: 'my-tuned' }, { ...d, model: 'mystery-1' }]);
      const byModel = Object.fromEntries((await store.readUsage('openai')).map((r) => [r.model, r]));
      // gpt-4o: 600k input at $2.50/M + 400k cached at $1.25/M + 100k output at $10/M.
      expect(byModel['gpt-4o-2024-08-06']).toMatchObject({ priced: true });
      expect(byModel['gpt-4o-2024-08-06']!.costUsd).toBeCloseTo(1.5 + 0.5 + 1, 9);
      expect(byModel['my-tuned']!.costUsd).toBeCloseTo(1 + 0.2, 9);
      expect(byModel['mystery-1']).toMatchObject({ costUsd: 0, priced: false });
    });

    it('keeps learned limits per (group, model), last writer wins by time, not told to subscribers', async () => {
      const seen: StateChange[] = [];
      store.subscribe('openai', (c) => seen.push(c));
      const r: LearnedRecord = {
        group: 'org', model: 'gpt', at: 100,
        requests: { limit: 500, ratePerMs: 500 / 60_000, level: 120.5, at: 100 },
        requestsPerDay: { limit: 1000, remaining: 10, resetAt: 86_400_000 },
      };
      await store.saveLearned('openai', [r, { group: 'org', at: 100, pacedRpm: 12, maxConcurrent: 2, maxConcurrentUntil: 400 }]);
      await store.saveLearned('openai', [{ ...r, at: 50, pacedRpm: 1 }]); // stale
      const { learned } = await store.loadState('openai', 200);
      expect(learned).toEqual(expect.arrayContaining([r, { group: 'org', at: 100, pacedRpm: 12, maxConcurrent: 2, maxConcurrentUntil: 400 }]));
      expect(learned).toHaveLength(2);
      await store.saveLearned('openai', [{ group: 'org', model: 'gpt', at: 300, pacedRpm: 7 }]);
      expect((await store.loadState('openai', 300)).learned).toContainEqual({ group: 'org', model: 'gpt', at: 300, pacedRpm: 7 });
      expect((await store.loadState('other', 300)).learned).toEqual([]);
      await tick();
      expect(seen).toEqual([]);
    });

    it('keeps a group scope and its model scopes apart', async () => {
      await store.writeState('openai', { kind: 'scope', group: 'g', status: 'cooling', until: 100, at: 1 });
      await store.writeState('openai', { kind: 'scope', group: 'g', model: 'm', status: 'exhausted', until: 5_000, at: 1 });
      await store.writeState('openai', { kind: 'scope', group: 'g', model: 'm', status: 'cooling', until: 10, at: 0 }); // stale
      expect((await store.loadState('openai', 50)).scopes).toHaveLength(2);
      expect((await store.loadState('openai', 100)).scopes).toEqual([{ group: 'g', model: 'm', status: 'exhausted', until: 5_000, at: 1 }]);
    });

    it('added keys: kept sealed as given, replaced by id, listed oldest first, deleted', async () => {
      // A store without them cannot keep keys added through the admin API: every store must have them.
      if (!store.putKey || !store.listKeys || !store.deleteKey) throw new Error(`${name} has no added-key methods`);
      expect(await store.listKeys()).toEqual([]);
      await store.putKey({ provider: 'openai', keyId: 'k2', sealed: 'v1:aaa', label: 'team', group: 'org', addedAt: 20 });
      await store.putKey({ provider: 'gemini', keyId: 'k1', sealed: 'v1:bbb', addedAt: 10 });
      await store.putKey({ provider: 'openai', keyId: 'k2', sealed: 'v1:ccc', addedAt: 20 });
      expect(await store.listKeys()).toEqual([
        { provider: 'gemini', keyId: 'k1', sealed: 'v1:bbb', addedAt: 10 },
        { provider: 'openai', keyId: 'k2', sealed: 'v1:ccc', addedAt: 20 },
      ]);
      expect(await store.deleteKey('openai', 'k1')).toBe(false); // another provider's id
      expect(await store.deleteKey('openai', 'k2')).toBe(true);
      expect(await store.listKeys()).toEqual([{ provider: 'gemini', keyId: 'k1', sealed: 'v1:bbb', addedAt: 10 }]);
    });

    it('client usage: totals per (client, provider, model, hour), priced, filtered by client and time', async () => {
      if (!store.addClientUsage || !store.readClientUsage) throw new Error(`${name} has no client usage methods`);
      const d = { provider: 'openai', model: 'gpt-4o', requests: 1, successes: 1, inputTokens: 1_000_000, outputTokens: 0, cachedTokens: 0 };
      await store.addClientUsage([{ ...d, client: 'c1', at: T }, { ...d, client: 'c1', at: T + 10 }, { ...d, client: 'c2', at: T + HOUR, successes: 0 }]);
      const rows = await store.readClientUsage();
      expect(rows).toHaveLength(2);
      expect(rows).toContainEqual(expect.objectContaining({ client: 'c1', provider: 'openai', model: 'gpt-4o', hour: T, requests: 2, successes: 2, inputTokens: 2_000_000 }));
      expect(rows.find((r) => r.client === 'c1')!.costUsd).toBeGreaterThan(0);
      expect(await store.readClientUsage({ client: 'c2' })).toEqual([expect.objectContaining({ client: 'c2', hour: T + HOUR, successes: 0 })]);
      expect(await store.readClientUsage({ from: T + HOUR })).toHaveLength(1);
      expect(await store.readClientUsage({ to: T + HOUR })).toEqual([expect.objectContaining({ client: 'c1' })]);
    });

    it('rejects calls after close, and close is idempotent', async () => {
      await store.close();
      await store.close();
      await expect(store.loadState('openai', 0)).rejects.toThrow();
      await expect(store.writeState('openai', { kind: 'key', keyId: 'k', status: 'active', at: 0 })).rejects.toThrow();
      await expect(store.saveLearned('openai', [{ group: 'g', at: 0, pacedRpm: 1 }])).rejects.toThrow();
      await expect(store.readUsage('openai')).rejects.toThrow();
    });
  });
}

/** Closes a store and makes another (the factory with options). */
async function swap(old: Store, make: () => Store | Promise<Store>): Promise<Store> {
  await old.close();
  return make();
}
