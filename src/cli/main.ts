#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError } from '../config/index.js';
import { redactText } from '../server/index.js';
import { AdminCallError, keysAction, keysList, keysRecheck, stats, type AdminTarget } from './admin-client.js';
import { ADMIN_ENV_HELP, envHelp } from './help.js';
import { keysCheck } from './keys-check.js';
import { serve } from './serve.js';

/** Written in by the single-executable build (scripts/build-sea.mjs), which has no package.json beside it. */
declare const __KEYMUX_VERSION__: string | undefined;

async function version(): Promise<string> {
  if (typeof __KEYMUX_VERSION__ === 'string') return __KEYMUX_VERSION__;
  const { createRequire } = await import('node:module');
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be a port number (0-65535).');
  return n;
}

/** The admin-API commands' flags: where the server is and the key that opens its admin API. */
function adminFlags(c: Command): Command {
  return c
    .addOption(new Option('--url <url>', 'the running keymux').env('KEYMUX_URL').default(`http://127.0.0.1:${process.env.KEYMUX_PORT ?? '8080'}`))
    .addOption(new Option('--admin-key <key>', 'an admin key of that server').env('KEYMUX_ADMIN_KEY'))
    .option('--provider <name>', 'only this provider')
    .option('--json', 'JSON instead of a table')
    .addHelpText('after', ADMIN_ENV_HELP);
}

type AdminOpts = { url: string; adminKey?: string; provider?: string; json?: boolean };
const target = (o: AdminOpts): AdminTarget => ({ url: o.url, adminKey: o.adminKey, ...(o.json === true && { json: true }) });

/**
 * The command line, on commander: every command and flag declared once, so `--help` (and `<command> --help`,
 * with the environment each reads) and the parsing cannot disagree. A usage error exits 2, a failed check 1.
 */
async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('keymux')
    .description('Pool many LLM API keys behind one endpoint')
    .version(await version(), '-v, --version')
    .exitOverride()
    .showHelpAfterError()
    .addHelpText('after', `${envHelp()}${ADMIN_ENV_HELP}`)
    .configureOutput({
      // One line saying what was wrong, in keymux's voice ("keymux: Unknown option '--prot'"), then the usage.
      outputError: (s, write) => write(`keymux: ${s.replace(/^error: /, '').replace(/^./, (c) => c.toUpperCase())}\n`),
    });

  program
    .command('serve', { isDefault: true })
    .description('run the proxy (the default command)')
    .option('-p, --port <n>', 'port to listen on', portNumber)
    .option('--host <host>', 'address to listen on')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--allow-plaintext-keys', 'store keys added through the admin API unencrypted when no KEYMUX_ENCRYPTION_KEY is set')
    .addHelpText('after', envHelp())
    .action(async (o: { port?: number; host?: string; config?: string; allowPlaintextKeys?: boolean }) => {
      code = await serve({
        ...(o.port !== undefined && { port: o.port }),
        ...(o.host !== undefined && { host: o.host }),
        ...(o.config !== undefined && { configPath: o.config }),
        ...(o.allowPlaintextKeys === true && { allowPlaintextKeys: true }),
      });
    });

  const keys = program.command('keys').description('check and manage the keys');
  keys
    .command('check')
    .description('validate every configured key against its provider with the cheapest call that proves it; exit 1 if any is invalid')
    .option('--provider <name>', 'only this provider')
    .option('--json', 'JSON instead of a table')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .addHelpText('after', envHelp())
    .action(async (o: { provider?: string; json?: boolean; config?: string }) => {
      code = await keysCheck({ ...(o.provider !== undefined && { provider: o.provider }), ...(o.json === true && { json: true }), ...(o.config !== undefined && { configPath: o.config }) });
    });
  adminFlags(keys.command('list').description("a running server's keys and their state (admin API)")).action(async (o: AdminOpts) => {
    code = await keysList(target(o), o.provider);
  });
  for (const action of ['enable', 'disable', 'reset'] as const) {
    adminFlags(keys.command(`${action} <id>`).description(`${action} a key of a running server by its id (admin API)`)).action(async (id: string, o: AdminOpts) => {
      code = await keysAction(target(o), action, id, o.provider);
    });
  }
  adminFlags(keys.command('recheck').description("a running server re-checks its disabled keys now; those that pass come back half-open (admin API)")).action(async (o: AdminOpts) => {
    code = await keysRecheck(target(o));
  });
  adminFlags(program.command('stats').description("a running server's per-key latency and success, and usage per key tier (admin API), as JSON")).action(async (o: AdminOpts) => {
    code = await stats(target(o), o.provider);
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : 2;
    }
    if (err instanceof AdminCallError) {
      process.stderr.write(`keymux: ${redactText(err.message)}\n`);
      return 1;
    }
    throw err;
  }
  return code;
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
