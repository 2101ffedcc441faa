// Random JSON at every entry of the translate module: client bodies, upstream bodies and upstream stream
// chunks. Whatever arrives, an entry returns or throws a TranslationError — never a TypeError or the like,
// which the server would turn into a 500 — and what it returns can be sent on (JSON.stringify works).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  anthropicToOpenAIRequest, anthropicToOpenAIResponse, AnthropicToOpenAIStream, geminiToOpenAIResponse, GeminiToOpenAIStream,
  openAIToAnthropicRequest, openAIToAnthropicResponse, OpenAIToAnthropicStream, openAIToGeminiRequest, TranslationError,
} from '../../src/translate/index.js';
import { anthropicRequest, openAIRequest, streamChunks, upstream } from './fuzz-arbitraries.js';

/** Runs `translate`: a TranslationError counts as a refusal; anything else thrown fails the property. */
function outcome(translate: () => unknown): 'ok' | 'refused' {
  try {
    JSON.stringify(translate());
    return 'ok';
  } catch (e) {
    if (e instanceof TranslationError) return 'refused';
    throw e;
  }
}

const RUNS = { numRuns: 500 };

describe('request translators on random JSON return or throw TranslationError', () => {
  it.each([
    ['anthropicToOpenAIRequest', anthropicRequest, (b: unknown) => anthropicToOpenAIRequest(b, { reasoningEffort: true })],
    ['openAIToAnthropicRequest', openAIRequest, (b: unknown) => openAIToAnthropicRequest(b)],
    ['openAIToGeminiRequest', openAIRequest, (b: unknown) => openAIToGeminiRequest(b)],
  ])('%s', (_name, bodies, translate) => {
    const seen = { ok: 0, refused: 0 };
    fc.assert(fc.property(bodies, (body) => void seen[outcome(() => translate(body))]++), RUNS);
    // Both halves exercised: the parse's refusals, and translations of what got past it.
    expect(seen.refused).toBeGreaterThan(0);
    expect(seen.ok).toBeGreaterThan(RUNS.numRuns / 50);
  });
});

const model = fc.option(fc.string(), { nil: undefined });

describe('response translators on random JSON return or throw TranslationError', () => {
  it.each([
    ['openAIToAnthropicResponse', upstream.openai, openAIToAnthropicResponse],
    ['anthropicToOpenAIResponse', upstream.anthropic, anthropicToOpenAIResponse],
    ['geminiToOpenAIResponse', upstream.gemini, geminiToOpenAIResponse],
  ])('%s', (_name, bodies, translate) => {
    fc.assert(fc.property(bodies, model, (body, m) => void outcome(() => translate(body, m === undefined ? {} : { model: m }))), RUNS);
  });
});

describe('stream translators on random chunks return or throw TranslationError', () => {
  it('OpenAIToAnthropicStream', () => {
    fc.assert(fc.property(streamChunks.openai, fc.boolean(), (items, broken) => {
      const s = new OpenAIToAnthropicStream();
      for (const c of items) outcome(() => s.push(c));
      outcome(() => (broken ? s.error('cut') : s.end()));
    }), RUNS);
  });

  it('AnthropicToOpenAIStream', () => {
    fc.assert(fc.property(streamChunks.anthropic, fc.boolean(), (items, includeUsage) => {
      const s = new AnthropicToOpenAIStream({ includeUsage });
      for (const [event, data] of items) outcome(() => s.push(event, data));
      outcome(() => s.end());
    }), RUNS);
  });

  it('GeminiToOpenAIStream', () => {
    fc.assert(fc.property(streamChunks.gemini, fc.boolean(), (items, includeUsage) => {
      const s = new GeminiToOpenAIStream({ includeUsage });
      for (const c of items) outcome(() => s.push(c));
      outcome(() => s.end());
    }), RUNS);
  });
});
