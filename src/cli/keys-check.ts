import { loadConfig, type Config } from '../config/index.js';
import { Runtime } from '../server/runtime.js';
import { probeKey, type Probe } from '../server/recovery-check.js';
import { keyId } from '../pool/index.js';
import { table } from './table.js';

export interface CheckOptions {
  provider?: string;
  json?: boolean;
  configPath?: string;
  cwd?: string;
  env?: Record<string, string | undefined>;
  out?: NodeJS.WritableStream;
  err?: NodeJS.WritableStream & { isTTY?: boolean };
}

/** Checks at once against one provider: enough to be quick with many keys, few enough not to look like a burst. */
const PARALLEL = 4;

/**
 * `keymux keys check`: every configured key gets the probe the admin API's check uses (recovery-check.ts), from
 * this process and without a server. Exit 1 when any key is invalid; a 429 or 5xx is not invalid (it proves the
 * key); a provider that cannot be reached is reported, and counts as a failed check.
 */
export async function keysCheck(o: CheckOptions): Promise<number> {
  const out = o.out ?? process.stdout;
  const err = o.err ?? process.stderr;
  // Memory storage: a check must not take a running server's data store (nor record its probes as usage).
  const config: Config = loadConfig({
    cwd: o.cwd ?? process.cwd(),
    env: o.env ?? process.env,
    ...(o.configPath !== undefined ? { configPath: o.configPath } : {}),
    defaults: { storage: { type: 'memory' } },
  });
  const rt = new Runtime({ ...config, storage: { ...config.storage, type: 'memory' }, redis: { ...config.redis, url: undefined } });
  try {
    await rt.ready;
    const providers = [...rt.providers.values()].filter((p) => o.provider === undefined || p.name === o.provider);
    if (o.provider !== undefined && providers.length === 0) {
      err.write(`keymux: no provider "${o.provider}" is configured (configured: ${[...rt.providers.keys()].join(', ') || 'none'})\n`);
      return 2;
    }
    const jobs = providers.flatMap((p) => rt.keysOf(p.config).map((k) => ({ p, secret: k.key, id: keyId(k.key) })));
    const results: Probe[] = [];
    let done = 0;
    const progress = (): void => {
      if (err.isTTY === true && !o.json) err.write(`\rchecking keys… ${done}/${jobs.length}`);
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < jobs.length) {
        const j = jobs[next++]!;
        try {
          results.push(await probeKey(rt, j.p, j.id, j.secret, { apply: false }));
        } catch (e) {
          results.push({ provider: j.p.name, id: j.id, masked: j.p.pool.key(j.id)?.masked ?? '', valid: false, outcome: 'client_error', status: null, reason: (e as Error).message, latencyMs: 0 });
        }
        done++;
        progress();
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.length) }, worker));
    if (err.isTTY === true && !o.json && jobs.length > 0) err.write('\r\x1b[K');
    const order = new Map(jobs.map((j, i) => [`${j.p.name}\u0000${j.id}`, i]));
    results.sort((a, b) => (order.get(`${a.provider}\u0000${a.id}`) ?? 0) - (order.get(`${b.provider}\u0000${b.id}`) ?? 0));
    if (o.json) out.write(`${JSON.stringify({ keys: results }, null, 2)}\n`);
    else {
      out.write(table(['PROVIDER', 'KEY ID', 'KEY', 'STATUS', 'LATENCY', 'REASON'], results.map((r) => [
        r.provider, r.id, r.masked, r.valid ? `valid${r.outcome !== 'ok' ? ` (${r.outcome})` : ''}` : `INVALID (${r.outcome})`,
        `${Math.round(r.latencyMs)} ms`, r.reason ?? (r.status !== null ? String(r.status) : ''),
      ])));
      const bad = results.filter((r) => !r.valid).length;
      out.write(`\n${results.length} key(s) checked, ${bad} invalid\n`);
    }
    return results.some((r) => !r.valid) ? 1 : 0;
  } finally {
    await rt.close();
  }
}
