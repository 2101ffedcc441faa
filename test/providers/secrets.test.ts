import { describe, expect, it } from 'vitest';
import { CATALOG, adapterFor, redactSecrets } from '../../src/providers/index.js';
import type { UpstreamResult } from '../../src/providers/index.js';

/** Key shapes of every provider, and the masked forms error bodies echo. */
const KEYS = [
  'sk-proj-AbCdEf1234567890GhIjKlMnOpQrStUvWxYz',
  'sk-abc***************xyz9',
  'sk-ant-api03-R2D2C3POr2d2c3poR2D2C3POr2d2-AA11BB22',
  'sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef',
  'AIzaSyD-FAKEFAKEFAKEFAKE1234567890abcd',
  'nvapi-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe-dcBA',
  'gsk_4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c8b7a6f5e4d3c2b1a',
  'xai-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56Qr78St90',
  'qN7h6rEWlmjs5iL67Y4rtladP3P76C2t', // Mistral: no prefix
  '0123456789abcdef0123456789abcdef', // Azure: 32 hex
];

const fragments = (key: string): string[] => [key, key.slice(0, 12), key.slice(-8)].filter((f) => f.replace(/\*/g, '').length >= 6);

function results(key: string): UpstreamResult[] {
  const text = `Incorrect API key provided: ${key}. Authorization: Bearer ${key}`;
  return [
    { status: 400, headers: {}, body: { error: { message: text, type: 'invalid_request_error', code: null } } },
    { status: 401, headers: {}, body: { error: { message: text, type: 'invalid_request_error', code: 'invalid_api_key' } } },
    { status: 429, headers: {}, body: { error: { message: text, type: null, code: null } } },
    { status: 403, headers: {}, body: { status: 403, title: 'Forbidden', detail: text } },
    { status: 422, headers: {}, body: { object: 'error', message: text, type: 'invalid_request_error', code: null } },
    { status: 400, headers: {}, body: { type: 'error', error: { type: 'invalid_request_error', message: text } } },
    { status: 400, headers: {}, body: { error: { code: 400, message: text, status: 'INVALID_ARGUMENT' } } },
    { status: 403, headers: {}, body: { error: { code: 403, message: `Permission denied: Consumer 'api_key:${key}' has been suspended.`, status: 'PERMISSION_DENIED' } } },
    { status: 500, headers: {}, body: text },
    { status: 404, headers: {}, body: text },
    { error: new Error(`request to https://x.example/v1?key=${key} failed`) },
  ];
}

describe('no reason ever carries a secret', () => {
  for (const key of KEYS) {
    it(key.slice(0, 10), () => {
      for (const p of CATALOG) {
        for (const r of results(key)) {
          const reason = adapterFor(p).classify(r, { now: 0 }).reason ?? '';
          for (const f of fragments(key)) expect(reason, `${p.name}: ${reason}`).not.toContain(f);
        }
      }
    });
  }

  it('redaction leaves ordinary text readable', () => {
    expect(redactSecrets('prompt is too long: 215000 tokens > 200000 maximum')).toBe('prompt is too long: 215000 tokens > 200000 maximum');
    expect(redactSecrets('Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.'))
      .toBe('Incorrect API key provided: [redacted]. You can find your API key at https://platform.openai.com/account/api-keys.');
  });
});
