import { describe, expect, it } from 'vitest';
import { keyId, maskKey } from '../../src/pool/index.js';

describe('keyId', () => {
  it('is the first 12 hex digits of sha256, stable and distinct', () => {
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223…
    expect(keyId('abc')).toBe('ba7816bf8f01');
    expect(keyId('sk-one')).toBe(keyId('sk-one'));
    expect(keyId('sk-one')).not.toBe(keyId('sk-two'));
    expect(keyId('sk-one')).toMatch(/^[0-9a-f]{12}$/);
  });
});

describe('maskKey', () => {
  it('keeps a vendor prefix and the last four', () => {
    expect(maskKey('sk-abc...a1b2')).toBe('sk-…a1b2');
    expect(maskKey('sk-proj-abcdefghijklmnopqrstuvwxyz1234')).toBe('sk-…1234');
    expect(maskKey('nvapi-AbCdEfGhIjKlMnOpQrStUvWx9f3e')).toBe('nvapi-…9f3e');
    expect(maskKey('gsk_abcdefghijklmnopqrstuvwxyz5678')).toBe('gsk_…5678');
    expect(maskKey('sk-ant-api03-abcdefghijklmnopqrstuv-XYZW')).toBe('sk-…XYZW');
  });
  it('drops a prefix that is not a short vendor tag', () => {
    expect(maskKey('AIzaSyD-abcdefghijklmnopqrstuvwxyz0123')).toBe('…0123');
    expect(maskKey('abcdefghijklmnopqrstuvwxyz')).toBe('…wxyz');
  });
  it('shows only two characters of short keys, none of tiny ones', () => {
    expect(maskKey('shortkey01')).toBe('…01');
    expect(maskKey('abc')).toBe('…');
  });
  it('never shows more than a few characters of the secret', () => {
    for (const s of ['sk-abcdefghijklmnop', 'x'.repeat(40), 'nvapi-' + 'y'.repeat(10), 'a-b']) {
      const m = maskKey(s).replace('…', '');
      expect(m.length).toBeLessThanOrEqual(10);
      expect(s.length - m.length).toBeGreaterThanOrEqual(Math.min(6, s.length - 2));
    }
  });
});
