// The proxy key's digest is checked once per connection: a keep-alive client's repeated key passes on its
// connection by a constant-time comparison with the key that passed there last. These tests hold the cache to
// giving exactly the answers the digest comparison gives.
import { describe, expect, it } from 'vitest';
import { ProxyAuth } from '../../src/server/auth.js';

describe('ProxyAuth on a connection', () => {
  it('passes a connection\'s repeated good key, and still refuses any other text on that connection', () => {
    const auth = new ProxyAuth(['kmx-good-key-1', 'kmx-good-key-2']);
    const conn = {};
    expect(auth.check('kmx-good-key-1', conn)).toBe(true);
    expect(auth.check('kmx-good-key-1', conn)).toBe(true);
    // Same length, one character off; a prefix; a longer text; empty: all refused on the remembered connection.
    expect(auth.check('kmx-good-key-9', conn)).toBe(false);
    expect(auth.check('kmx-good-key-', conn)).toBe(false);
    expect(auth.check('kmx-good-key-11', conn)).toBe(false);
    expect(auth.check('', conn)).toBe(false);
    expect(auth.check(undefined, conn)).toBe(false);
    // Another good key on the same connection passes, and is remembered in its turn.
    expect(auth.check('kmx-good-key-2', conn)).toBe(true);
    expect(auth.check('kmx-good-key-1', conn)).toBe(true);
  });

  it('never lets a refused key in through another connection\'s memory', () => {
    const auth = new ProxyAuth(['kmx-good-key-1']);
    const a = {};
    const b = {};
    expect(auth.check('kmx-good-key-1', a)).toBe(true);
    expect(auth.check('kmx-bad-key-00', b)).toBe(false);
    expect(auth.check('kmx-bad-key-00', b)).toBe(false);
    expect(auth.check('kmx-good-key-1', b)).toBe(true);
  });

  it('a reload (a new ProxyAuth) forgets: a removed key stops passing on a connection where it passed', () => {
    const conn = {};
    const before = new ProxyAuth(['kmx-old-key-123']);
    expect(before.check('kmx-old-key-123', conn)).toBe(true);
    const after = new ProxyAuth(['kmx-new-key-456']);
    expect(after.check('kmx-old-key-123', conn)).toBe(false);
    expect(after.check('kmx-new-key-456', conn)).toBe(true);
  });

  it('without keys every request passes; without a connection the digest decides every time', () => {
    expect(new ProxyAuth([]).check(undefined, {})).toBe(true);
    const auth = new ProxyAuth(['kmx-good-key-1']);
    expect(auth.check('kmx-good-key-1')).toBe(true);
    expect(auth.check('kmx-good-key-2')).toBe(false);
  });
});
