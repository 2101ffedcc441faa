// The dialect table's ping (a key's check when its provider lists no models): a request each dialect's reader
// takes as it is, asking for one token at most.
import { describe, expect, it } from 'vitest';
import { DIALECT, DIALECTS } from '../../src/dialects/index.js';
import { translatorFor } from '../../src/translate/index.js';

/** The output cap a request of dialect d asks for. */
function cap(d: string, body: Record<string, unknown>): unknown {
  if (d === 'gemini') return (body.generationConfig as { maxOutputTokens?: number } | undefined)?.maxOutputTokens;
  return body.max_tokens ?? body.max_completion_tokens;
}

describe('DIALECT[d].pingBody', () => {
  for (const from of DIALECTS) {
    it(`${from}: read by the translation hub into every other dialect, one token out, the model where ${from} names it`, () => {
      const ping = DIALECT[from].pingBody('m-1') as Record<string, unknown>;
      expect(cap(from, ping)).toBe(1);
      // Gemini names the model in its URL; the others in the body.
      expect(ping.model).toBe(from === 'gemini' ? undefined : 'm-1');
      for (const to of DIALECTS) {
        if (to === from) continue;
        const { body } = translatorFor(from, to)!.request(ping, { model: 'm-2' });
        expect(cap(to, body as Record<string, unknown>)).toBe(1);
      }
    });
  }
});
