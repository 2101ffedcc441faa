import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StateChange, Store } from '../../src/store/index.js';

/** Lets the store's asynchronous notifications arrive. */
const tick = () => new Promise<void>((r) => setImmediate(r));

/**
 * The behaviour every Store must have. Call it from a test file with a factory for a fresh, empty store:
 * `storeContract('sqlite', async () => openSqliteStore(':memory:'))`.
 */
export function storeContract(name: string, makeStore: () => Store | Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await makeStore();
    });
    afterEach(async () => {
      await store.close();
    });

    it('starts empty', async () => {
      expect(await store.loadState('openai', 0)).toEqual({ keys: [], scopes: [] });
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

    it('adds usage per key and model', async () => {
      const d = { keyId: 'k1', model: 'm', requests: 1, successes: 1, inputTokens: 10, outputTokens: 5, outcomes: { ok: 1 } };
      await store.addUsage('openai', [
        { ...d, at: 100 },
        { ...d, at: 200, successes: 0, inputTokens: 0, outputTokens: 0, outcomes: { rate_limited: 1 } },
        { ...d, model: 'n', at: 150 },
      ]);
      await store.addUsage('openai', [{ ...d, keyId: 'k2', at: 300 }]);
      const rows = await store.readUsage('openai', { keyId: 'k1', model: 'm' });
      expect(rows).toEqual([
        { keyId: 'k1', model: 'm', requests: 2, successes: 1, inputTokens: 10, outputTokens: 5, outcomes: { ok: 1, rate_limited: 1 }, firstAt: 100, lastAt: 200 },
      ]);
      expect(await store.readUsage('openai')).toHaveLength(3);
      expect(await store.readUsage('openai', { model: 'n' })).toHaveLength(1);
    });

    it('rejects calls after close, and close is idempotent', async () => {
      await store.close();
      await store.close();
      await expect(store.loadState('openai', 0)).rejects.toThrow();
      await expect(store.writeState('openai', { kind: 'key', keyId: 'k', status: 'active', at: 0 })).rejects.toThrow();
    });
  });
}
