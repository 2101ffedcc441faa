// The admin API (/admin, issue #14): off without an admin key (403), closed to anyone else (401, proxy keys
// included), every route against the simulator, and no secret in any answer.
import { afterEach, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { call, chatBody, openaiEnv, start, type Harness, type Reply } from './helpers.js';

const ADMIN = 'adm-secret-0123456789';
const PROXY = 'proxy-secret-0123456789';
const KEYS = { good: 'sk-admin-good-aaaaaaaa', dead: 'sk-admin-dead-bbbbbbbb', extra: 'sk-admin-extra-cccccccc' };

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const seen: string[] = [];
async function admin(path: string, opts: { method?: string; body?: unknown; key?: string | null } = {}): Promise<Reply> {
  const headers: Record<string, string> = opts.key === null ? {} : { authorization: `Bearer ${opts.key ?? ADMIN}` };
  const r = await call(h!.url, path, opts.body, { headers, ...(opts.method ? { method: opts.method } : {}) });
  seen.push(r.text, JSON.stringify([...r.headers]));
  return r;
}

function startWith(extra: Record<string, string>): Promise<Harness> {
  return start({
    sim: { keys: { [KEYS.good]: {}, [KEYS.dead]: { revoked: true }, [KEYS.extra]: {} } },
    env: openaiEnv(`${KEYS.good},${KEYS.dead}`, { KEYMUX_PROXY_KEYS: PROXY, ...extra }),
  });
}

const proxied = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => call(h!.url, '/v1/chat/completions', chatBody(`q${i}`), { headers: { authorization: `Bearer ${PROXY}` } })));

describe('admin API', () => {
  test('off without an admin key: 403 KMX_ERR_ADMIN_DISABLED in OpenAI\'s shape, whatever key is presented', async () => {
    h = await startWith({});
    for (const key of [null, PROXY, ADMIN]) {
      const r = await admin('/admin/keys', { key });
      expect(r.status).toBe(403);
      expect(r.json.error).toMatchObject({ code: 'KMX_ERR_ADMIN_DISABLED', message: expect.stringContaining('KEYMUX_ADMIN_KEY') });
    }
  });

  test('on with admin keys: 401 without one (a proxy key, a wrong one, one in the query), 200 with any of them', async () => {
    h = await startWith({ KEYMUX_ADMIN_KEY: `${ADMIN},adm-second-key-987654321` });
    for (const key of [null, PROXY, 'wrong']) {
      const r = await admin('/admin/keys', { key });
      expect(r.status).toBe(401);
      expect(r.json.error.code).toBe('KMX_ERR_UNAUTHORIZED');
    }
    expect((await call(h.url, `/admin/keys?key=${ADMIN}`)).status).toBe(401);
    expect((await admin('/admin/keys')).status).toBe(200);
    expect((await admin('/admin/keys', { key: 'adm-second-key-987654321' })).status).toBe(200);
    expect((await call(h.url, '/admin/stats', undefined, { headers: { 'x-api-key': ADMIN } })).status).toBe(200);
    // The admin key is not a proxy key either.
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(401);
  });

  test('every route, and never a secret in an answer', { timeout: 30_000 }, async () => {
    h = await startWith({ KEYMUX_ADMIN_KEY: ADMIN, KEYMUX_ENCRYPTION_KEY: 'a long passphrase for tests' });
    const id = { good: keyId(KEYS.good), dead: keyId(KEYS.dead), extra: keyId(KEYS.extra) };
    for (const r of await proxied(6)) expect(r.status).toBe(200);

    // GET /admin/keys: every field; the dead key disabled by its 401.
    const list = (await admin('/admin/keys')).json.keys as Array<Record<string, unknown>>;
    expect(list).toHaveLength(2);
    const good = list.find((k) => k.id === id.good)!;
    expect(Object.keys(good).sort()).toEqual(
      ['provider', 'id', 'masked', 'label', 'group', 'tier', 'source', 'state', 'reason', 'requests', 'successes', 'errors', 'inFlight', 'cooldownUntil', 'limits', 'remaining', 'lastUsedAt', 'costUsd'].sort(),
    );
    expect(good).toMatchObject({ provider: 'openai', tier: 1, state: 'active', source: 'config', successes: 6, errors: 0, inFlight: 0 });
    expect(list.find((k) => k.id === id.dead)).toMatchObject({ state: 'disabled', requests: 1, errors: 1, successes: 0 });
    expect(good.costUsd).toBeGreaterThan(0);

    // disable / enable / reset
    expect((await admin(`/admin/keys/${id.good}/disable`, { method: 'POST' })).json.key).toMatchObject({ state: 'disabled', reason: 'disabled by operator' });
    expect((await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: `Bearer ${PROXY}` } })).status).toBe(503);
    expect((await admin(`/admin/keys/${id.good}/enable`, { method: 'POST' })).json.key).toMatchObject({ state: 'active' });
    expect((await admin(`/admin/keys/${id.good}/reset`, { method: 'POST' })).json.key).toMatchObject({ state: 'active' });

    // check: a real call; the dead key stays disabled, a disabled good key comes back.
    const dead = (await admin(`/admin/keys/${id.dead}/check`, { method: 'POST' })).json;
    expect(dead).toMatchObject({ id: id.dead, valid: false, outcome: 'auth_failed', status: 401, key: { state: 'disabled' } });
    await admin(`/admin/keys/${id.good}/disable`, { method: 'POST' });
    expect((await admin(`/admin/keys/${id.good}/check`, { method: 'POST' })).json).toMatchObject({ valid: true, outcome: 'ok', status: 200, key: { state: 'active' } });

    // add: stored sealed, served at once; a key twice is a conflict; delete only added keys.
    const added = await admin('/admin/keys', { body: { provider: 'openai', key: KEYS.extra, label: 'extra' } });
    expect(added.status).toBe(201);
    expect(added.json.key).toMatchObject({ id: id.extra, source: 'added', label: 'extra', state: 'active' });
    expect((await admin('/admin/keys', { body: { provider: 'openai', key: KEYS.extra } })).json.error.code).toBe('KMX_ERR_KEY_CONFLICT');
    expect((await admin('/admin/keys', { body: { provider: 'nope', key: 'sk-x-123456789' } })).status).toBe(400);
    expect((await admin('/admin/keys', { body: { provider: 'openai' } })).status).toBe(400);
    h.sim.reset();
    await admin(`/admin/keys/${id.good}/disable`, { method: 'POST' });
    for (const r of await proxied(3)) expect(r.status).toBe(200);
    expect(h.sim.countsByKey()).toEqual({ [KEYS.extra]: 3 });
    await admin(`/admin/keys/${id.good}/enable`, { method: 'POST' });
    expect((await admin(`/admin/keys/${id.good}`, { method: 'DELETE' })).json.error.code).toBe('KMX_ERR_KEY_CONFLICT');
    expect((await admin(`/admin/keys/${id.extra}`, { method: 'DELETE' })).json).toEqual({ deleted: true, provider: 'openai', id: id.extra });
    expect(((await admin('/admin/keys')).json.keys as unknown[]).length).toBe(2);
    expect((await admin('/admin/keys/000000000000/enable', { method: 'POST' })).status).toBe(404);

    // Reset started the good key's latency record afresh: two more requests for it.
    for (const r of await proxied(2)) expect(r.status).toBe(200);

    // usage, by each grouping
    for (const by of ['key', 'model', 'provider', 'tier', 'client', 'day', 'hour']) {
      const r = await admin(`/admin/usage?by=${by}`);
      expect(r.status, by).toBe(200);
      expect(r.json.rows.length, by).toBeGreaterThan(0);
    }
    const byKey = (await admin('/admin/usage?by=key')).json.rows as Array<Record<string, unknown>>;
    expect(byKey.find((r) => r.id === id.good)).toMatchObject({ provider: 'openai', successes: 8 });
    const byClient = (await admin('/admin/usage?by=client')).json.rows as Array<Record<string, unknown>>;
    expect(byClient).toEqual([expect.objectContaining({ client: keyId(PROXY), successes: 11 })]);
    expect((await admin('/admin/usage?by=week')).status).toBe(400);
    expect((await admin('/admin/usage?from=yesterday')).status).toBe(400);
    expect((await admin(`/admin/usage?from=${Date.now() + 3_600_000}`)).status).toBe(400);

    // stats: balance and success rate per provider, latency percentiles per key
    const stats = (await admin('/admin/stats')).json;
    expect(stats.providers).toEqual([expect.objectContaining({ provider: 'openai', keys: 2, usableKeys: 1, balance: 1 })]);
    const goodStats = stats.keys.find((k: { id: string }) => k.id === id.good);
    expect(goodStats.latencyMs).toMatchObject({ count: 2 });
    expect(goodStats.sinceStart).toEqual({ attempts: 2, successRate: 1 });
    expect(goodStats.latencyMs.p50).toBeLessThanOrEqual(goodStats.latencyMs.p99);

    // routing errors
    expect((await admin('/admin/nothing')).status).toBe(404);
    expect((await admin('/admin/keys', { method: 'PUT' })).status).toBe(405);
    expect((await admin(`/admin/keys/${id.good}/check`)).status).toBe(405);

    for (const text of [...seen, ...h.logs.lines]) for (const secret of [...Object.values(KEYS), ADMIN, PROXY]) expect(text).not.toContain(secret);
  });

  test('adding a key without an encryption key is refused unless plaintext is allowed', async () => {
    h = await startWith({ KEYMUX_ADMIN_KEY: ADMIN });
    const r = await admin('/admin/keys', { body: { provider: 'openai', key: KEYS.extra } });
    expect(r.status).toBe(409);
    expect(r.json.error).toMatchObject({ code: 'KMX_ERR_NO_ENCRYPTION_KEY', message: expect.stringContaining('KEYMUX_ENCRYPTION_KEY') });
    await h.close();
    h = await startWith({ KEYMUX_ADMIN_KEY: ADMIN, KEYMUX_ALLOW_PLAINTEXT_KEYS: 'true' });
    expect((await admin('/admin/keys', { body: { provider: 'openai', key: KEYS.extra } })).status).toBe(201);
  });
});
