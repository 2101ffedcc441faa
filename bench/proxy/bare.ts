// The practical floor for a Node proxy: node:http in, undici out, bytes piped both ways, keys round-robin.
// No parsing, no logging, no retries. Usage: UPSTREAM=http://127.0.0.1:P KEYS=a,b PORT=n tsx bench/proxy/bare.ts
import { createServer } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { Agent } from 'undici';

const upstream = process.env.UPSTREAM!;
const keys = (process.env.KEYS ?? '').split(',');
const agent = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
let next = 0;

const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${keys[next++ % keys.length]}` };
  try {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const up = await agent.request({ origin: upstream, path: req.url!, method: 'POST', headers, body: Buffer.concat(chunks) });
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(up.headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
    res.writeHead(up.statusCode, out);
    await pipeline(up.body, res);
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${a.port}` })}\n`);
});
// A clean exit on SIGTERM, so that --cpu-prof (bench:proxy --profile --profile-target bare) writes its profile.
process.once('SIGTERM', () => process.exit(0));
