import { Pacer } from './pace.js';
import type { PoolState } from './core.js';
import type { KeyState } from './key-state.js';
import type { Scope } from './quota.js';
import type { KeyId } from './types.js';

/**
 * Two keys' outcomes are compared when their requests were dispatched within this of each other. A shared
 * budget refills one request every few seconds on a free tier (15 a minute: 4 s), so within a second a 429 on
 * one key and a success on the other are almost never both the same budget's.
 */
const NEAR_MS = 1_000;
/**
 * Coincidences (429s on both within NEAR_MS, counted once per burst) before two keys are taken for one project.
 * Once paced, a project's keys meet 429s a few times an hour, so evidence is sparse; but a wrong merge costs
 * more than a late one, and is seldom undone: keys paced as one rarely send within NEAR_MS of each other, so the
 * contradictions that would split them do not come, and every 429 of either cools both. At two, bench:pool
 * merged separate free accounts of e3 (1×, seeds 3 and 5) and of up10 (seed 1) in the first minutes and kept
 * them merged for the hour: balance 0.75, 0.90 and 0.78, against 0.99, 0.91 and 0.98 at three, with c2's shared
 * projects served as before (its seeds 1–6 at 1× and 2× unchanged).
 */
const MIN_TOGETHER = 3;
/** Weight of the doubt in the confidence, together ÷ (together + apart + DOUBT): three coincidences and no contradiction give 0.86. */
const DOUBT = 0.5;
/** Confidence from which keys are merged, and below which a merge is undone. */
const MERGE_AT = 0.75;
const SPLIT_BELOW = 0.5;
/** Contradictions (one refused while the other got through) before a merge is undone. */
const MIN_APART = 3;
/** Name prefix of an inferred group (never a configured or a provider-named one). */
export const INFERRED = 'inferred:';

interface Pair {
  together: number;
  apart: number;
  /** Dispatch time of the last counted coincidence / contradiction: one burst counts once. */
  togetherAt: number;
  apartAt: number;
}

interface Seen {
  /** Dispatch time of the key's last 429'd request and last successful one. */
  limitedAt: number;
  okAt: number;
}

/**
 * Quota groups learned from behaviour. Most providers limit per account or project, and keys keymux was not
 * told share one (PROVIDERS.md): they get 429s together and recover together, and budgeting them apart spends
 * the project's budget three times over. Per pair of keys that are their own group (or in an inferred one),
 * the pool counts bursts where both were refused (together) and moments where one was refused and the other got
 * through a request sent just after (apart: a shared budget was empty then). Enough coincidences with a high
 * confidence merge them into one inferred group, budgeted and paced as one, and said once as an `inferred`
 * event; contradictions that mount later split a key out again. Only where no header names the account and
 * no configuration does: a `group:` the operator writes always wins.
 */
export class GroupInference {
  readonly #seen = new Map<KeyId, Seen>();
  readonly #pairs = new Map<string, Pair>();
  /** Confidence of each inferred group, as last judged. */
  readonly confidence = new Map<string, number>();

  /** A rate-limited (true) or successful (false) request on `k`, dispatched at `at`. */
  observe(p: PoolState, k: KeyState, limited: boolean, at: number, now: number): void {
    if (!eligible(k)) return;
    let me = this.#seen.get(k.id);
    if (!me) this.#seen.set(k.id, (me = { limitedAt: -Infinity, okAt: -Infinity }));
    // A coincidence means something only while other accounts still get through: when every key is refused at
    // once (a flood past the whole pool's capacity), all of them are refused together, sharing or not.
    let through = 0;
    if (limited) {
      for (const o of p.keys) {
        if (o !== k && o.groupScope !== k.groupScope && (this.#seen.get(o.id)?.okAt ?? -Infinity) >= at - NEAR_MS) through++;
      }
    }
    for (const o of p.keys) {
      if (o === k || o.disabled || !eligible(o)) continue;
      const other = this.#seen.get(o.id);
      if (!other) continue;
      const pair = this.#pair(k.id, o.id);
      if (limited) {
        const others = through - (o.groupScope !== k.groupScope && other.okAt >= at - NEAR_MS ? 1 : 0);
        if (others > 0 && Math.abs(at - other.limitedAt) <= NEAR_MS && at - pair.togetherAt > NEAR_MS) {
          pair.together++;
          pair.togetherAt = at;
        }
        // The other got through on a request sent at or after this refused one, within NEAR_MS.
        if (other.okAt >= at && other.okAt - at <= NEAR_MS) this.#apart(pair, at);
      } else if (other.limitedAt <= at && at - other.limitedAt <= NEAR_MS) this.#apart(pair, at);
      this.#judge(p, k, o, pair, now);
    }
    if (limited) me.limitedAt = Math.max(me.limitedAt, at);
    else me.okAt = Math.max(me.okAt, at);
  }

  #apart(pair: Pair, at: number): void {
    if (at - pair.apartAt <= NEAR_MS) return;
    pair.apart++;
    pair.apartAt = at;
  }

  #pair(a: KeyId, b: KeyId): Pair {
    const id = a < b ? `${a}|${b}` : `${b}|${a}`;
    let x = this.#pairs.get(id);
    if (!x) this.#pairs.set(id, (x = { together: 0, apart: 0, togetherAt: -Infinity, apartAt: -Infinity }));
    return x;
  }

  #judge(p: PoolState, a: KeyState, b: KeyState, pair: Pair, now: number): void {
    const c = pair.together / (pair.together + pair.apart + DOUBT);
    const same = a.groupScope === b.groupScope;
    if (!same && pair.together >= MIN_TOGETHER && c >= MERGE_AT && !(fittedAlone(a) && fittedAlone(b)) && this.#specific(p, a, b, pair.together)) {
      this.#merge(p, a, b, c, now);
    }
    else if (same && pair.apart >= MIN_APART && c < SPLIT_BELOW) this.#split(p, b, c, now);
    else if (same) this.confidence.set(a.groupScope.group, Math.round(c * 100) / 100);
  }

  /**
   * Whether a and b are refused together more than either is with the rest: when every account saturates at
   * once (a flood at twice the capacity), all keys are refused together, and that says nothing about who
   * shares. A pair counts only at more than twice the typical (median) coincidences of each with the others.
   */
  #specific(p: PoolState, a: KeyState, b: KeyState, together: number): boolean {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const rest: number[] = [];
      for (const o of p.keys) if (o !== x && o !== y && eligible(o)) rest.push(this.#pairs.get(x.id < o.id ? `${x.id}|${o.id}` : `${o.id}|${x.id}`)?.together ?? 0);
      if (rest.length === 0) continue;
      rest.sort((m, n) => m - n);
      if (together <= 2 * rest[rest.length >> 1]!) return false;
    }
    return true;
  }

  /** b (and its inferred group, if any) joins a's group, or both form a new inferred one. */
  #merge(p: PoolState, a: KeyState, b: KeyState, confidence: number, now: number): void {
    const from = isInferred(b.groupScope) && !isInferred(a.groupScope) ? a : b;
    const into = from === a ? b : a;
    const name = isInferred(into.groupScope) ? into.groupScope.group : `${INFERRED}${into.id < from.id ? into.id : from.id}`;
    const target = p.group(name);
    const moving = isInferred(from.groupScope) ? p.keysOf(from.groupScope) : [from];
    const sources = new Set<Scope>([into.groupScope, ...moving.map((k) => k.groupScope)]);
    sources.delete(target);
    seedPace(target, sources, now);
    if (into.groupScope !== target) into.groupScope = target;
    for (const k of moving) k.groupScope = target;
    this.confidence.set(name, Math.round(confidence * 100) / 100);
    const keyIds = p.keysOf(target).map((k) => k.id);
    p.events.emit('inferred', { group: name, keyIds, confidence: this.confidence.get(name)!, merged: true });
    p.noteRecovery(now);
  }

  /** Later evidence contradicts the merge: the key is its own group again. */
  #split(p: PoolState, k: KeyState, confidence: number, now: number): void {
    const group = k.groupScope.group;
    k.groupScope = p.group(k.id);
    for (const o of p.keysOf(p.group(group))) this.#pairs.delete(k.id < o.id ? `${k.id}|${o.id}` : `${o.id}|${k.id}`);
    const left = p.keysOf(p.group(group));
    if (left.length <= 1) {
      for (const o of left) o.groupScope = p.group(o.id);
      this.confidence.delete(group);
    }
    p.events.emit('inferred', { group, keyIds: [k.id], confidence: Math.round(confidence * 100) / 100, merged: false });
    p.noteRecovery(now);
  }
}

export function isInferred(g: Scope): boolean {
  return g.group.startsWith(INFERRED);
}

/**
 * A key on its own budget whose admissions and refusals that budget alone has explained for a hundred outcomes
 * in a row (fit.ts): keys drawing on a budget they share never settle on a fit, since their refusals follow the
 * others' traffic. Two such keys refused together are two accounts of one size run out at once (bench:pool's
 * e3 merged free keys of separate accounts so), not one project.
 */
function fittedAlone(k: KeyState): boolean {
  const g = k.groupScope;
  if (g.group !== k.id) return false;
  if (g.budget.fitted) return true;
  for (const m of g.models.values()) if (m.budget.fitted) return true;
  return false;
}

/** A key whose group nobody named: its own, or one inferred here. */
function eligible(k: KeyState): boolean {
  return !k.groupConfigured && !k.removed && (k.groupScope.group === k.id || isInferred(k.groupScope));
}

/**
 * The merged group starts from its members' paces added up (each key of a shared project was paced to its share
 * of it), so it neither floods the project nor crawls back from nothing.
 */
function seedPace(target: Scope, sources: Set<Scope>, now: number): void {
  const seed = (t: Scope, pick: (s: Scope) => Scope | undefined) => {
    if (t.budget.known || t.budget.pacer) return;
    let rpm = 0;
    let given = 0;
    for (const s of sources) {
      const p = pick(s)?.budget.pacer;
      rpm += p?.rpm ?? 0;
      given = Math.max(given, p?.share.given ?? 0);
    }
    if (rpm <= 0) return;
    t.budget.pacer = new Pacer(rpm, now, { measured: true });
    // As spent as the most spent of its members: a share of 0 would put the merged project before every other key.
    t.budget.pacer.share.given = given;
  };
  seed(target, (s) => s);
  const models = new Set<string>();
  for (const s of sources) for (const m of s.models.keys()) models.add(m);
  for (const m of models) seed(target.child(m), (s) => s.models.get(m));
}

const inferences = new WeakMap<PoolState, GroupInference>();

export function inferenceOf(p: PoolState): GroupInference {
  let g = inferences.get(p);
  if (!g) inferences.set(p, (g = new GroupInference()));
  return g;
}
