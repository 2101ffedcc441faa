import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { load, loadError } from './helpers.js';

describe('key tiers in the config file', () => {
  it('a key entry takes `tier`; keys without one (and env keys) are tier 1 by default', () => {
    const yaml = ['providers:', '  openai:', '    keys:', '      - sk-free-1', '      - { key: sk-free-2, tier: 1, rpm: 3 }', '      - { key: sk-paid, tier: 2, label: paid }'].join('\n');
    const config = load({ 'keymux.yaml': yaml }, { OPENAI_API_KEYS: 'sk-env' });
    expect(config.providers[0]?.keys).toEqual([
      { key: 'sk-free-1' },
      { key: 'sk-free-2', tier: 1, rpm: 3 },
      { key: 'sk-paid', tier: 2, label: 'paid' },
      { key: 'sk-env' },
    ]);
  });

  it('a tier as a numeric string (from ${VAR}) is read as a number', () => {
    const yaml = 'providers:\n  openai:\n    keys: [{ key: sk-paid, tier: "${PAID_TIER}" }]\n';
    expect(load({ 'keymux.yaml': yaml }, { PAID_TIER: '3' }).providers[0]?.keys).toEqual([{ key: 'sk-paid', tier: 3 }]);
  });

  it.each([
    ['0', 'must be at least 1'],
    ['-2', 'must be at least 1'],
    ['1.5', 'expected a whole number'],
    ['paid', 'expected a whole number'],
  ])('tier %s is refused with the file, line and path', (tier, why) => {
    const yaml = ['providers:', '  openai:', '    keys:', '      - sk-free', `      - { key: sk-paid, tier: ${tier} }`].join('\n');
    const err = loadError({ 'keymux.yaml': yaml });
    expect(err.message).toContain(`keymux.yaml:5: providers.openai.keys[1].tier: ${why}`);
    // The key itself is never part of an error.
    expect(err.message).not.toContain('sk-paid');
  });

  it('a misspelt field next to tier is named with its near miss', () => {
    const err = loadError({ 'keymux.yaml': 'providers:\n  openai:\n    keys: [{ key: sk-paid, teir: 2 }]\n' });
    expect(err.message).toContain("keymux.yaml:3: providers.openai.keys[0]: unknown field 'teir' (did you mean 'tier'?)");
  });

  it('queue.tierWaitMs sets how long a request waits for a lower tier (default 300 ms; a duration)', () => {
    expect(load({}).queue.tierWaitMs).toBe(300);
    expect(load({ 'keymux.yaml': 'queue: { tierWaitMs: 1s }\n' }).queue.tierWaitMs).toBe(1_000);
    expect(load({ 'keymux.yaml': 'queue: { tierWaitMs: 0 }\n' }).queue.tierWaitMs).toBe(0);
    expect(loadError({ 'keymux.yaml': 'queue: { tierWaitMs: -5 }\n' }).message).toContain('keymux.yaml:1: queue.tierWaitMs: must be at least 0');
  });

  it("the README's Key tiers example loads as it says: ten free keys at tier 1, one paid key at tier 2", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Key tiers'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(yaml).toBeDefined();
    const env: Record<string, string> = { PAID_KEY: 'sk-paid-key' };
    for (let i = 1; i <= 10; i++) env[`FREE_KEY_${i}`] = `AIza-free-${i}`;
    const config = load({ 'keymux.yaml': yaml! }, env);
    const keys = config.providers[0]?.keys ?? [];
    expect(keys.filter((k) => (k.tier ?? 1) === 1)).toHaveLength(10);
    expect(keys.filter((k) => k.tier === 2)).toEqual([{ key: 'sk-paid-key', tier: 2, label: 'paid' }]);
    expect(config.queue.tierWaitMs).toBe(300);
  });
});
