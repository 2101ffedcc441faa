import { describe, expect, it } from 'vitest';
import { OUTCOME_KINDS } from '../../src/pool/outcome.js';
import { CATALOG, adapterFor } from '../../src/providers/index.js';

const ctx = { now: Date.parse('2026-11-25T12:00:00Z') };
const withCode = (message: string, code: string, name = 'Error') => Object.assign(new Error(message), { code, name });

describe('transport errors (every dialect alike)', () => {
  for (const p of CATALOG) {
    const a = adapterFor(p);
    it(`${p.name}: network and cancelled`, () => {
      expect(a.classify({ error: withCode('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED') }, ctx)).toEqual({ kind: 'network', reason: 'ECONNREFUSED' });
      expect(a.classify({ error: withCode('socket hang up', 'ECONNRESET') }, ctx)).toEqual({ kind: 'network', reason: 'ECONNRESET' });
      expect(a.classify({ error: withCode('Headers Timeout Error', 'UND_ERR_HEADERS_TIMEOUT', 'HeadersTimeoutError') }, ctx).kind).toBe('network');
      expect(a.classify({ error: withCode('Body Timeout Error', 'UND_ERR_BODY_TIMEOUT', 'BodyTimeoutError') }, ctx).kind).toBe('network');
      const abort = new Error('This operation was aborted');
      abort.name = 'AbortError';
      expect(a.classify({ error: abort }, ctx)).toEqual({ kind: 'cancelled', reason: 'aborted' });
    });
  }

  it('finds the code inside fetch’s wrapper, and our own timeout is network', () => {
    const a = adapterFor('openai');
    const wrapped = Object.assign(new TypeError('fetch failed'), { cause: withCode('connect ECONNREFUSED', 'ECONNREFUSED') });
    expect(a.classify({ error: wrapped }, ctx)).toEqual({ kind: 'network', reason: 'ECONNREFUSED' });
    const timeout = new Error('The operation was aborted due to timeout');
    timeout.name = 'TimeoutError';
    expect(a.classify({ error: timeout }, ctx)).toEqual({ kind: 'network', reason: 'timeout' });
  });

  it('every status yields exactly one known outcome kind', () => {
    for (const p of CATALOG) {
      const a = adapterFor(p);
      for (const status of [100, 200, 204, 301, 400, 401, 402, 403, 404, 408, 409, 410, 413, 422, 429, 499, 500, 502, 503, 504, 529]) {
        for (const body of [undefined, '', 'oops', {}, [], { error: null }]) {
          expect(OUTCOME_KINDS).toContain(a.classify({ status, headers: {}, body }, ctx).kind);
        }
      }
    }
  });
});
