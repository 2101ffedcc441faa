// GET /metrics (issue #16): the fixed metric names, key ids (never secrets) in labels, open on loopback only.
import { afterEach, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { call, chatBody, openaiEnv, start, type Harness } from './helpers.js';

const PROXY = 'proxy-secret-metrics-0123456789';
const ADMIN = 'adm-secret-metrics-0123456789';
const KEYS = { good: 'sk-metrics-good-aaaaaaaa', dead: 'sk-metrics-dead-bbbbbbbb' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('metrics', () => {
  test('the fixed names, with key ids and client ids as labels and no secret anywhere', async () => {
    h = await start({
      sim: { keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true } } },
      env: openaiEnv(`${KEYS.good},${KEYS.dead}`, { KEYMUX_PROXY_KEYS: PROXY }),
    });
    for (let i = 0; i < 4; i++) {
      const r = await call(h.url, '/v1/chat/completions', chatBody(`q${i}`), { headers: { authorization: `Bearer ${PROXY}` } });
      expect(r.status).toBe(200);
    }
    const r = await call(h.url, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = r.text;
    for (const name of [
      'keymux_requests_total', 'keymux_upstream_attempts_total', 'keymux_upstream_duration_seconds_bucket', 'keymux_upstream_ttfb_seconds_bucket',
      'keymux_tokens_total', 'keymux_key_state', 'keymux_queue_waiting', 'keymux_queue_wait_seconds_bucket', 'keymux_inflight', 'process_cpu_seconds_total',
      // Sampled every 100 ms, not every 10 (metrics.ts), but still there for an operator's dashboard.
      'nodejs_eventloop_lag_p99_seconds',
    ]) expect(text, name).toContain(name);
    const good = keyId(KEYS.good);
    const dead = keyId(KEYS.dead);
    expect(text).toMatch(new RegExp(`keymux_requests_total\\{provider="openai",model="[^"]+",status="200",client="${keyId(PROXY)}"\\} 4`));
    expect(text).toContain(`keymux_upstream_attempts_total{provider="openai",key="${dead}",outcome="auth_failed"} 1`);
    expect(text).toContain(`keymux_key_state{provider="openai",key="${dead}",state="disabled"} 1`);
    expect(text).toContain(`keymux_key_state{provider="openai",key="${good}",state="active"} 1`);
    expect(text).toMatch(/keymux_tokens_total\{provider="openai",model="[^"]+",kind="input"\} \d+/);
    for (const secret of [...Object.values(KEYS), PROXY]) expect(text).not.toContain(secret);
  });

  test('from elsewhere (a relayed request): an admin key is needed, and refused without one configured', async () => {
    h = await start({ env: openaiEnv('sk-a', { KEYMUX_ADMIN_KEY: ADMIN }) });
    const relayed = { 'x-forwarded-for': '203.0.113.9' };
    expect((await call(h.url, '/metrics', undefined, { headers: relayed })).status).toBe(401);
    expect((await call(h.url, '/metrics', undefined, { headers: { ...relayed, authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    await h.close();
    h = await start({ env: openaiEnv('sk-a') });
    expect((await call(h.url, '/metrics', undefined, { headers: relayed })).status).toBe(403);
  });
});
