import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Admission, AdmitAnswer, AdmitAsk, AdmitGrant, ReleaseFacts } from '../../src/pool/index.js';

const MINUTE = 60_000;
/** A whole minute, so windows below are easy to read. */
const T = Date.UTC(2025, 5, 1, 10);
export const TTL = 10_000;

/** Two replicas on one shared state, as a factory makes them; heartbeat(i, now) renews replica i's leases. */
export interface Replicas {
  a: Admission;
  b: Admission;
  heartbeat(replica: 'a' | 'b', now: number): Promise<void>;
  close(): Promise<void>;
}

const ask = (now: number, over: Partial<AdmitAsk> = {}): AdmitAsk => ({ now, keyId: 'k1', group: 'g1', tokens: 0, marginMs: 0, ...over });

function granted(a: AdmitAnswer): AdmitGrant {
  if (!a.granted) throw new Error(`refused until ${a.readyAt} (${a.hold})`);
  return a.grant;
}

/** A per-minute reading of `level` units left (limit per minute), as a pool hands it over at release. */
const reading = (now: number, level: number, limit = 60): ReleaseFacts => ({ now, requests: { limit, ratePerMs: limit / MINUTE, level, at: now } });

/**
 * What every Admission must do (in memory, in Redis): take budgets and slots atomically across replicas, say
 * when a refusal ends, learn readings net of the dispatches made after them, free the slots of a replica that
 * stops renewing. Time is always the argument.
 */
export function admissionContract(name: string, make: () => Replicas | Promise<Replicas>): void {
  describe(`Admission contract: ${name}`, () => {
    let r: Replicas;
    beforeEach(async () => {
      r = await make();
    });
    afterEach(async () => {
      await r.close();
    });

    it('grants what nothing limits, and counts the group’s leases in flight across replicas', async () => {
      const g1 = granted(await r.a.admit('openai', ask(T)));
      const g2 = granted(await r.b.admit('openai', ask(T, { keyId: 'k2' })));
      expect([g1.groupInFlight, g2.groupInFlight]).toEqual([0, 1]);
      expect(g1.leaseId).not.toBe(g2.leaseId);
      r.a.release('openai', g1, { now: T + 1 });
      await expect.poll(async () => granted(await r.b.admit('openai', ask(T + 2))).groupInFlight).toBeLessThanOrEqual(2);
    });

    it('a configured rpm is one window for all replicas; refused until its oldest entry leaves it', async () => {
      const rpm = { rpm: 3 };
      granted(await r.a.admit('openai', ask(T, rpm)));
      granted(await r.b.admit('openai', ask(T + 1_000, rpm)));
      granted(await r.a.admit('openai', ask(T + 2_000, rpm)));
      expect(await r.b.admit('openai', ask(T + 3_000, rpm))).toEqual({ granted: false, readyAt: T + MINUTE, hold: 'key' });
      // Another key's window is its own.
      granted(await r.b.admit('openai', ask(T + 3_000, { ...rpm, keyId: 'k2' })));
      granted(await r.b.admit('openai', ask(T + MINUTE, rpm)));
    });

    it('a configured rpd is one count for all replicas per UTC day: full, refused until 00:00 UTC', async () => {
      const rpd = { rpd: 2 };
      granted(await r.a.admit('openai', ask(T, rpd)));
      granted(await r.b.admit('openai', ask(T + 1, rpd)));
      const midnight = Date.UTC(2025, 5, 2);
      expect(await r.a.admit('openai', ask(T + 2, rpd))).toEqual({ granted: false, readyAt: midnight, hold: 'key' });
      granted(await r.b.admit('openai', ask(midnight, rpd)));
    });

    it('a tpm window counts estimated tokens, and tokens used by a request that gave no estimate', async () => {
      const tpm = { tpm: 1_000 };
      granted(await r.a.admit('openai', ask(T, { ...tpm, tokens: 600 })));
      expect(await r.b.admit('openai', ask(T + 10, { ...tpm, tokens: 500 }))).toMatchObject({ granted: false, readyAt: T + MINUTE, hold: 'key' });
      const g = granted(await r.b.admit('openai', ask(T + 20, { ...tpm, tokens: 0 })));
      r.b.release('openai', g, { now: T + 30, usedTokens: 300 });
      await expect.poll(async () => (await r.a.admit('openai', ask(T + 40, { ...tpm, tokens: 200 }))).granted).toBe(false);
    });

    it('maxConcurrent is one cap for all replicas; a release frees the slot', async () => {
      const one = { maxConcurrent: 1 };
      const g = granted(await r.a.admit('openai', ask(T, one)));
      const refused = await r.b.admit('openai', ask(T + 5, one));
      expect(refused).toMatchObject({ granted: false, hold: 'key' });
      expect(!refused.granted && refused.readyAt > T + 5 && refused.readyAt <= T + 1_000).toBe(true);
      r.a.release('openai', g, { now: T + 10 });
      await expect.poll(async () => (await r.b.admit('openai', ask(T + 20, one))).granted).toBe(true);
    });

    it('a learned concurrency cap of the group holds every key of it', async () => {
      granted(await r.a.admit('openai', ask(T, { groupCap: 2 })));
      granted(await r.b.admit('openai', ask(T, { keyId: 'k2', groupCap: 2 })));
      expect(await r.a.admit('openai', ask(T, { keyId: 'k3', groupCap: 2 }))).toMatchObject({ granted: false, hold: 'group' });
    });

    it('a learned budget is spent once across replicas: never both the last unit', async () => {
      const g = granted(await r.a.admit('openai', ask(T)));
      r.a.release('openai', g, reading(T, 3));
      await expect.poll(async () => (await r.b.admit('openai', ask(T))).granted).toBe(true); // the reading arrived: 2 left
      const answers = await Promise.all([0, 1, 2, 3, 4, 5].map((i) => (i % 2 ? r.a : r.b).admit('openai', ask(T))));
      expect(answers.filter((a) => a.granted)).toHaveLength(2);
      // Refilled at one a second (60 a minute): the next unit is whole a second later.
      expect(answers.find((a) => !a.granted)).toEqual({ granted: false, readyAt: T + 1_000, hold: 'scope' });
      expect((await r.a.admit('openai', ask(T + 1_000))).granted).toBe(true);
    });

    it('a reading is placed at its request: dispatches after it, from any replica, are taken off; an older one is ignored', async () => {
      const first = granted(await r.a.admit('openai', ask(T)));
      const second = granted(await r.b.admit('openai', ask(T)));
      granted(await r.b.admit('openai', ask(T)));
      // The provider had 5 left when it answered the first request: two more went out since.
      r.a.release('openai', first, reading(T, 5));
      // The second's reading is newer and says 1 left, with one dispatched since: none.
      r.b.release('openai', second, reading(T, 1));
      r.a.release('openai', first, reading(T, 50)); // a late duplicate of an older reading changes nothing
      await expect.poll(async () => (await r.a.admit('openai', ask(T))).granted).toBe(false);
    });

    it('the margin asks for a trip’s refill more than the request', async () => {
      const g = granted(await r.a.admit('openai', ask(T)));
      r.a.release('openai', g, reading(T, 1.5));
      await expect.poll(async () => (await r.b.admit('openai', ask(T, { marginMs: 1_000 }))).granted).toBe(false); // needs 2
      expect((await r.b.admit('openai', ask(T, { marginMs: 0 }))).granted).toBe(true);
    });

    it('budgets are per scope: a (group, model) spent leaves the group’s other models alone', async () => {
      const g = granted(await r.a.admit('gemini', ask(T, { model: 'flash' })));
      r.a.release('gemini', g, reading(T, 0));
      await expect.poll(async () => (await r.b.admit('gemini', ask(T, { model: 'flash' }))).granted).toBe(false);
      expect((await r.b.admit('gemini', ask(T, { model: 'pro' }))).granted).toBe(true);
      expect((await r.b.admit('openai', ask(T, { model: 'flash' }))).granted).toBe(true);
    });

    it('a daily budget: its remaining, net of later dispatches, until it resets', async () => {
      const g = granted(await r.a.admit('groq', ask(T)));
      r.a.release('groq', g, { now: T, requestsPerDay: { limit: 1_000, remaining: 2, resetAt: T + 3_600_000 } });
      await expect.poll(async () => (await r.b.admit('groq', ask(T + 1))).granted).toBe(true);
      granted(await r.a.admit('groq', ask(T + 2)));
      expect(await r.b.admit('groq', ask(T + 3))).toEqual({ granted: false, readyAt: T + 3_600_000, hold: 'scope' });
      expect((await r.b.admit('groq', ask(T + 3_600_000))).granted).toBe(true);
    });

    it('a lease not renewed frees its slot after its TTL (its replica died); a renewed one holds it', async () => {
      const one = { maxConcurrent: 1 };
      granted(await r.a.admit('openai', ask(T, one)));
      expect((await r.b.admit('openai', ask(T + TTL - 1, one))).granted).toBe(false);
      const g = granted(await r.b.admit('openai', ask(T + TTL, one)));
      await r.heartbeat('b', T + TTL + TTL / 2);
      expect((await r.a.admit('openai', ask(T + 2 * TTL + 1, one))).granted).toBe(false);
      r.b.release('openai', g, { now: T + 2 * TTL + 2 });
      await expect.poll(async () => (await r.a.admit('openai', ask(T + 2 * TTL + 3, one))).granted).toBe(true);
    });
  });
}
