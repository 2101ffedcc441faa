import { ENV_SETTINGS } from '../config/schema.js';

/** The environment `serve` and `keys check` read, for `--help`: the settings table, then the keys and the file. */
export function envHelp(): string {
  const rows: Array<[string, string]> = [
    ['OPENAI_API_KEYS, ANTHROPIC_API_KEYS, GEMINI_API_KEYS, …', "a provider's keys, comma-separated (or NAME_API_KEY_1, _2, …)"],
    ['OPENAI_BASE_URL, …', "a provider's base URL"],
    ['KEYMUX_PROXY_KEYS, PROXY_API_KEY', 'keys clients must present'],
    ['KEYMUX_CONFIG', 'the config file (else ./keymux.yaml or ./keymux.json)'],
    ...ENV_SETTINGS.map(({ vars, path }): [string, string] => [vars.join(', '), path.join('.')]),
  ];
  const w = Math.max(...rows.map(([v]) => v.length));
  return `\nEnvironment (also read from ./.env):\n${rows.map(([v, what]) => `  ${v.padEnd(w)}  ${what}`).join('\n')}\n`;
}

export const ADMIN_ENV_HELP = `
Environment:
  KEYMUX_URL        the running server (default http://127.0.0.1:$KEYMUX_PORT, port 8080)
  KEYMUX_ADMIN_KEY  an admin key of that server (sent as Authorization: Bearer …)
`;
