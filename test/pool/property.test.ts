import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AbortError, AllKeysUnavailable, PoolClosedError } from '../../src/pool/index.js';
import type { Lease, Outcome } from '../../src/pool/index.js';
import { fakeKey, flush, makePool, seeded } from './helpers.js';

const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  fc.constant<Outcome>({ kind: 'ok' }),
  fc.record({ remaining: fc.nat(5), resetMs: fc.integer({ min: 0, max: 60_000 }) }).map(
    ({ remaining, resetMs }): Outcome => ({ kind: 'ok', limits: { requests: { limit: 5, remaining, resetMs } } }),
  ),
  fc.option(fc.integer({ min: 0, max: 20_000 }), { nil: undefined }).map((ra): Outcome => ({ kind: 'rate_limited', scope: 'group', ...(ra !== undefined ? { retryAfterMs: ra } : {}) })),
  fc.constant<Outcome>({ kind: 'rate_limited', scope: 'model', retryAfterMs: 3_000 }),
  fc.constant<Outcome>({ kind: 'quota_exhausted', scope: 'group', retryAfterMs: 30_000 }),
  fc.constant<Outcome>({ kind: 'auth_failed' }),
  fc.constant<Outcome>({ kind: 'overloaded' }),
  fc.constant<Outcome>({ kind: 'server_error' }),
  fc.constant<Outcome>({ kind: 'network' }),
  fc.constant<Outcome>({ kind: 'client_error' }),
  fc.constant<Outcome>({ kind: 'cancelled' }),
  fc.constant<Outcome>({ kind: 'ok', group: 'learned-org' }),
);

const opArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('acquire' as const), model: fc.constantFrom('a', 'b'), tokens: fc.nat(3), deadline: fc.option(fc.constantFrom(0, 1_000, 10_000, 60_000), { nil: undefined }), abortable: fc.boolean(), excludeFirst: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('report' as const), i: fc.nat(), outcome: outcomeArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('release' as const), i: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('abort' as const), i: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 15_000 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('enable' as const), i: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('setKeys' as const), n: fc.integer({ min: 1, max: 4 }) }) },
);

describe('property: random acquire/report/release/abort/advance sequences', () => {
  it('never leak a lease, never leave a waiter, keep in-flight counts exact', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), fc.boolean(), fc.integer(), async (ops, nKeys, perModel, seed) => {
        const keyCfg = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 ? { key: fakeKey(i), maxConcurrent: 2, group: i > 1 ? 'shared' : undefined } : { key: fakeKey(i), rpm: 30 }));
        const { pool, clock } = makePool(keyCfg(nKeys), { limitsPerModel: perModel, random: seeded(seed), maxQueue: 5 });
        const held: Lease[] = [];
        const controllers: AbortController[] = [];
        let pending = 0;
        const unexpected: unknown[] = [];

        const check = () => {
          const snap = pool.snapshot();
          for (const k of snap.keys) {
            const mine = held.filter((l) => l.keyId === k.id && !l.released).length;
            expect(k.inFlight).toBe(mine);
          }
        };

        for (const o of ops) {
          switch (o.op) {
            case 'acquire': {
              const ac = o.abortable ? new AbortController() : undefined;
              if (ac) controllers.push(ac);
              const first = pool.snapshot().keys[0]?.id;
              const exclude = o.excludeFirst && first ? new Set([first]) : undefined;
              pending++;
              pool
                .acquire({ model: o.model, estimatedTokens: o.tokens, ...(o.deadline !== undefined ? { deadlineMs: o.deadline } : {}), ...(ac ? { signal: ac.signal } : {}), ...(exclude ? { exclude } : {}) })
                .then(
                  (l) => {
                    if (exclude?.has(l.keyId)) unexpected.push(new Error('picked an excluded key'));
                    held.push(l);
                  },
                  (e: unknown) => {
                    if (!(e instanceof AllKeysUnavailable || e instanceof AbortError || e instanceof PoolClosedError)) unexpected.push(e);
                  },
                )
                .finally(() => pending--);
              break;
            }
            case 'report': {
              const live = held.filter((l) => !l.released);
              live[o.i % Math.max(1, live.length)]?.report(o.outcome);
              break;
            }
            case 'release': {
              const live = held.filter((l) => !l.released);
              live[o.i % Math.max(1, live.length)]?.release();
              break;
            }
            case 'abort':
              controllers[o.i % Math.max(1, controllers.length)]?.abort();
              break;
            case 'advance':
              clock.advance(o.ms);
              break;
            case 'enable': {
              const ks = pool.snapshot().keys;
              const k = ks[o.i % Math.max(1, ks.length)];
              if (k) pool.enable(k.id);
              break;
            }
            case 'setKeys':
              pool.setKeys(keyCfg(o.n));
              break;
          }
          await flush();
          check();
        }

        // Drain: every lease ends, every waiter is served or expires.
        for (let round = 0; round < 50 && (pending > 0 || held.some((l) => !l.released)); round++) {
          for (const l of held) if (!l.released) l.release();
          clock.advance(120_000);
          await flush();
        }
        for (const l of held) l.release();
        await flush();
        expect(unexpected).toEqual([]);
        expect(pending).toBe(0);
        expect(pool.waiting).toBe(0);
        for (const k of pool.snapshot().keys) expect(k.inFlight).toBe(0);
        pool.close();
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 2_000 },
    );
  }, 120_000);
});

describe('property: header-less accounts with random windows, limits, sharing and demand steps', () => {
  it('the learned pace keeps 429s few and serves most of the capacity under overload, whatever the window', async () => {
    const { runWindows, perMs } = await import('./windows-sim.js');
    const account = fc.record({
      windowMs: fc.constantFrom(1_000, 10_000, 60_000),
      limit: fc.integer({ min: 3, max: 40 }),
      keys: fc.integer({ min: 1, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(account, { minLength: 1, maxLength: 3 }),
        fc.array(fc.constantFrom(0.5, 1.5, 3), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 1_000 }),
        async (accounts, loads, seed) => {
          const phase = 4 * 60_000;
          const demand = loads.map((load, i) => ({ atMs: i * phase, load }));
          const r = await runWindows({ accounts, demand, durationMs: loads.length * phase, seed });
          // Every pace is a finite, positive rate.
          for (const k of r.pool.snapshot().keys) {
            const p = k.budgets?.['*']?.pacedRpm;
            if (p !== undefined) expect(Number.isFinite(p) && p >= 1).toBe(true);
          }
          // Few 429s over the run (unpaced, a flood at 3× would spend most attempts on them).
          expect(r.rateLimited / Math.max(1, r.attempts)).toBeLessThan(0.12);
          // Under overload, after the first two minutes of the phase, most of the capacity is served.
          loads.forEach((load, i) => {
            if (load < 1.5) return;
            const from = i * phase + 2 * 60_000;
            let n = 0;
            for (let s = from / 1000; s < (i + 1) * phase / 1000; s++) n += r.ok[s] ?? 0;
            expect(n / (perMs(accounts) * (phase - 2 * 60_000))).toBeGreaterThan(0.75);
          });
          r.pool.close();
          await flush();
        },
      ),
      { numRuns: 8, seed: 18 },
    );
  }, 120_000);
});
