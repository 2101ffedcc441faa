// Issue #13 (16b): every route keymux calls answers JSON unless it streams, so a 2xx whose body did not parse
// (an HTML page from something in front, nothing at all, a cut-off JSON) is the provider failing — server_error,
// retried on another key — never a success to count. parseMaybeJson hands such a body over as its raw text.
import { describe, expect, it } from 'vitest';
import { CATALOG, createAdapter, resolveProfile } from '../../src/providers/index.js';

const ctx = { now: Date.parse('2026-11-25T12:00:00Z'), model: 'm' };
const adapters = CATALOG.map((info) => createAdapter(resolveProfile(info, info.dialect === 'azure' ? { baseUrl: 'https://r.openai.azure.com' } : {})));

describe('a 2xx whose body is not JSON', () => {
  it.each([
    ['an HTML page', '<html><body>Service temporarily unavailable</body></html>'],
    ['an empty body', ''],
    ['a truncated JSON object', '{"id":"chatcmpl-1","choices":[{"message":{"content":"hal'],
    ['a truncated JSON array (Gemini without SSE)', '[{"candidates":[{"content":{"parts":[{"text":"x"}]}}]},'],
    ['plain text', 'OK'],
  ])('%s → server_error "invalid JSON body", for every provider', (_n, body) => {
    for (const a of adapters) {
      expect(a.classify({ status: 200, headers: {}, body }, ctx), a.profile.name).toEqual({ kind: 'server_error', status: 200, reason: 'invalid JSON body' });
    }
  });

  it('JSON objects and arrays, an unread stream and a 204 stay ok', () => {
    for (const a of adapters) {
      expect(a.classify({ status: 200, headers: {}, body: { id: 'x' } }, ctx).kind, a.profile.name).toBe('ok');
      expect(a.classify({ status: 200, headers: {}, body: [{ candidates: [] }] }, ctx).kind, a.profile.name).toBe('ok');
      expect(a.classify({ status: 200, headers: {} }, ctx).kind, a.profile.name).toBe('ok');
      expect(a.classify({ status: 204, headers: {}, body: '' }, ctx).kind, a.profile.name).toBe('ok');
    }
  });

  it('error statuses with text bodies keep their own meaning', () => {
    for (const a of adapters) {
      expect(a.classify({ status: 502, headers: {}, body: '<html>Bad Gateway</html>' }, ctx).kind).toBe('server_error');
      expect(a.classify({ status: 400, headers: {}, body: 'bad request' }, ctx).kind).toBe('client_error');
    }
  });
});
