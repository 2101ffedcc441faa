// Issue #13 (4): a 403 is not always a dead key. What PROVIDERS.md names as the key's (NVIDIA NIM "Authorization
// failed", Gemini PERMISSION_DENIED, Anthropic permission_error, 401 invalid keys) disables it; what it names as
// the request's (region, moderation, model access, a restricted key's missing scope) is a client_error; any other
// 403 is ambiguous: auth_suspect, which the pool answers with a short backoff and disables only on a repeat.
import { describe, expect, it } from 'vitest';
import { adapterFor } from '../../src/providers/index.js';
import type { Headers } from '../../src/providers/index.js';

const ctx = { now: Date.parse('2026-11-25T12:00:00Z'), model: 'gpt-4o' };
const res = (status: number, body: unknown, headers: Headers = {}) => ({ status, headers, body });
const openai = adapterFor('openai');

describe('OpenAI-compatible 403s and 401s', () => {
  it.each<[string, number, unknown]>([
    ['403 with an unknown error body', 403, { error: { message: 'You are not permitted to perform this action.', type: 'invalid_request_error', param: null, code: null } }],
    ['403 with an HTML page (a firewall in front)', 403, '<html><body><h1>403 Forbidden</h1></body></html>'],
    ['403 with an empty body', 403, ''],
    ['403 Azure network rules', 403, { error: { code: '403', message: 'Access denied due to Virtual Network/Firewall rules.' } }],
  ])('%s → auth_suspect, not a dead key', (_n, status, body) => {
    const o = openai.classify(res(status, body), ctx);
    expect(o).toMatchObject({ kind: 'auth_suspect', status: 403 });
    expect(o.reason).toBeTruthy();
  });

  it.each<[string, number, unknown]>([
    ['403 unsupported_country_region_territory', 403, { error: { code: 'unsupported_country_region_territory', message: 'Country, region, or territory not supported', param: null, type: 'request_forbidden' } }],
    ['403 project without access to the model', 403, { error: { message: 'Project `proj_abc123` does not have access to model `o1`', type: 'invalid_request_error', param: null, code: 'model_not_found' } }],
    ['403 "does not have access to model" without a code', 403, { error: { message: 'Your organization does not have access to model gpt-4.5-preview.', type: 'invalid_request_error', code: null } }],
    ['403 "not allowed to sample from this model"', 403, { error: { message: 'You are not allowed to sample from this model', type: 'invalid_request_error', param: null, code: null } }],
    ['401 restricted key, "Missing scopes: api.model.read"', 401, { error: {
      message: "You have insufficient permissions for this operation. Missing scopes: api.model.read. Check that you have the correct role in your organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes.",
      type: 'invalid_request_error', param: null, code: null,
    } }],
    ['403 insufficient permissions for this operation', 403, { error: { message: 'You have insufficient permissions for this operation. Missing scopes: model.request.', type: 'invalid_request_error', code: null } }],
  ])('%s → client_error (the request’s or the key’s scope, never a dead key)', (_n, status, body) => {
    expect(openai.classify(res(status, body), ctx).kind).toBe('client_error');
  });

  it('401 invalid_api_key and a bare 401 stay the key’s', () => {
    expect(openai.classify(res(401, { error: { message: 'Incorrect API key provided: sk-…', type: 'invalid_request_error', code: 'invalid_api_key' } }), ctx).kind).toBe('auth_failed');
    expect(openai.classify(res(401, ''), ctx).kind).toBe('auth_failed');
  });

  it('NVIDIA NIM "Authorization failed" is a dead key; OpenRouter’s 403 is moderation', () => {
    expect(adapterFor('nvidia_nim').classify(res(403, { status: 403, title: 'Forbidden', detail: 'Authorization failed' }), ctx)).toMatchObject({ kind: 'auth_failed', reason: 'Authorization failed' });
    expect(adapterFor('openrouter').classify(res(403, { error: { code: 403, message: 'Your input was flagged', metadata: { reasons: ['violence'] } } }), ctx).kind).toBe('client_error');
  });

  it('Groq and other compatibles: an unexplained 403 is ambiguous too', () => {
    expect(adapterFor('groq').classify(res(403, { error: { message: 'Forbidden' } }), ctx).kind).toBe('auth_suspect');
    expect(adapterFor('deepseek').classify(res(403, 'Forbidden'), ctx).kind).toBe('auth_suspect');
  });
});

describe('other dialects keep what PROVIDERS.md says disables', () => {
  it('Gemini PERMISSION_DENIED (suspended, leaked) is the key; a 403 that is no Google error is ambiguous', () => {
    const gemini = adapterFor('gemini');
    const denied = { error: { code: 403, message: 'Permission denied: Consumer \'api_key:AIza…\' has been suspended.', status: 'PERMISSION_DENIED', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'CONSUMER_SUSPENDED' }] } };
    expect(gemini.classify(res(403, denied), ctx)).toMatchObject({ kind: 'auth_failed', reason: 'CONSUMER_SUSPENDED' });
    expect(gemini.classify(res(403, '<html>Forbidden</html>'), ctx).kind).toBe('auth_suspect');
  });

  it('Anthropic permission_error is the key', () => {
    const body = { type: 'error', error: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' } };
    expect(adapterFor('anthropic').classify(res(403, body), ctx).kind).toBe('auth_failed');
  });
});
