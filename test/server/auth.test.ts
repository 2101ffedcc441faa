// ProxyAuth semantics. The constant-time part is a property of the code (SHA-256 digests of equal length,
// compared with timingSafeEqual against every configured key, match or not); these tests pin the behaviour.
import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { ProxyAuth, presentedKey } from '../../src/server/auth.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('ProxyAuth', () => {
  test('with no keys configured, every request passes', () => {
    const a = new ProxyAuth([]);
    expect(a.enabled).toBe(false);
    expect(a.check(undefined)).toBe(true);
    expect(a.check('anything')).toBe(true);
  });

  test('with keys, only an exact match of one of them passes', () => {
    const a = new ProxyAuth(['kmx-first-key', 'second']);
    expect(a.enabled).toBe(true);
    expect(a.check('kmx-first-key')).toBe(true);
    expect(a.check('second')).toBe(true);
    expect(a.check(undefined)).toBe(false);
    expect(a.check('')).toBe(false);
    expect(a.check('kmx-first-ke')).toBe(false); // prefix
    expect(a.check('kmx-first-key ')).toBe(false); // suffix
    expect(a.check('KMX-FIRST-KEY')).toBe(false); // case
    expect(a.check('secondsecond')).toBe(false);
  });

  test('presented keys of any length are compared without throwing (digests have one length)', () => {
    const a = new ProxyAuth(['k']);
    expect(a.check('x'.repeat(10_000))).toBe(false);
    expect(a.check('€uro-ключ')).toBe(false);
    expect(new ProxyAuth(['€uro-ключ']).check('€uro-ключ')).toBe(true);
  });

  test('a matching key late in the list passes as well as one early', () => {
    const keys = Array.from({ length: 50 }, (_, i) => `key-${i}`);
    const a = new ProxyAuth(keys);
    expect(a.check('key-0')).toBe(true);
    expect(a.check('key-49')).toBe(true);
    expect(a.check('key-50')).toBe(false);
  });
});

describe('presentedKey', () => {
  test('Authorization: Bearer (any case of the scheme), trimmed', () => {
    expect(presentedKey(req({ authorization: 'Bearer abc' }), undefined)).toBe('abc');
    expect(presentedKey(req({ authorization: 'bearer   abc  ' }), undefined)).toBe('abc');
  });

  test('x-api-key (Anthropic) and x-goog-api-key (Gemini)', () => {
    expect(presentedKey(req({ 'x-api-key': 'ant' }), undefined)).toBe('ant');
    expect(presentedKey(req({ 'x-goog-api-key': 'goog' }), undefined)).toBe('goog');
  });

  test('?key= (Gemini)', () => {
    expect(presentedKey(req({}), new URLSearchParams('key=q&alt=sse'))).toBe('q');
  });

  test('nothing presented → undefined; a non-Bearer Authorization is not a key', () => {
    expect(presentedKey(req({}), undefined)).toBeUndefined();
    expect(presentedKey(req({ authorization: 'Basic Zm9vOmJhcg==' }), undefined)).toBeUndefined();
  });
});
