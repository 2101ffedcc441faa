// Fallback groups: an alias whose value is a list of provider/model targets, tried in order (README "Fallback groups").
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';
import { load, loadError } from './helpers.js';

const KEYS = 'providers: { nvidia: { keys: [nvapi-1] }, openrouter: { keys: [sk-or-1] }, groq: { keys: [gsk-1] } }\n';

describe('fallback groups in the config', () => {
  it('a list is a group: targets in order, provider prefixes made canonical, apart from the plain aliases', () => {
    const yaml = KEYS + [
      'aliases:',
      '  fast: groq/llama-3.1-8b-instant',
      '  coder:',
      '    - nvidia/qwen/qwen3-coder-480b-a35b-instruct',
      '    - openrouter/qwen/qwen3-coder:free',
      '    - fast',
    ].join('\n');
    const config = load({ 'keymux.yaml': yaml });
    expect(config.aliases).toEqual({ fast: 'groq/llama-3.1-8b-instant' });
    // A plain alias among the targets is its target.
    expect(config.groups).toEqual({
      coder: ['nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct', 'openrouter/qwen/qwen3-coder:free', 'groq/llama-3.1-8b-instant'],
    });
    expect(config.warnings).toEqual([]);
    expect(configSchema.parse(config)).toEqual(config);
  });

  it('modelMap takes lists too, and a plain alias naming a group is that group', () => {
    const yaml = KEYS + 'modelMap:\n  gpt-4o: [groq/a, openrouter/b]\naliases:\n  best: gpt-4o\n';
    const config = load({ 'keymux.yaml': yaml });
    expect(config.groups).toEqual({ 'gpt-4o': ['groq/a', 'openrouter/b'], best: ['groq/a', 'openrouter/b'] });
    expect(config.aliases).toEqual({});
  });

  it('an empty list, a non-string target and a value of the wrong kind are errors with file, line and path', () => {
    const yaml = KEYS + 'aliases:\n  empty: []\n  mixed: [groq/a, 3]\n  odd: { a: b }\n';
    expect(loadError({ 'keymux.yaml': yaml }).message.split('\n')).toEqual([
      'keymux.yaml:3: aliases.empty: a fallback group needs at least one target',
      'keymux.yaml:4: aliases.mixed[1]: expected text',
      'keymux.yaml:5: aliases.odd: expected provider/model, or a list of them (a fallback group)',
    ]);
  });

  it('groups do not nest; a target naming no known provider is an error', () => {
    const yaml = KEYS + 'aliases:\n  a: [groq/x, openrouter/y]\n  b: [a, groq/z]\n  c: [nosuch/m, groq/z, justamodel]\n';
    expect(loadError({ 'keymux.yaml': yaml }).message.split('\n')).toEqual([
      'keymux.yaml:4: aliases.b[0]: "a" is a fallback group; groups do not nest: list its targets here instead',
      'keymux.yaml:5: aliases.c[0]: "nosuch/m": a group\'s target is provider/model with a known provider (configured: nvidia_nim, openrouter, groq)',
      'keymux.yaml:5: aliases.c[2]: "justamodel": a group\'s target is provider/model with a known provider (configured: nvidia_nim, openrouter, groq)',
    ]);
  });

  it('a known provider without keys is a warning (the target is skipped); a group with no servable target is an error', () => {
    const config = load({ 'keymux.yaml': 'providers: { groq: { keys: [gsk-1] } }\naliases:\n  coder: [mistral/codestral, groq/x]\n' });
    expect(config.groups).toEqual({ coder: ['mistral/codestral', 'groq/x'] });
    expect(config.warnings).toEqual(['keymux.yaml:3: aliases.coder[0]: mistral is not configured (no keys): this target is skipped']);
    const err = loadError({ 'keymux.yaml': 'providers: { groq: { keys: [gsk-1] } }\naliases:\n  coder: [mistral/codestral, cerebras/x]\n' });
    expect(err.message).toContain('keymux.yaml:3: aliases.coder: no target of this fallback group has a configured provider (no keys), so it cannot be served');
  });

  it('modelMap and aliases that agree on a list do not conflict; disagreeing ones do', () => {
    expect(load({ 'keymux.yaml': KEYS + 'aliases: { g: [groq/a, groq/b] }\nmodelMap: { g: [groq/a, groq/b] }\n' }).groups).toEqual({ g: ['groq/a', 'groq/b'] });
    expect(loadError({ 'keymux.yaml': KEYS + 'aliases: { g: [groq/a, groq/b] }\nmodelMap: { g: [groq/b, groq/a] }\n' }).message).toContain('modelMap.g: conflicts with aliases.g');
  });

  it("the README's example is a group of the issue's three targets", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Fallback groups'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const config = load({ 'keymux.yaml': yaml }, { NVIDIA_NIM_API_KEY: 'nvapi-1', OPENROUTER_API_KEY: 'sk-or-1', GROQ_API_KEY: 'gsk-1' });
    expect(config.groups).toEqual({
      coder: ['nvidia_nim/qwen/qwen3-coder-480b-a35b-instruct', 'openrouter/qwen/qwen3-coder:free', 'groq/llama-3.3-70b-versatile'],
    });
  });

  it('retry.spillWaitMs defaults to 300 ms and takes a duration', () => {
    expect(load({}).retry).toEqual({ maxAttempts: 3, spillWaitMs: 300 });
    expect(load({ 'keymux.yaml': 'retry: { spillWaitMs: 1s }\n' }).retry.spillWaitMs).toBe(1_000);
  });
});
