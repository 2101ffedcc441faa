import { afterEach, describe, expect, it } from 'vitest';
import type { Flavor } from './behaviour.js';
import { anthropicAuth, anthropicBody, bearer, call, chatBody, geminiBody, googAuth } from './helpers.js';
import { startSimulator, type Simulator } from './server.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

/** A manual clock so limits are exact. */
function clock(t = Date.UTC(2026, 10, 25, 12, 0, 0)) {
  const c = { t, now: () => c.t };
  return c;
}

async function exhaust(s: Simulator, path: string, body: unknown, headers: Record<string, string>, n: number) {
  for (let i = 0; i < n; i++) expect((await call(s, path, body, headers)).status).toBe(200);
  return call(s, path, body, headers);
}

describe('429 per flavor', () => {
  it('openai: headers, retry-after(-ms), body type/code', async () => {
    const c = clock();
    sim = await startSimulator({ keys: { k: { rpm: 3 } }, now: c.now });
    const r = await exhaust(sim, '/v1/chat/completions', chatBody('x'), bearer('k'), 3);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('20');
    expect(r.headers.get('retry-after-ms')).toBe('20000');
    expect(r.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(r.headers.get('x-ratelimit-reset-requests')).toBe('1m0s');
    expect(r.json.error).toMatchObject({ type: 'requests', code: 'rate_limit_exceeded', param: null });
    expect(r.json.error.message).toMatch(/on requests per min \(RPM\): Limit 3, Used 3, Requested 1\. Please try again in 20s\./);
    c.t += 20_000;
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('k'))).status).toBe(200);
  });

  it('openai: token limit names tokens', async () => {
    sim = await startSimulator({ keys: { k: { tpm: 30 } }, now: clock().now });
    const r = await exhaust(sim, '/v1/chat/completions', chatBody('x'.repeat(40)), bearer('k'), 1);
    expect(r.status).toBe(429);
    expect(r.json.error.type).toBe('tokens');
    expect(r.json.error.message).toContain('tokens per min (TPM)');
  });

  it('groq: per-day requests header, OpenAI body', async () => {
    sim = await startSimulator({ flavor: 'groq', keys: { k: { rpd: 1000, rpm: 1 } }, now: clock().now });
    const r = await exhaust(sim, '/openai/v1/chat/completions', chatBody('x'), bearer('k'), 1);
    expect(r.status).toBe(429);
    expect(r.headers.get('x-ratelimit-limit-requests')).toBe('1000');
    expect(r.headers.get('retry-after')).toBe('60');
    expect(r.json.error.message).toMatch(/service tier `on_demand`.*Please try again in 1m0s/);
  });

  const noHeaders: [Flavor, number, (j: unknown) => void][] = [
    ['nvidia_nim', 429, (j) => expect(j).toEqual({ status: 429, title: 'Too Many Requests' })],
    ['mistral', 429, (j) => expect(j).toMatchObject({ object: 'error', type: 'rate_limited', code: '1300' })],
    ['deepseek', 429, (j) => expect(j).toMatchObject({ error: { code: 'rate_limit_exceeded' } })],
    [
      'gemini_openai',
      429,
      (j) => {
        expect(Array.isArray(j)).toBe(true);
        expect((j as { error: { status: string } }[])[0]?.error.status).toBe('RESOURCE_EXHAUSTED');
      },
    ],
  ];
  for (const [flavor, status, check] of noHeaders) {
    it(`${flavor}: its own body, no rate-limit headers`, async () => {
      sim = await startSimulator({ flavor, keys: { k: { rpm: 1 } }, now: clock().now });
      const path = flavor === 'gemini_openai' ? '/v1beta/openai/chat/completions' : '/v1/chat/completions';
      const r = await exhaust(sim, path, chatBody('x'), bearer('k'), 1);
      expect(r.status).toBe(status);
      check(r.json);
      expect(r.headers.get('retry-after')).toBeNull();
      expect([...r.headers.keys()].some((h) => h.includes('ratelimit'))).toBe(false);
    });
  }

  it('openrouter: limits inside the body at error.metadata.headers', async () => {
    const c = clock();
    sim = await startSimulator({ flavor: 'openrouter', keys: { k: { rpm: 20 } }, now: c.now });
    const r = await exhaust(sim, '/api/v1/chat/completions', chatBody('x'), bearer('k'), 20);
    expect(r.status).toBe(429);
    expect(r.json.error.message).toContain('free-models-per-min');
    expect(r.json.error.metadata.headers).toEqual({ 'X-RateLimit-Limit': '20', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': String(c.t + 3000) });
  });

  it('anthropic: rate_limit_error with retry-after and anthropic-ratelimit headers', async () => {
    sim = await startSimulator({ keys: { a: { rpm: 2, tpm: 10_000 } }, now: clock().now });
    const r = await exhaust(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('a'), 2);
    expect(r.status).toBe(429);
    expect(r.json).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(r.json.request_id).toMatch(/^req_/);
    expect(r.headers.get('retry-after')).toBe('30');
    expect(r.headers.get('retry-after-ms')).toBeNull();
    expect(r.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(r.headers.get('anthropic-ratelimit-tokens-remaining')).toBe('10000');
  });

  it('gemini: RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo; per-day quotaId', async () => {
    sim = await startSimulator({ keys: { g: { rpm: 1 }, d: { rpd: 1 } }, now: clock().now });
    const path = '/v1beta/models/gemini-2.5-flash:generateContent';
    const r = await exhaust(sim, path, geminiBody('x'), googAuth('g'), 1);
    expect(r.status).toBe(429);
    expect(r.json.error).toMatchObject({ code: 429, status: 'RESOURCE_EXHAUSTED' });
    const [qf, , ri] = r.json.error.details;
    expect(qf.violations[0]).toEqual({
      quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
      quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier',
      quotaDimensions: { location: 'global', model: 'gemini-2.5-flash' },
      quotaValue: '1',
    });
    expect(ri).toEqual({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '60s' });
    expect(r.headers.get('retry-after')).toBeNull();
    const d = await exhaust(sim, path, geminiBody('x'), googAuth('d'), 1);
    expect(d.json.error.details[0].violations[0].quotaId).toBe('GenerateRequestsPerDayPerProjectPerModel-FreeTier');
  });
});

describe('keys out of service', () => {
  it('revoked: each dialect’s invalid-key error', async () => {
    sim = await startSimulator({ keys: { r: { revoked: true } } });
    const o = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('r'));
    expect([o.status, o.json.error.code]).toEqual([401, 'invalid_api_key']);
    const a = await call(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('r'));
    expect([a.status, a.json.error.type]).toEqual([401, 'authentication_error']);
    const g = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('x'), googAuth('r'));
    expect([g.status, g.json.error.details[0].reason]).toEqual([400, 'API_KEY_INVALID']);
    sim.setKey('r', {});
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('r'))).status).toBe(200);
  });

  it('revoked on NIM → 403 problem+json', async () => {
    sim = await startSimulator({ flavor: 'nvidia_nim', keys: {} });
    const r = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('nvapi-x'));
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(r.json).toEqual({ status: 403, title: 'Forbidden', detail: 'Authorization failed' });
  });

  it('quota exhausted: insufficient_quota / billing_error / Gemini per-day', async () => {
    sim = await startSimulator({ keys: { q: { quotaExhausted: true }, s: { quotaExhausted: 'spend_limit' } } });
    const o = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('q'));
    expect([o.status, o.json.error.type, o.json.error.code]).toEqual([429, 'insufficient_quota', 'insufficient_quota']);
    expect(o.headers.get('retry-after')).toBeNull();
    const a = await call(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('q'));
    expect([a.status, a.json.error.type]).toEqual([402, 'billing_error']);
    const s = await call(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('s'));
    expect([s.status, s.json.error.details.error_code]).toEqual([429, 'enforced_spend_limit_reached']);
    const g = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('x'), googAuth('q'));
    expect(g.json.error.details[0].violations[0].quotaId).toContain('PerDay');
  });

  it('failRate / overloadRate give the dialect’s server errors', async () => {
    sim = await startSimulator({ keys: { f: { failRate: 1 }, o: { overloadRate: 1 } } });
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('f'))).json.error.type).toBe('server_error');
    const a = await call(sim, '/v1/messages', anthropicBody('x'), anthropicAuth('o'));
    expect([a.status, a.json.error.type]).toEqual([529, 'overloaded_error']);
    const g = await call(sim, '/v1beta/models/gemini-2.5-flash:generateContent', geminiBody('x'), googAuth('o'));
    expect([g.status, g.json.error.status]).toEqual([503, 'UNAVAILABLE']);
  });

  it('failRate is seeded: same seed, same sequence', async () => {
    const seq = async (): Promise<number[]> => {
      const s = await startSimulator({ keys: { f: { failRate: 0.5 } }, seed: 7 });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await call(s, '/v1/chat/completions', chatBody('x'), bearer('f'))).status);
      await s.close();
      return out;
    };
    const a = await seq();
    expect(a).toEqual(await seq());
    expect(new Set(a)).toEqual(new Set([200, 500]));
  });
});

describe('shared and concurrent quota', () => {
  it('keys of one group share one quota', async () => {
    sim = await startSimulator({ keys: { a: { rpm: 2, group: 'org1' }, b: { rpm: 2, group: 'org1' }, c: { rpm: 2 } }, now: clock().now });
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('a'))).status).toBe(200);
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('b'))).status).toBe(200);
    const r = await call(sim, '/v1/chat/completions', chatBody('x'), bearer('a'));
    expect(r.status).toBe(429);
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('b'))).status).toBe(429);
    expect((await call(sim, '/v1/chat/completions', chatBody('x'), bearer('c'))).status).toBe(200);
    expect(sim.countsByKey()).toEqual({ a: 2, b: 2, c: 1 });
    expect(sim.countsByKey((q) => q.status === 429)).toEqual({ a: 1, b: 1 });
  });

  it('perModel: one quota per (group, model)', async () => {
    sim = await startSimulator({ keys: { g: { rpm: 1, perModel: true } }, now: clock().now });
    const path = (m: string): string => `/v1beta/models/${m}:generateContent`;
    expect((await call(sim, path('gemini-2.5-flash'), geminiBody('x'), googAuth('g'))).status).toBe(200);
    expect((await call(sim, path('gemini-2.5-pro'), geminiBody('x'), googAuth('g'))).status).toBe(200);
    expect((await call(sim, path('gemini-2.5-pro'), geminiBody('x'), googAuth('g'))).status).toBe(429);
  });

  it('maxConcurrent: a second request while one is in flight is refused', async () => {
    sim = await startSimulator({ keys: { k: { maxConcurrent: 1, latencyMs: 150 } } });
    const [x, y] = await Promise.all([
      call(sim, '/v1/chat/completions', chatBody('x'), bearer('k')),
      call(sim, '/v1/chat/completions', chatBody('y'), bearer('k')),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 429]);
    expect((await call(sim, '/v1/chat/completions', chatBody('z'), bearer('k'))).status).toBe(200);
  });
});
