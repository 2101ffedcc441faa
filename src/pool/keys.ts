import type { PoolState } from './core.js';
import { keyId } from './ids.js';
import { KeyState } from './key-state.js';
import { orderByTier } from './tiers.js';
import type { KeyConfig, KeyId } from './types.js';

/**
 * Applies a key list (construction and hot reload). Keys are matched by id, so a key that stays keeps its
 * health, counters and group; new keys join; removed keys leave, and those with leases still out are kept in
 * `retired` so their leases keep counting if the key comes back before they end.
 */
export function applyKeys(s: PoolState, retired: Map<KeyId, KeyState>, keys: ReadonlyArray<string | KeyConfig>): void {
  const next: KeyState[] = [];
  const seen = new Set<KeyId>();
  for (const entry of keys) {
    const c: KeyConfig = typeof entry === 'string' ? { key: entry } : entry;
    const id = keyId(c.key);
    if (seen.has(id)) continue; // the same secret twice is one key
    seen.add(id);
    const k = s.byId.get(id) ?? revive(s, retired, id) ?? new KeyState(c.key);
    k.configure(c);
    if (c.group !== undefined && c.group !== '') {
      k.groupConfigured = true;
      k.groupScope = s.group(c.group);
    } else if (k.groupConfigured || !k.groupScope) {
      // No configured group (any more): the key is its own group until a response names its account.
      k.groupConfigured = false;
      k.groupScope = s.group(k.id);
    }
    k.order = next.length;
    k.view.order = k.order;
    next.push(k);
  }
  for (const k of s.keys) {
    if (seen.has(k.id)) continue;
    k.removed = true;
    if (k.inFlight > 0) retired.set(k.id, k);
  }
  s.keys = next;
  s.byTier = orderByTier(next);
  s.tiered = next.some((k) => k.tier !== next[0]!.tier);
  s.byId.clear();
  for (const k of next) s.byId.set(k.id, k);
}

/**
 * A removed key comes back forgotten (health and cooldowns start afresh: removing and re-adding it is how a
 * config change brings a key back), except for its leases still out, which keep counting.
 */
function revive(s: PoolState, retired: Map<KeyId, KeyState>, id: KeyId): KeyState | undefined {
  const k = retired.get(id);
  if (!k) return undefined;
  retired.delete(id);
  k.removed = false;
  k.disabled = undefined;
  k.stateAt = 0;
  k.failStreak = 0;
  k.backoffUntil = 0;
  k.suspectStreak = 0;
  k.groupConfigured = false;
  k.groupScope = s.group(k.id); // its old group may be gone; a configured one is applied by the caller
  return k;
}
