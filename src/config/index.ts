/**
 * Configuration, the module's only door. Layers: defaults < file < env < flags; validated once (zod), every
 * problem thrown at once as a ConfigError, the result deeply frozen.
 *
 * File: `configPath`, else $KEYMUX_CONFIG, else ./keymux.yaml | keymux.yml | keymux.json. YAML or JSON. A JSON/YAML
 * whose top level is provider → { keys } (DeepWiki's api_keys.json) is read as `providers:`. `${VAR}` and
 * `${VAR:-default}` are substituted in every string value (`$${` is a literal `${`); a list item that is exactly one
 * `${VAR}` expands to its comma list. Numbers may be numeric strings; durations may be '30s'/'10m'; bodyLimit '32mb'.
 * `aliases` and `modelMap` are one map (both accepted; merged into Config.aliases; the same name with two targets
 * is an error).
 *
 * Env (./.env fills what the real environment leaves unset; process.env is never modified):
 *   <PROVIDER>_API_KEYS, <PROVIDER>_API_KEY, <PROVIDER>_API_KEY_<n> (each a comma list), for the canonical name and
 *   every alias (GEMINI_ / GOOGLE_, NVIDIA_NIM_ / NVIDIA_ / NIM_), and custom providers (`my-local` → MY_LOCAL_);
 *   added to the file's keys. <PROVIDER>_BASE_URL (Azure also AZURE_OPENAI_ENDPOINT) overrides the base URL.
 *   KEYMUX_PROXY_KEYS / PROXY_API_KEYS / PROXY_API_KEY add proxy keys; KEYMUX_PORT (else PORT), KEYMUX_HOST,
 *   KEYMUX_STRATEGY, KEYMUX_LOG_LEVEL override the file (the table ENV_SETTINGS in schema.ts).
 * Plain settings (server, strategy, retry, queue, cooldown, logLevel) are one tree, settingsSchema: the file, env
 * and flag layers are partial trees of it, merged by one generic deep merge (layers.ts).
 * Defaults: port 8080; host 127.0.0.1, or 0.0.0.0 when proxy keys exist; see DEFAULTS.
 * Comma lists (env variables, a list written as one string, a `${VAR}` list item) go through one reader, splitList:
 * items trimmed, quoted whole or one by one, `["a","b"]` and `['a', 'b']` accepted, empty items and duplicates dropped.
 * Bounds: the config file and .env are read up to MAX_CONFIG_BYTES (1 MB); YAML aliases may expand to at most
 * MAX_CONFIG_VALUES values, counted before anything is expanded. Every error and warning has key-shaped text
 * masked (redactKeys): a key typed where a name belongs is shown as `sk-…a1b2`.
 */
export { loadConfig, type LoadOptions } from './load.js';
export { ConfigError, CONFIG_ERROR_CODE, formatIssue, type ConfigIssue } from './errors.js';
export { configSchema, DEFAULTS, STRATEGIES, LOG_LEVELS, type Config, type ProviderConfig, type DeepReadonly } from './schema.js';
