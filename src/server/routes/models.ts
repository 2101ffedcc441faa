import { HttpError } from '../errors.js';
import { shownUrl } from '../redact.js';
import { readBody, parseJsonBody } from '../body.js';
import { attempt } from '../attempt.js';
import { callFor } from '../jobs.js';
import { estimateTokens } from '../tokens.js';
import type { KeySnapshot } from '../../pool/index.js';
import type { ProviderRuntime, Runtime } from '../runtime.js';
import type { RouteContext } from './index.js';
import { decodeSegment, sendJson } from './respond.js';
import { checkShape } from './shape.js';

const TTL_MS = 5 * 60_000;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const rec = (v: unknown): Record<string, unknown> | undefined => (isRecord(v) ? v : undefined);
/** Per provider; an entry made under an older config (a reload may change the base URL or the keys) is stale. */
const cache = new WeakMap<ProviderRuntime, { at: number; config: ProviderRuntime['config']; models: Promise<string[]> }>();

/**
 * A provider's model ids: its configured list, or fetched with one of its pool's keys and cached for five
 * minutes. A provider that cannot be asked contributes nothing rather than failing the whole list.
 */
export function providerModels(rt: Runtime, p: ProviderRuntime): Promise<string[]> {
  if (p.config.models && p.config.models.length > 0) return Promise.resolve([...p.config.models]);
  const hit = cache.get(p);
  const now = rt.clock.now();
  if (hit && hit.config === p.config && now - hit.at < TTL_MS) return hit.models;
  const entry = { at: now, config: p.config, models: Promise.resolve<string[]>([]) };
  entry.models = fetchModels(rt, p).catch(() => {
    if (cache.get(p) === entry) cache.delete(p);
    return [] as string[];
  });
  cache.set(p, entry);
  return entry.models;
}

async function fetchModels(rt: Runtime, p: ProviderRuntime): Promise<string[]> {
  const r = await attempt(rt, {
    provider: p,
    model: '*',
    call: callFor(p, 'models', { model: '' }),
    stream: false,
    signal: new AbortController().signal,
    maxAttempts: 2,
    deadlineMs: 10_000,
    // A listing may borrow a key but not judge it: a 401 on /models alone says nothing about inference.
    judge: false,
  });
  if (r.outcome.kind !== 'ok' || r.answer.kind !== 'buffered') throw new Error(`models of ${p.name}: ${r.outcome.kind}`);
  const b = rec(r.answer.parsed);
  const ids = (list: unknown, field: string): string[] =>
    (Array.isArray(list) ? list : []).map((m) => rec(m)?.[field]).filter((x): x is string => typeof x === 'string');
  if (Array.isArray(b?.['data'])) return ids(b['data'], 'id');
  return ids(b?.['models'], 'name').map((n) => n.replace(/^models\//, ''));
}

/** GET /v1/models: every provider's models as `provider/model`, in OpenAI's shape or, for Anthropic clients, in theirs. */
async function allModels(ctx: RouteContext): Promise<Array<{ provider: string; id: string }>> {
  const all = await Promise.all(
    [...ctx.runtime.providers.values()].map(async (p) => (await providerModels(ctx.runtime, p)).map((m) => ({ provider: p.name, id: `${p.name}/${m}` }))),
  );
  const models = all.flat();
  for (const [alias, target] of Object.entries(ctx.config.aliases)) models.push({ provider: target.split('/')[0] ?? '', id: alias });
  // A group spans providers: it is keymux's own model.
  for (const g of ctx.runtime.groups()) models.push({ provider: 'keymux', id: g.name });
  return models;
}

const anthropicModel = (id: string) => ({ type: 'model', id, display_name: id, created_at: '1970-01-01T00:00:00Z' });
const openaiModel = (m: { provider: string; id: string }) => ({ id: m.id, object: 'model', created: 0, owned_by: m.provider });

/** GET /v1/models: every provider's models as `provider/model`, in OpenAI's shape or, for Anthropic clients, in theirs. */
export async function listModels(ctx: RouteContext): Promise<void> {
  const models = await allModels(ctx);
  if (ctx.req.headers['anthropic-version'] !== undefined) {
    const data = models.map((m) => anthropicModel(m.id));
    sendJson(ctx.res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    return;
  }
  sendJson(ctx.res, 200, { object: 'list', data: models.map(openaiModel) });
}

/** GET /v1/models/{provider/model}: one model (the SDKs' models.retrieve), or a 404 in the client's dialect. */
export async function retrieveModel(ctx: RouteContext): Promise<void> {
  const id = decodeSegment(ctx.path.slice('/v1/models/'.length));
  const m = (await allModels(ctx)).find((x) => x.id === id);
  if (!m) throw new HttpError('KMX_ERR_UNKNOWN_MODEL', `The model "${id}" is not among the configured providers' models (see GET /v1/models)`);
  sendJson(ctx.res, 200, ctx.req.headers['anthropic-version'] !== undefined ? anthropicModel(m.id) : openaiModel(m));
}

/** GET /v1beta/models: the Gemini providers' models, in Gemini's shape. */
export async function listGeminiModels(ctx: RouteContext): Promise<void> {
  const gemini = ctx.runtime.ofDialect('gemini');
  const lists = await Promise.all(gemini.map((p) => providerModels(ctx.runtime, p)));
  const models = [...new Set(lists.flat())].map((id) => ({
    name: `models/${id}`,
    displayName: id,
    supportedGenerationMethods: ['generateContent', 'streamGenerateContent', 'countTokens', 'embedContent'],
  }));
  const one = ctx.path.startsWith('/v1beta/models/') ? decodeSegment(ctx.path.slice('/v1beta/models/'.length)) : undefined;
  if (one) {
    const m = models.find((x) => x.name === `models/${one}`);
    if (m) sendJson(ctx.res, 200, m);
    else sendJson(ctx.res, 404, { error: { code: 404, message: `models/${one} is not found`, status: 'NOT_FOUND' } });
    return;
  }
  sendJson(ctx.res, 200, { models });
}

/**
 * The quota groups the pool inferred from behaviour (keys refused and recovering together, that nobody said
 * share a project): each with its keys' ids (hashes, never secrets) and the pool's confidence, so an operator
 * can confirm it with a `group:` or see that keymux budgets them as one.
 */
function inferredGroups(keys: readonly KeySnapshot[]): Array<{ group: string; keyIds: string[]; confidence: number }> {
  const byGroup = new Map<string, { group: string; keyIds: string[]; confidence: number }>();
  for (const k of keys) {
    if (!k.groupInferred) continue;
    let g = byGroup.get(k.group);
    if (!g) byGroup.set(k.group, (g = { group: k.group, keyIds: [], confidence: k.groupInferred.confidence }));
    g.keyIds.push(k.id);
  }
  return [...byGroup.values()];
}

/** GET /v1/providers: what is configured and how its keys are doing, and the fallback groups. Never a secret. */
export async function listProviders(ctx: RouteContext): Promise<void> {
  /** Per provider: whether some key can take a request now (not cooling, exhausted or disabled). */
  const usable = new Map<string, boolean>();
  const data = [...ctx.runtime.providers.values()].map((p) => {
    const snap = p.pool.snapshot();
    const status: Record<string, number> = { active: 0, cooling: 0, exhausted: 0, disabled: 0 };
    for (const k of snap.keys) status[k.status] = (status[k.status] ?? 0) + 1;
    // Per key tier (lowest first), the same counts: whether the free tier still has keys, and the paid one.
    const tiers = new Map<number, { tier: number; keys: number; status: Record<string, number> }>();
    for (const k of snap.keys) {
      let t = tiers.get(k.tier);
      if (!t) tiers.set(k.tier, (t = { tier: k.tier, keys: 0, status: { active: 0, cooling: 0, exhausted: 0, disabled: 0 } }));
      t.keys++;
      t.status[k.status] = (t.status[k.status] ?? 0) + 1;
    }
    usable.set(p.name, (status.active ?? 0) > 0);
    return {
      name: p.name,
      label: p.adapter.profile.label,
      dialect: p.adapter.profile.wire,
      aliases: p.adapter.profile.aliases,
      baseUrl: shownUrl(p.config.baseUrl),
      strategy: snap.strategy,
      keys: snap.keys.length,
      status,
      tiers: [...tiers.values()].sort((a, b) => a.tier - b.tier),
      waiting: snap.waiting,
      inferredGroups: inferredGroups(snap.keys),
    };
  });
  const groups = [...ctx.runtime.groups()].map((g) => ({
    name: g.name,
    targets: g.targets.map((t) => {
      const slash = t.indexOf('/');
      const provider = t.slice(0, slash);
      // configured: false — the provider has no keys now, so the target is skipped.
      return { target: t, provider, model: t.slice(slash + 1), configured: usable.has(provider), usable: usable.get(provider) ?? false };
    }),
  }));
  sendJson(ctx.res, 200, { object: 'list', data, groups });
}

/** POST /v1/token-count: `{ model, messages | input | prompt | contents }` → `{ tokens, method }`. */
export async function tokenCount(ctx: RouteContext): Promise<void> {
  const buf = await readBody(ctx.req, ctx.config.server.bodyLimit);
  const body = parseJsonBody(buf, ctx.req.headers['content-type']);
  checkShape(body, 'token_count');
  const target = ctx.runtime.resolve(body.model, 'openai');
  sendJson(ctx.res, 200, { object: 'token_count', model: `${target.provider.name}/${target.model}`, tokens: estimateTokens(body), method: 'estimate' });
}
