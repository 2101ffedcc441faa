// The library's createServer with `storage: sqlite`: listen() resolves only once the stored state is in, and
// refuses (rejects) when the data directory is held by another server; close() writes what is pending.
import { afterAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.js';
import { call, captureLogs, chatBody, configFrom, openaiEnv } from '../server/helpers.js';
import { startSimulator } from '../sim/index.js';
import { tempDirs } from './helpers.js';

const dirs = tempDirs();

describe('createServer with SQLite storage', () => {
  const simP = startSimulator({ keys: { 'sk-live': { group: 'org-live' }, 'sk-revoked': { revoked: true }, 'sk-new': { group: 'org-new' } } });
  afterAll(async () => (await simP).close());

  it('a second server on the same data dir refuses to listen; the next one after a close finds the state', async () => {
    const sim = await simP;
    const dataDir = dirs();
    const config = configFrom(openaiEnv('sk-revoked,sk-live', { KEYMUX_STORAGE: 'sqlite', KEYMUX_DATA_DIR: dataDir })(sim));
    const a = createServer(config, { logger: captureLogs().logger });
    const url = await a.listen(0, '127.0.0.1');
    for (let i = 0; i < 4 && !sim.countsByKey()['sk-revoked']; i++) expect((await call(url, '/v1/chat/completions', chatBody('hi'))).status).toBe(200);
    expect(sim.countsByKey()['sk-revoked']).toBe(1);
    // A reload keeps the store: a key joins, the disabled one stays disabled.
    a.reload(configFrom(openaiEnv('sk-revoked,sk-live,sk-new', { KEYMUX_STORAGE: 'sqlite', KEYMUX_DATA_DIR: dataDir })(sim)));
    const status = async (u: string) => ((await call(u, '/v1/providers')).json.data[0] as { keys: number; status: Record<string, number> });
    expect(await status(url)).toMatchObject({ keys: 3, status: { active: 2, disabled: 1 } });

    const b = createServer(config, { logger: captureLogs().logger });
    await expect(b.listen(0, '127.0.0.1')).rejects.toThrow(/already open/);
    await b.close(0);
    await a.close(1_000);

    sim.reset();
    const c = createServer(config, { logger: captureLogs().logger });
    const url2 = await c.listen(0, '127.0.0.1');
    expect((await status(url2)).status).toMatchObject({ disabled: 1 });
    for (let i = 0; i < 3; i++) expect((await call(url2, '/v1/chat/completions', chatBody('hi'))).status).toBe(200);
    expect(sim.countsByKey()).toEqual({ 'sk-live': 3 });
    await c.close(1_000);
  });
});
