// A base URL may carry credentials (`http://user:pass@host`, `?key=…`): wherever keymux shows one — the
// providers list, log lines, error bodies — the userinfo and secret query values are gone.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { redactText, shownUrl } from '../../src/server/redact.js';
import { DEAD_PORT, call, chatBody, start, type Harness } from './helpers.js';

describe('shownUrl / redactText', () => {
  test('strips userinfo and secret query values, keeps the rest of the URL as written', () => {
    expect(shownUrl('http://alice:s3cret@127.0.0.1:9/v1')).toBe('http://127.0.0.1:9/v1');
    expect(shownUrl('https://tok@api.example.com/v1')).toBe('https://api.example.com/v1');
    expect(shownUrl('https://x.openai.azure.com/openai?api-version=2024-10-21&key=abc&sig=zz')).toBe(
      'https://x.openai.azure.com/openai?api-version=2024-10-21&key=***&sig=***',
    );
    expect(shownUrl('https://api.openai.com/v1')).toBe('https://api.openai.com/v1');
  });

  test('redacts URLs inside free text', () => {
    expect(redactText('connect to http://bob:pw@10.0.0.1:80/v1?key=abc failed')).toBe('connect to http://10.0.0.1:80/v1?key=*** failed');
  });
});

describe('base URLs with credentials', () => {
  let h: Harness;
  let closedPort: number;
  beforeAll(async () => {
    // A port nothing listens on: the provider is unreachable, so the error path is taken too.
    closedPort = DEAD_PORT;
    h = await start({
      env: (sim) => ({
        OPENAI_API_KEYS: 'sk-a',
        OPENAI_BASE_URL: `http://alice:s3cret@${new URL(sim.url).host}/v1?key=qsecret`,
        GROQ_API_KEYS: 'gsk-a',
        GROQ_BASE_URL: `http://carol:g5ecret@127.0.0.1:${closedPort}/openai/v1`,
        KEYMUX_STRATEGY: 'round-robin',
      }),
    });
  });
  afterAll(() => h.close());

  test('GET /v1/providers shows base URLs without userinfo or query secrets', async () => {
    const r = await call(h.url, '/v1/providers');
    expect(r.status).toBe(200);
    expect(r.text).not.toMatch(/s3cret|alice|qsecret|g5ecret|carol/);
    const byName = Object.fromEntries((r.json.data as Array<{ name: string; baseUrl: string }>).map((p) => [p.name, p.baseUrl]));
    expect(byName.openai).toBe(`http://${new URL(h.sim.url).host}/v1?key=***`);
    expect(byName.groq).toBe(`http://127.0.0.1:${closedPort}/openai/v1`);
  });

  test('an unreachable provider: neither the error body nor any log line shows its credentials', async () => {
    const r = await call(h.url, '/v1/chat/completions', chatBody('x', { model: 'groq/llama-3.1-8b-instant' }));
    expect(r.status).toBe(502);
    expect(r.text).not.toMatch(/g5ecret|carol/);
    expect(h.logs.lines.join('\n')).not.toMatch(/s3cret|g5ecret|qsecret/);
  });
});
