// A model id reaches URL builders from client input (a chat body's "model", a Gemini path segment). It may name
// one path segment (Gemini's `tunedModels/x` two) and nothing else: dot segments, separators, query and fragment
// markers, percent-escapes and control characters must never shape the upstream URL.
import { describe, expect, it } from 'vitest';
import {
  CATALOG, InvalidModelError, UnsupportedRouteError, createAdapter, resolveProfile, upstreamUrl,
} from '../../src/providers/index.js';
import type { ProviderProfile, RouteKind } from '../../src/providers/index.js';

const ROUTES: readonly RouteKind[] = [
  'chat', 'completions', 'embeddings', 'responses', 'models', 'key', 'messages', 'count_tokens',
  'generateContent', 'streamGenerateContent', 'countTokens', 'embedContent', 'batchEmbedContents',
];

/** Every catalog provider, Azure with an endpoint (it has no default) in both its URL forms. */
const PROFILES: ReadonlyArray<[string, ProviderProfile]> = [
  ...CATALOG.map((info): [string, ProviderProfile] => [
    info.name, resolveProfile(info, info.dialect === 'azure' ? { baseUrl: 'https://r.openai.azure.com' } : {}),
  ]),
  ['azure_openai v1', resolveProfile(CATALOG.find((i) => i.dialect === 'azure')!, { baseUrl: 'https://r.openai.azure.com/openai/v1' })],
];

const SAFE = 'safe-model-1';

const HOSTILE: readonly string[] = [
  '', '.', '..', '../x', 'x/..', './x', '/x', 'x/', 'a/b', 'a//b',
  'tunedModels/../../v1beta/cachedContents#',
  'tunedModels%2F..%2F..%2Fv1beta%2FtunedModels%23',
  'tunedModels/..', 'tunedModels/.', 'tunedModels/', 'tunedModels//x', 'tunedModels/x/y', 'tunedModels/x#', 'tunedModels/x?y',
  'models/../x', 'models/', 'models/..', 'models/a/b', 'models/tunedModels/x',
  '%2e%2e', '%2E%2E%2Fx', '.%2e', 'x%2Fy', 'x%23', 'x%3Falt=json', '%00', 'x%',
  'x?alt=json', 'x#frag', 'x?', '#',
  '..\\x', 'a\\b', '\\',
  'x\n', 'x\r\nHost: evil', 'x\u0000', '\t', 'x\u007f',
  '\uff0e\uff0e', '\u2025', '\u3002\u3002', 'x\u2215y', 'x\uff0fy',
  'x:countTokens', 'gemini-2.5-flash:streamGenerateContent?alt=json',
];

/** The URL of one route, or the error that refused it (UnsupportedRouteError: the route does not exist there). */
function attempt(p: ProviderProfile, route: RouteKind, model: string, deployment?: string): URL | Error {
  try {
    return new URL(upstreamUrl(p, route, model, deployment === undefined ? {} : { deployment }));
  } catch (err) {
    if (err instanceof Error) return err;
    throw err;
  }
}

/**
 * The benign URL split around where the model goes: a hostile id either is refused, or the URL is the benign one
 * (the model is not in the path at all) — never something else.
 */
function check(name: string, p: ProviderProfile, route: RouteKind, hostile: string, viaDeployment = false): void {
  const benign = attempt(p, route, SAFE, viaDeployment ? SAFE : undefined);
  if (benign instanceof UnsupportedRouteError) return;
  if (!(benign instanceof URL)) throw benign;
  const got = attempt(p, route, viaDeployment ? SAFE : hostile, viaDeployment ? hostile : undefined);
  const what = `${name} ${route} ${JSON.stringify(hostile)}${viaDeployment ? ' (deployment)' : ''}`;
  if (got instanceof URL) {
    // Accepted only where the id is not part of the URL: then the URL is exactly the benign one.
    expect(benign.href.includes(SAFE), `${what} built ${got.href}`).toBe(false);
    expect(got.href, what).toBe(benign.href);
    return;
  }
  if (!(got instanceof InvalidModelError)) throw new Error(`${what}: expected InvalidModelError, got ${String(got)}`);
  expect(got.code).toBe('KMX_ERR_BAD_REQUEST');
}

describe('model ids never shape an upstream URL beyond their segment', () => {
  for (const [name, p] of PROFILES) {
    it(`${name}: every route refuses (or ignores) hostile ids`, () => {
      for (const route of ROUTES) for (const h of HOSTILE) check(name, p, route, h);
    });
  }

  it('Azure: a hostile configured deployment is refused too', () => {
    const az = PROFILES.find(([n]) => n === 'azure_openai')![1];
    for (const route of ROUTES) for (const h of HOSTILE) check('azure_openai', az, route, h, true);
    const mapped = createAdapter(resolveProfile(CATALOG.find((i) => i.dialect === 'azure')!, {
      baseUrl: 'https://r.openai.azure.com', deployments: { 'gpt-4o': '../../x' },
    }));
    expect(() => mapped.call('chat', { model: 'gpt-4o', body: '{}' })).toThrow(InvalidModelError);
  });

  it('the two reported attacks are refused through the adapter, the way the server calls it', () => {
    const gemini = createAdapter(PROFILES.find(([n]) => n === 'gemini')![1]);
    for (const model of ['tunedModels/../../v1beta/tunedModels#', 'tunedModels/../../v1beta/cachedContents#']) {
      expect(() => gemini.call('generateContent', { model, body: '{}' })).toThrow(InvalidModelError);
      expect(() => gemini.call('generateContent', { model, body: '{}', stream: true })).toThrow(InvalidModelError);
    }
  });

  it('the message names the id safely: control characters escaped, long ids cut', () => {
    const e = attempt(PROFILES.find(([n]) => n === 'gemini')![1], 'generateContent', `x\r\n${'a'.repeat(500)}`);
    if (!(e instanceof InvalidModelError)) throw new Error(`expected InvalidModelError, got ${String(e)}`);
    const msg = e.message;
    expect(msg).not.toMatch(/[\r\n]/);
    expect(msg.length).toBeLessThan(200);
  });
});

describe('legitimate ids keep working', () => {
  const gemini = PROFILES.find(([n]) => n === 'gemini')![1];
  const az = PROFILES.find(([n]) => n === 'azure_openai')![1];
  const path = (p: ProviderProfile, route: RouteKind, model: string) => new URL(upstreamUrl(p, route, model)).pathname;

  it('Gemini: bare, models/-prefixed and tuned ids', () => {
    expect(path(gemini, 'generateContent', 'gemini-2.5-flash')).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(path(gemini, 'generateContent', 'models/gemini-2.5-flash')).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(path(gemini, 'countTokens', 'gemini-1.5-pro-002')).toBe('/v1beta/models/gemini-1.5-pro-002:countTokens');
    expect(path(gemini, 'generateContent', 'tunedModels/my-tuned-model-abc123')).toBe('/v1beta/tunedModels/my-tuned-model-abc123:generateContent');
    expect(path(gemini, 'models', '')).toBe('/v1beta/models');
  });

  it('Azure deployments with dots, underscores and dashes', () => {
    expect(path(az, 'chat', 'gpt-4o_prod.v2')).toBe('/openai/deployments/gpt-4o_prod.v2/chat/completions');
  });

  it('OpenAI-dialect ids with slashes and colons go in the body, untouched by the URL builder', () => {
    const openrouter = PROFILES.find(([n]) => n === 'openrouter')![1];
    for (const m of ['anthropic/claude-3.5-sonnet', 'openai/gpt-4o:free', 'accounts/fireworks/models/llama-v3', 'ft:gpt-4o-mini:org:custom:id']) {
      expect(path(openrouter, 'chat', m)).toBe('/api/v1/chat/completions');
    }
  });
});
