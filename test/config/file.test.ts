import { describe, expect, it } from 'vitest';
import { ConfigError, configSchema } from '../../src/config/index.js';
import { load, loadError, keysOf } from './helpers.js';

describe('the DeepWiki api_keys.json', () => {
  const API_KEYS_JSON = '{"openai":{"keys":["${OPENAI_API_KEYS}"]},"google":{"keys":["${GOOGLE_API_KEYS}"]}}';

  it('is read as providers:, each ${VAR} item expanding to the comma list', () => {
    const env = { OPENAI_API_KEYS: 'sk-a,sk-b', GOOGLE_API_KEYS: 'AIza-a' };
    const config = load({ 'api_keys.json': API_KEYS_JSON }, env, { configPath: 'api_keys.json' });
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b']);
    expect(keysOf(config, 'gemini')).toEqual(['AIza-a']);
    expect(configSchema.parse(config)).toEqual(config);
  });

  it('is found as keymux.json too', () => {
    const config = load({ 'keymux.json': API_KEYS_JSON }, { OPENAI_API_KEYS: 'sk-a,sk-b', GOOGLE_API_KEYS: 'AIza-a' });
    expect(keysOf(config, 'openai')).toEqual(['sk-a', 'sk-b']);
  });

  it('an unset variable names the file, the path as written and the variable', () => {
    const err = loadError({ 'api_keys.json': API_KEYS_JSON }, { OPENAI_API_KEYS: 'sk-a,sk-b' }, { configPath: 'api_keys.json' });
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.code).toBe('KMX_ERR_CONFIG');
    expect(err.issues).toHaveLength(1);
    expect(err.message).toContain('api_keys.json:1: google.keys[0]: ${GOOGLE_API_KEYS} is not set');
  });
});

describe('${VAR} substitution', () => {
  it('an unset variable in YAML: file, line, providers.openai.keys[0] and the variable', () => {
    const err = loadError({ 'keymux.yaml': 'providers:\n  openai:\n    keys:\n      - ${OPENAI_KEY_MISSING}\n' });
    expect(err.issues).toEqual([
      expect.objectContaining({ file: 'keymux.yaml', line: 4, path: 'providers.openai.keys[0]' }),
    ]);
    expect(err.message).toMatch(/^keymux\.yaml:4: providers\.openai\.keys\[0\]: \$\{OPENAI_KEY_MISSING\} is not set/);
  });

  it('${VAR:-default}, inside longer strings, numbers from strings, $${ escapes', () => {
    const yaml = [
      'server:',
      '  port: ${KMX_TEST_PORT:-8123}',
      '  requestTimeoutMs: ${TIMEOUT}',
      'providers:',
      '  my-box:',
      '    dialect: openai',
      '    baseUrl: http://${BOX_HOST}:8000/v1',
      '    keys: ["${BOX_KEY:-}", "literal-$${NOT_A_VAR}"]',
      '    headers: { X-Team: "${TEAM:-core}" }',
    ].join('\n');
    const config = load({ 'keymux.yaml': yaml }, { TIMEOUT: '10m', BOX_HOST: 'gpu1', BOX_KEY: '' });
    expect(config.server.port).toBe(8123);
    expect(config.server.requestTimeoutMs).toBe(600_000);
    const box = config.providers[0];
    expect(box?.baseUrl).toBe('http://gpu1:8000/v1');
    expect(box?.keys).toEqual([{ key: 'literal-${NOT_A_VAR}' }]);
    expect(box?.headers).toEqual({ 'X-Team': 'core' });
  });

  it('a malformed reference is an error', () => {
    const err = loadError({ 'keymux.yaml': 'proxyKeys: ["${OOPS"]\n' });
    expect(err.message).toContain('keymux.yaml:1: proxyKeys[0]: malformed ${...}');
  });

  it('after a list item expands, later items are still reported at their own index and line', () => {
    const yaml = 'providers:\n  openai:\n    keys:\n      - ${MANY}\n      - { key: sk-x, rpm: -5 }\n';
    const err = loadError({ 'keymux.yaml': yaml }, { MANY: 'sk-1,sk-2,sk-3' });
    expect(err.issues).toEqual([
      { file: 'keymux.yaml', line: 5, path: 'providers.openai.keys[1].rpm', message: 'must be at least 1' },
    ]);
  });
});

describe('validation', () => {
  it('reports every problem at once, with YAML line numbers, in file order, then env and flags', () => {
    const yaml = [
      'server:', //                 1
      '  port: 70000', //           2
      '  bodyLimit: 32 potatoes', // 3
      'strategy: fastest', //       4
      'retry: { maxAttempts: 0 }', // 5
      'providers:', //              6
      '  opanai:', //               7
      '    keys: [sk-a]', //        8
      '  groq:', //                 9
      '    baseUrl: ftp://x', //    10
      '    kyes: [gsk-a]', //       11
      'servre: {}', //              12
    ].join('\n');
    const err = loadError({ 'keymux.yaml': yaml }, { KEYMUX_LOG_LEVEL: 'loud' }, { flags: { port: -1 } });
    const lines = err.message.split('\n');
    expect(lines).toEqual([
      'keymux.yaml:2: server.port: must be at most 65535',
      "keymux.yaml:3: server.bodyLimit: expected bytes, or a size like '32mb', '512kb'",
      'keymux.yaml:4: strategy: expected one of default, round-robin, least-used, lru, random, weighted',
      'keymux.yaml:5: retry.maxAttempts: must be at least 1',
      expect.stringMatching(/^keymux\.yaml:7: providers\.opanai: unknown provider 'opanai' \(did you mean 'openai'\?\); known providers: openai, anthropic, gemini, nvidia_nim, .*azure_openai\. A custom provider needs dialect/),
      'keymux.yaml:7: providers.opanai: a custom provider needs baseUrl, or set OPANAI_BASE_URL',
      'keymux.yaml:10: providers.groq.baseUrl: expected an http(s) URL',
      "keymux.yaml:11: providers.groq.kyes: unknown field 'kyes' (did you mean 'keys'?)",
      "keymux.yaml:12: servre: unknown field 'servre' (did you mean 'server'?)",
      'KEYMUX_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent',
      '--port: must be at least 0',
    ]);
    expect(err.issues[0]).toEqual({ file: 'keymux.yaml', line: 2, path: 'server.port', message: 'must be at most 65535' });
  });

  it('JSON files get line numbers too', () => {
    const json = '{\n  "server": {\n    "port": "eighty"\n  }\n}\n';
    expect(loadError({ 'keymux.json': json }).message).toBe('keymux.json:3: server.port: expected a whole number');
  });

  it('syntax errors name the file and line', () => {
    const err = loadError({ 'keymux.yaml': 'server:\n  port: 1\n  port: 2\n' });
    expect(err.issues[0]).toMatchObject({ file: 'keymux.yaml', line: 3 });
  });

  it('a provider written at the top level gets a hint', () => {
    const err = loadError({ 'keymux.yaml': 'strategy: lru\nopenai:\n  keys: [sk-a]\n' });
    expect(err.message).toBe("keymux.yaml:2: openai: unknown field 'openai': providers go under providers: (providers.openai)");
  });

  it('never puts a secret in a message', () => {
    const secret = 'sk-live-0123456789abcdefSECRET';
    const yaml = `providers:\n  openai:\n    keys:\n      - { key: ${secret}, rpm: zero }\n      - { ${secret}: 5 }\n      - ${secret}\n`;
    const err = loadError({ 'keymux.yaml': yaml });
    expect(err.issues.length).toBeGreaterThanOrEqual(2);
    expect(err.message).not.toContain(secret);
    expect(err.message).not.toContain('0123456789');
    const ok = load({ 'keymux.yaml': `providers:\n  openai:\n    keys: [${secret}, ${secret}]\n` });
    expect(ok.warnings.join('\n')).toContain('keymux.yaml:3: providers.openai.keys[1]: duplicate key sk-…CRET');
    expect(ok.warnings.join('\n')).not.toContain('0123456789');
  });
});

describe('providers', () => {
  it('catalog aliases normalise to the canonical name, and keys merge', () => {
    const yaml = 'providers:\n  google:\n    keys: [AIza-1]\n  gemini:\n    keys: [AIza-2, AIza-1]\n  nvidia:\n    keys: [nvapi-1]\n';
    const config = load({ 'keymux.yaml': yaml }, { GOOGLE_API_KEY: 'AIza-3' });
    expect(config.providers.map((p) => p.name)).toEqual(['gemini', 'nvidia_nim']);
    expect(keysOf(config, 'gemini')).toEqual(['AIza-1', 'AIza-2', 'AIza-3']);
    expect(config.providers[1]).toMatchObject({ label: 'NVIDIA NIM', dialect: 'openai', baseUrl: 'https://integrate.api.nvidia.com/v1', custom: false, limitsPerModel: false });
  });

  it('entries naming one provider must not disagree', () => {
    const yaml = 'providers:\n  google:\n    strategy: lru\n  gemini:\n    strategy: random\n';
    expect(loadError({ 'keymux.yaml': yaml }).message).toBe('keymux.yaml:5: providers.gemini.strategy: conflicts with providers.google.strategy');
  });

  it('a custom provider by a name not in the catalog', () => {
    const yaml = [
      'providers:',
      '  my-local:',
      '    dialect: openai',
      '    baseUrl: http://127.0.0.1:8000/v1',
      '    keys: [{ key: local-key, maxConcurrent: 2, weight: 0.5, group: box, label: gpu }]',
      '    models: [qwen2.5-7b, llama3.1]',
      '    strategy: round-robin',
    ].join('\n');
    const config = load({ 'keymux.yaml': yaml });
    expect(config.providers).toEqual([
      {
        name: 'my-local',
        label: 'my-local',
        dialect: 'openai',
        baseUrl: 'http://127.0.0.1:8000/v1',
        keys: [{ key: 'local-key', maxConcurrent: 2, weight: 0.5, group: 'box', label: 'gpu' }],
        models: ['qwen2.5-7b', 'llama3.1'],
        strategy: 'round-robin',
        limitsPerModel: false,
        custom: true,
      },
    ]);
  });

  it('a catalog provider keeps its dialect', () => {
    const err = loadError({ 'keymux.yaml': 'providers:\n  openai:\n    dialect: anthropic\n' });
    expect(err.message).toBe('keymux.yaml:3: providers.openai.dialect: openai speaks the openai dialect; for another, use a custom provider name');
  });

  it('azure_openai: baseUrl, apiVersion and deployments', () => {
    const yaml = [
      'providers:',
      '  azure_openai:',
      '    keys: [az-1]',
      '    baseUrl: https://x.openai.azure.com',
      "    apiVersion: '2024-10-21'",
      '    deployments: { gpt-4o: my-deploy }',
    ].join('\n');
    expect(load({ 'keymux.yaml': yaml }).providers[0]).toMatchObject({
      name: 'azure_openai',
      dialect: 'azure',
      baseUrl: 'https://x.openai.azure.com',
      apiVersion: '2024-10-21',
      deployments: { 'gpt-4o': 'my-deploy' },
    });
    expect(loadError({ 'keymux.yaml': 'providers:\n  azure:\n    keys: [az-1]\n' }).message).toBe(
      'keymux.yaml:2: providers.azure: azure_openai needs baseUrl (https://<resource>.openai.azure.com), or set AZURE_OPENAI_BASE_URL',
    );
    expect(keysOf(load({}, { AZURE_OPENAI_API_KEY: 'az-1', AZURE_OPENAI_ENDPOINT: 'https://y.openai.azure.com/' }), 'azure_openai')).toEqual(['az-1']);
    const envOnly = load({}, { AZURE_OPENAI_API_KEY: 'az-1' });
    expect(envOnly.providers).toEqual([]);
    expect(envOnly.warnings).toEqual(['AZURE_OPENAI_API_KEY set, but azure_openai has no base URL: skipped (set AZURE_OPENAI_BASE_URL)']);
  });

  it('a provider without keys is a warning, not an error', () => {
    const config = load({ 'keymux.yaml': 'providers:\n  openai:\n  groq: { keys: [] }\n' });
    expect(config.providers.map((p) => p.keys.length)).toEqual([0, 0]);
    expect(config.warnings).toEqual([
      'keymux.yaml:2: providers.openai: no keys (add keys: or set OPENAI_API_KEYS)',
      'keymux.yaml:3: providers.groq: no keys (add keys: or set GROQ_API_KEYS)',
    ]);
  });

  it('keys may be one comma-separated string', () => {
    expect(keysOf(load({ 'keymux.yaml': 'providers:\n  openai: { keys: "${K}" }\n' }, { K: 'sk-a, sk-b' }), 'openai')).toEqual(['sk-a', 'sk-b']);
  });
});

describe('aliases and modelMap', () => {
  it('merge into one map, provider prefixes made canonical', () => {
    const yaml = [
      'providers: { groq: { keys: [gsk-1] }, nvidia: { keys: [nvapi-1] } }',
      'aliases: { fast: groq/llama-3.1-8b-instant }',
      'modelMap: { claude-3-5-sonnet-latest: nvidia/meta/llama-3.1-70b-instruct }',
    ].join('\n');
    expect(load({ 'keymux.yaml': yaml }).aliases).toEqual({
      fast: 'groq/llama-3.1-8b-instant',
      'claude-3-5-sonnet-latest': 'nvidia_nim/meta/llama-3.1-70b-instruct',
    });
  });

  it('disagreements and loops are errors; an unconfigured target is a warning', () => {
    const err = loadError({ 'keymux.yaml': 'aliases: { a: b, b: a, c: x/y }\nmodelMap: { c: x/z }\n' });
    expect(err.message.split('\n')).toEqual([
      'keymux.yaml:1: aliases.a: aliases loop: a → b → a',
      'keymux.yaml:1: aliases.b: aliases loop: b → a → b',
      'keymux.yaml:2: modelMap.c: conflicts with aliases.c',
    ]);
    expect(load({ 'keymux.yaml': 'aliases: { fast: groq/llama }\n' }).warnings).toEqual([
      'keymux.yaml:1: aliases.fast: groq is not configured (no keys), so this alias cannot be served',
    ]);
  });
});
