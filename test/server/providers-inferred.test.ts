// GET /v1/providers shows the quota groups the pool inferred from behaviour, with their confidence, and no secret.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ManualClock, type Outcome } from '../../src/pool/index.js';
import { createServer, type KeymuxServer } from '../../src/server/index.js';
import { startSimulator, type Simulator } from '../sim/index.js';
import { call, captureLogs, configFrom, openaiEnv } from './helpers.js';

const KEYS = ['sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa1111', 'sk-proj-bbbbbbbbbbbbbbbbbbbbbbbbbbbb2222', 'sk-proj-cccccccccccccccccccccccccccc3333'];
const ok: Outcome = { kind: 'ok' };
const limited: Outcome = { kind: 'rate_limited', scope: 'group' };

describe('GET /v1/providers: inferred quota groups', () => {
  let sim: Simulator;
  let server: KeymuxServer;
  let url: string;
  const clock = new ManualClock(Date.UTC(2026, 10, 29, 12));
  beforeAll(async () => {
    sim = await startSimulator({ keys: Object.fromEntries(KEYS.map((k) => [k, {}])) });
    server = createServer(configFrom(openaiEnv(KEYS.join(','))(sim)), { logger: captureLogs().logger, clock });
    url = await server.listen(0, '127.0.0.1');
  });
  afterAll(async () => {
    await server.close(1_000);
    await sim.close();
  });

  test('lists none until keys are refused together, then the group with its key ids and confidence', async () => {
    const pool = server.runtime.providers.get('openai')!.pool;
    const before = await call(url, '/v1/providers');
    expect(before.json.data[0].inferredGroups).toEqual([]);
    const [a, b, c] = pool.snapshot().keys.map((k) => k.id) as [string, string, string];
    const on = (id: string) => pool.acquire({ model: 'gpt-4o-mini', exclude: new Set([a, b, c].filter((x) => x !== id)), deadlineMs: 0 });
    // Three times: C gets through while A and B, sent together, are both refused (a project they share).
    for (let i = 0; i < 3; i++) {
      (await on(c)).report(ok);
      clock.advance(100);
      const la = await on(a);
      const lb = await on(b);
      clock.advance(60);
      la.report(limited);
      lb.report(limited);
      clock.advance(10_000);
    }
    const r = await call(url, '/v1/providers');
    expect(r.status).toBe(200);
    const groups = r.json.data[0].inferredGroups as Array<{ group: string; keyIds: string[]; confidence: number }>;
    expect(groups).toHaveLength(1);
    expect(groups[0]!.group.startsWith('inferred:')).toBe(true);
    expect(new Set(groups[0]!.keyIds)).toEqual(new Set([a, b]));
    expect(groups[0]!.confidence).toBe(0.86);
    for (const k of KEYS) expect(r.text).not.toContain(k);
  });
});
