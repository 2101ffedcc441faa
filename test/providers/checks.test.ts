import { describe, expect, it } from 'vitest';
import { adapterFor, findProvider, openRouterKeyInfo, resolveProfile, upstreamUrl } from '../../src/providers/index.js';
import { finished } from './helpers.js';

describe('upstream request ids for the request log', () => {
  it('x-request-id, Anthropic request-id and body request_id, Gemini responseId', () => {
    expect(adapterFor('openai').requestId({ 'x-request-id': 'req_7c1a' })).toBe('req_7c1a');
    const anthropic = adapterFor('anthropic');
    expect(anthropic.requestId({ 'request-id': 'req_011CSHo' })).toBe('req_011CSHo');
    expect(anthropic.requestId({}, { type: 'error', error: { type: 'api_error', message: 'x' }, request_id: 'req_011CSHp' })).toBe('req_011CSHp');
    expect(adapterFor('gemini').requestId({}, { candidates: [], responseId: 'mAitaLmkHPPlz7IPvtfUqQ4' })).toBe('mAitaLmkHPPlz7IPvtfUqQ4');
    expect(adapterFor('azure').requestId({ 'apim-request-id': 'a1b2' })).toBe('a1b2');
    expect(adapterFor('openai').requestId({})).toBeUndefined();
  });
});

describe('OpenRouter GET /key', () => {
  it('has a route and a reader that never reads the masked label', () => {
    expect(upstreamUrl(resolveProfile(findProvider('openrouter')!), 'key')).toBe('https://openrouter.ai/api/v1/key');
    const body = { data: { label: 'sk-or-v1-abc...xyz', limit: null, limit_remaining: null, limit_reset: null, usage: 0.52, usage_daily: 0.1, usage_weekly: 0.3, usage_monthly: 0.52, is_free_tier: true } };
    const info = openRouterKeyInfo(body);
    expect(info).toEqual({ limit: null, limitRemaining: null, usage: 0.52, usageDaily: 0.1, isFreeTier: true, freeModelRequestsPerDay: 50 });
    expect(JSON.stringify(info)).not.toContain('sk-or');
    expect(openRouterKeyInfo({ data: { limit: 10, limit_remaining: 2.5, is_free_tier: false } })).toEqual({ limit: 10, limitRemaining: 2.5, isFreeTier: false, freeModelRequestsPerDay: 1000 });
    expect(openRouterKeyInfo({ error: { code: 401 } })).toBeUndefined();
  });
});

describe('stream trackers tolerate what a slow provider sends', () => {
  it('DeepSeek keep-alives and blank data are ignored', () => {
    for (const d of ['openai', 'anthropic', 'gemini'] as const) {
      const t = adapterFor(d).trackStream();
      for (const junk of [undefined, null, '', ': keep-alive', 42, [], {}]) t.onEvent(junk);
      // No usage, no error.
      expect(finished(t)).toEqual({ kind: 'ok' });
    }
  });
});
