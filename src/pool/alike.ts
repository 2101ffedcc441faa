import type { PoolState } from './core.js';
import type { Share } from './share.js';

/**
 * How far apart (as a ratio) two paced keys' estimates may be and still be read as one capacity measured with
 * noise: the width (one standard deviation, in log terms) of the kernel that weighs a peer's estimate. Limits
 * found at 429s spread ±15% between identical keys in bench:pool (w1: 3 requests a second, limits measured
 * 144 to 191 rpm), while the capacities a pool really mixes differ by 1.5× (wmix: 60 and 40 rpm) or more: a peer
 * 1.3× away weighs 61%, one 1.5× away 30%, one 2× away 3%, one 3× away nothing worth counting.
 */
const SPREAD = Math.log(1.3);
/** Peers further apart than this (in log terms) are left out: their weight is below 1%. */
const REACH = 3 * SPREAD;

/**
 * Shrinks each paced scope's capacity estimate towards its peers' (`Share#pooled`): the estimates of all the
 * scopes, weighed by how many limits each stands on and by how close it is. A key's own estimate is a mean of
 * noisy limits, and it feeds back: a key measured low is given less, meets its limit less often, and its next
 * limits are lower bounds that cannot correct it (in w1 one key of five stayed at 130 rpm beside 180). Pooled,
 * keys of one capacity are given alike and the one measured low is drawn back to the others; keys of different
 * capacities barely move, since the kernel is narrow next to the gaps between real capacities.
 *
 * Each key still paces itself by its own measure (pace.ts): only what the strategy believes for sharing is
 * pooled. Run when an estimate changed (a fresh 429); O(n²) in the worst case (all alike), n the paced scopes.
 */
export function poolAlike(shares: readonly Share[]): void {
  const own: { share: Share; rpm: number; log: number; n: number; win: number | undefined }[] = [];
  for (const s of shares) {
    const m = s.estimate;
    if (m !== undefined && m > 0) own.push({ share: s, rpm: m, log: Math.log(m), n: s.weight, win: s.fittedWindowMs });
    else s.pooled = undefined;
  }
  own.sort((a, b) => a.log - b.log);
  for (let i = 0; i < own.length; i++) {
    const a = own[i]!;
    let w = 0;
    let sum = 0;
    // Sorted by estimate: walk out from a in both directions until the kernel is negligible.
    for (const dir of [-1, 1]) {
      for (let j = dir < 0 ? i : i + 1; j >= 0 && j < own.length; j += dir) {
        const b = own[j]!;
        if (Math.abs(b.log - a.log) > REACH) break;
        // Fitted to different windows (fit.ts): different kinds of account, not one capacity measured with noise.
        if (a.win !== undefined && b.win !== undefined && a.win !== b.win) continue;
        const z = (b.log - a.log) / SPREAD;
        const wt = b.n * Math.exp(-0.5 * z * z);
        w += wt;
        sum += wt * b.rpm;
      }
    }
    a.share.pooled = w > 0 ? sum / w : undefined;
  }
}

/** Pools the estimates of every paced scope of a pool for one model (group scopes when `model` is undefined). */
export function shareAlike(p: PoolState, model: string | undefined): void {
  const shares: Share[] = [];
  for (const g of p.groups.values()) {
    const s = model === undefined ? g : g.models.get(model);
    const share = s?.budget.pacer?.share;
    if (share) shares.push(share);
  }
  poolAlike(shares);
}
