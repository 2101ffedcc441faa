#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/index.js';
import { redactText } from '../server/index.js';
import { serve } from './serve.js';

const USAGE = `keymux — pool many LLM API keys behind one endpoint

Usage:
  keymux serve [--port N] [--host H] [--config FILE] [--allow-plaintext-keys]
  keymux --help | --version

Keys come from the environment (OPENAI_API_KEYS=a,b,c, GEMINI_API_KEY_1=…, …), a .env file and/or a
config file (./keymux.yaml, ./keymux.json, or --config FILE).`;

const OPTIONS = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  config: { type: 'string', short: 'c' },
  /** Keys added through the admin API may be stored unencrypted when no KEYMUX_ENCRYPTION_KEY is set. */
  'allow-plaintext-keys': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** Written in by the single-executable build (scripts/build-sea.mjs), which has no package.json beside it. */
declare const __KEYMUX_VERSION__: string | undefined;

async function version(): Promise<string> {
  if (typeof __KEYMUX_VERSION__ === 'string') return __KEYMUX_VERSION__;
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (err) {
    // An unknown or malformed flag is a usage error, not a crash: say which, show the usage.
    process.stderr.write(`keymux: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    process.stdout.write(`${await version()}\n`);
    return 0;
  }
  const cmd = positionals[0] ?? (values.help ? 'help' : 'serve');
  if (cmd === 'help' || values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (cmd !== 'serve') {
    process.stderr.write(`keymux: unknown command "${cmd}"\n\n${USAGE}\n`);
    return 2;
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write(`keymux: --port must be a port number (0-65535), got "${values.port}"\n`);
      return 2;
    }
  }
  return serve({
    ...(port !== undefined ? { port } : {}),
    ...(values.host !== undefined ? { host: values.host } : {}),
    ...(values.config !== undefined ? { configPath: values.config } : {}),
    ...(values['allow-plaintext-keys'] === true ? { allowPlaintextKeys: true } : {}),
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (err instanceof ConfigError) process.stderr.write(`keymux: invalid configuration\n${redactText(err.message)}\n`);
    // The operator's problem, not a bug: no stack trace.
    else if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') process.stderr.write(`keymux: cannot listen: ${(err as Error).message}\n`);
    else if (code === 'KMX_ERR_STORE_IN_USE') process.stderr.write(`keymux: cannot open the data store: ${(err as Error).message}\n`);
    else process.stderr.write(`keymux: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
