import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';

describe('keys in the .env for a provider keymux does not know', () => {
  it('are named in a warning with file and line, and known providers, aliases and custom ones are not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keymux-unknown-'));
    writeFileSync(
      join(dir, '.env'),
      ['PROXY_API_KEY="secret"', 'GEMINI_API_KEY_1="AIza-one"', 'NVIDIA_API_KEY="nvapi-a"', 'COHERE_API_KEY_1="co-abc"', 'MY_LOCAL_API_KEY="x"'].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'keymux.yaml'), 'providers:\n  my-local:\n    dialect: openai\n    baseUrl: http://127.0.0.1:1/v1\n');
    // The process environment's other *_API_KEY variables (another tool's) are not ours to judge.
    const config = loadConfig({ cwd: dir, env: { WANDB_API_KEY: 'w' } });
    expect(config.providers.map((p) => p.name).sort()).toEqual(['gemini', 'my-local', 'nvidia_nim']);
    const unknown = config.warnings.filter((w) => w.includes('knows no provider'));
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toMatch(/\.env:4: COHERE_API_KEY_1: keymux knows no provider "cohere"/);
    expect(unknown[0]).not.toContain('co-abc');
  });
});
