import { describe, expect, it } from 'vitest';
import { load, loadError } from './helpers.js';

const TEAM_KEY = 'kmx-team-a-0123456789abcdefghij';
const CI_KEY = 'kmx-ci-9876543210zyxwvutsrqpo';

const ISSUE_YAML = `
clients:
  - { name: team-a, key: "\${TEAM_A_KEY}", rpm: 60, tpm: 200000, rpd: 5000, budgetUsd: 5, models: [coder, "openai/*"] }
  - { name: ci, key: "\${CI_KEY}" }
`;

describe('config: clients', () => {
  it('reads the example of the README: names, ${ENV} keys, limits and model lists', () => {
    const config = load({ 'keymux.yaml': ISSUE_YAML }, { TEAM_A_KEY: TEAM_KEY, CI_KEY });
    expect(config.clients).toEqual([
      { name: 'team-a', key: TEAM_KEY, rpm: 60, tpm: 200_000, rpd: 5000, budgetUsd: 5, models: ['coder', 'openai/*'] },
      { name: 'ci', key: CI_KEY },
    ]);
    // Client keys open the proxy like proxy keys: the host default moves off loopback, the guard closes.
    expect(config.proxyKeys).toEqual([TEAM_KEY, CI_KEY]);
    expect(config.server.host).toBe('0.0.0.0');
  });

  it('proxyKeys stay beside clients', () => {
    const config = load({ 'keymux.yaml': `proxyKeys: [kmx-plain-key]\n${ISSUE_YAML}` }, { TEAM_A_KEY: TEAM_KEY, CI_KEY, KEYMUX_PROXY_KEYS: 'kmx-env-key' });
    expect(config.proxyKeys).toEqual(['kmx-plain-key', 'kmx-env-key', TEAM_KEY, CI_KEY]);
    expect(config.clients.map((c) => c.name)).toEqual(['team-a', 'ci']);
  });

  it('an unset ${VAR} for a client key is reported at its line, naming the variable', () => {
    const err = loadError({ 'keymux.yaml': ISSUE_YAML }, { CI_KEY });
    expect(err.message).toMatch(/keymux\.yaml:3: clients\[0\]\.key: \$\{TEAM_A_KEY\} is not set/);
  });

  it('reports every bad field at once, with file, line and path', () => {
    const yaml = `clients:
  - { name: a, key: k1, rpm: 0 }
  - { name: b, key: k2, budgetUsd: -1, models: [1] }
  - { key: k3 }
  - { name: d, key: k4, rpmm: 5 }
`;
    const err = loadError({ 'keymux.yaml': yaml });
    const m = err.message;
    expect(m).toContain('keymux.yaml:2: clients[0].rpm: must be at least 1');
    expect(m).toContain('keymux.yaml:3: clients[1].budgetUsd: must be above 0');
    expect(m).toMatch(/keymux\.yaml:3: clients\[1\]\.models\[0\]: expected text/);
    expect(m).toMatch(/keymux\.yaml:4: clients\[2\]\.name: /);
    expect(m).toMatch(/keymux\.yaml:5: clients\[3\]\.rpmm: unknown field 'rpmm' \(did you mean 'rpm'\?\)/);
  });

  it('a list is expected', () => {
    expect(loadError({ 'keymux.yaml': 'clients: { name: a }\n' }).message).toContain('clients: expected a list of clients');
  });

  it('names and keys are unique, also against proxyKeys; messages never show a key', () => {
    const yaml = `proxyKeys: ["\${PLAIN}"]
clients:
  - { name: a, key: "\${TEAM_A_KEY}" }
  - { name: a, key: "\${CI_KEY}" }
  - { name: c, key: "\${TEAM_A_KEY}" }
  - { name: d, key: "\${PLAIN}" }
`;
    const plain = 'kmx-plain-5555555555aaaaaaaaaa';
    const err = loadError({ 'keymux.yaml': yaml }, { TEAM_A_KEY: TEAM_KEY, CI_KEY, PLAIN: plain });
    expect(err.message).toContain("keymux.yaml:4: clients[1].name: client name 'a' is already used by clients[0]");
    expect(err.message).toContain("keymux.yaml:5: clients[2].key: the same key as client 'a'");
    expect(err.message).toContain('keymux.yaml:6: clients[3].key: this key is also in proxyKeys');
    for (const k of [TEAM_KEY, CI_KEY, plain]) expect(err.message).not.toContain(k);
  });

  it('a client name that looks like a key is refused (names are shown in logs), and masked in the message', () => {
    const err = loadError({ 'keymux.yaml': `clients:\n  - { name: "${TEAM_KEY}", key: "${CI_KEY}" }\n` });
    expect(err.message).toContain('clients[0].name: looks like a key');
    expect(err.message).not.toContain(TEAM_KEY);
    expect(err.message).not.toContain(CI_KEY);
  });

  it('no clients section: none', () => {
    expect(load({}).clients).toEqual([]);
  });
});
