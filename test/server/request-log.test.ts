// The request log (issue #16): a JSON line per request and per attempt, rotated by size; every failure path
// driven with it on and the main log at debug, then no secret in any file or line.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { keyId } from '../../src/pool/index.js';
import { call, chatBody, openStream, openaiEnv, scratchDir, start, type Harness } from './helpers.js';

const PROXY = 'proxy-secret-reqlog-0123456789';
const ADMIN = 'adm-secret-reqlog-0123456789';
const KEYS = {
  good: 'sk-reqlog-good-aaaaaaaaaaaa',
  dead: 'sk-reqlog-dead-bbbbbbbbbbbb',
  broke: 'sk-reqlog-broke-cccccccccccc',
  failing: 'sk-reqlog-failing-dddddddddddd',
  busy: 'sk-reqlog-busy-eeeeeeeeeeee',
  cut: 'sk-reqlog-cut-ffffffffffff',
};

let h: Harness | undefined;
const dir = scratchDir();
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('request log', () => {
  test('every failure path, debug level: request and attempt lines, rotation, and no secret anywhere', { timeout: 30_000 }, async () => {
    const path = join(dir.dir, 'requests.jsonl');
    h = await start({
      sim: {
        keys: {
          [KEYS.good]: {}, [KEYS.dead]: { revoked: true }, [KEYS.broke]: { quotaExhausted: true }, [KEYS.failing]: { failRate: 1 },
          [KEYS.busy]: { overloadRate: 1 }, [KEYS.cut]: { breakAfterChunks: 1 },
        },
      },
      env: openaiEnv(Object.values(KEYS).join(','), {
        KEYMUX_PROXY_KEYS: PROXY, KEYMUX_ADMIN_KEY: ADMIN, KEYMUX_STRATEGY: 'round-robin',
        KEYMUX_REQUEST_LOG: path, KEYMUX_REQUEST_LOG_MAX_SIZE: '8kb', KEYMUX_REQUEST_LOG_KEEP: '3',
      }),
    });
    const auth = { authorization: `Bearer ${PROXY}` };
    for (let i = 0; i < 12; i++) await call(h.url, '/v1/chat/completions', chatBody(`q${i}`), { headers: auth });
    for (let i = 0; i < 6; i++) {
      const s = await openStream(h.url, '/v1/chat/completions', { ...chatBody(`s${i}`), stream: true }, auth);
      await s.readAll().catch(() => '');
    }
    const gone = await openStream(h.url, '/v1/chat/completions', { ...chatBody('leave'), stream: true }, auth);
    gone.abort();
    await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { authorization: `Bearer ${KEYS.good}` } }); // a provider key as proxy key
    await call(h.url, '/v1/chat/completions', chatBody('x'), { headers: { 'x-api-key': 'wrong-proxy-key' } });
    await call(h.url, '/v1/chat/completions', undefined, { headers: auth, raw: '{not json', method: 'POST' });
    await call(h.url, '/v1/chat/completions', { model: 'nosuch/model', messages: [] }, { headers: auth });
    await call(h.url, `/v1/models?key=${PROXY}`);
    await call(h.url, '/admin/keys', undefined, { headers: { authorization: `Bearer ${PROXY}` } });
    await call(h.url, `/admin/keys/${keyId(KEYS.dead)}/check`, {}, { headers: { authorization: `Bearer ${ADMIN}` } });
    for (let i = 0; i < 40; i++) await call(h.url, '/v1/chat/completions', chatBody(`fill${i}`), { headers: auth });
    const logLines = h.logs.lines;
    await h.close();
    h = undefined;

    const files = readdirSync(dir.dir).filter((f) => f.startsWith('requests.jsonl')).sort();
    expect(files).toEqual(['requests.jsonl', 'requests.jsonl.1', 'requests.jsonl.2']);
    for (const f of files) expect(readFileSync(join(dir.dir, f)).length).toBeLessThanOrEqual(8 * 1024);
    const all = files.flatMap((f) => lines(join(dir.dir, f)));
    const requests = all.filter((l) => l.type === 'request');
    const attempts = all.filter((l) => l.type === 'attempt');
    expect(requests.length).toBeGreaterThan(10);
    expect(requests.find((l) => l.status === 200)).toMatchObject({ route: '/v1/chat/completions', provider: 'openai', client: keyId(PROXY), keyId: expect.any(String), ttfbMs: expect.any(Number), tokens: { input: expect.any(Number) } });
    expect(attempts[0]).toMatchObject({ time: expect.any(String), provider: 'openai', keyId: expect.any(String), outcome: expect.any(String), latencyMs: expect.any(Number) });

    const texts = [...files.map((f) => readFileSync(join(dir.dir, f), 'utf8')), ...(existsSync(`${path}.3`) ? [readFileSync(`${path}.3`, 'utf8')] : [])];
    // The request log's files and every line of the main log, written at debug level.
    const everything = [...texts, ...logLines].join('\n');
    expect(logLines.length).toBeGreaterThan(20);
    for (const s of [...Object.values(KEYS), PROXY, ADMIN]) expect(everything, s).not.toContain(s);
  });

  test('the first test drove the failure kinds it claims, and the debug log holds no secret', { timeout: 30_000 }, async () => {
    const path = join(dir.dir, 'kinds.jsonl');
    h = await start({
      sim: { keys: { [KEYS.dead]: { revoked: true }, [KEYS.broke]: { quotaExhausted: true }, [KEYS.failing]: { failRate: 1 }, [KEYS.busy]: { overloadRate: 1 }, [KEYS.good]: {} } },
      env: openaiEnv([KEYS.dead, KEYS.broke, KEYS.failing, KEYS.busy, KEYS.good].join(','), { KEYMUX_PROXY_KEYS: PROXY, KEYMUX_STRATEGY: 'round-robin', KEYMUX_REQUEST_LOG: path }),
    });
    for (let i = 0; i < 10; i++) await call(h.url, '/v1/chat/completions', chatBody(`k${i}`), { headers: { authorization: `Bearer ${PROXY}` } });
    const outcomes = new Set(lines(path).filter((l) => l.type === 'attempt').map((l) => l.outcome));
    for (const k of ['ok', 'auth_failed', 'quota_exhausted', 'server_error', 'overloaded']) expect([...outcomes], k).toContain(k);
    const debug = h.logs.lines.join('\n');
    expect(h.logs.entries().some((e) => e.level === 20 || e.level === 30)).toBe(true);
    for (const s of [...Object.values(KEYS), PROXY]) expect(debug, s).not.toContain(s);
  });
});
