import { num, rec } from './util.js';

/**
 * OpenRouter's `GET {base}/key`: what a key may still spend. Its `label` (a masked form of the key) is
 * deliberately not read. Free-model daily requests follow from `is_free_tier`: 50 a day, or 1,000 once
 * the account has bought credits (openrouter.ai/docs limits).
 */
export interface OpenRouterKeyInfo {
  /** Credit limit of the key, or null when unlimited. */
  limit?: number | null;
  limitRemaining?: number | null;
  usage?: number;
  usageDaily?: number;
  isFreeTier?: boolean;
  freeModelRequestsPerDay?: number;
}

export function openRouterKeyInfo(body: unknown): OpenRouterKeyInfo | undefined {
  const d = rec(rec(body)?.['data']);
  if (!d) return undefined;
  const nullable = (v: unknown): number | null | undefined => (v === null ? null : num(v));
  const info: OpenRouterKeyInfo = {};
  const limit = nullable(d['limit']);
  const limitRemaining = nullable(d['limit_remaining']);
  if (limit !== undefined) info.limit = limit;
  if (limitRemaining !== undefined) info.limitRemaining = limitRemaining;
  const usage = num(d['usage']);
  const usageDaily = num(d['usage_daily']);
  if (usage !== undefined) info.usage = usage;
  if (usageDaily !== undefined) info.usageDaily = usageDaily;
  if (typeof d['is_free_tier'] === 'boolean') {
    info.isFreeTier = d['is_free_tier'];
    info.freeModelRequestsPerDay = d['is_free_tier'] ? 50 : 1000;
  }
  return info;
}
