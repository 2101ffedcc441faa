/**
 * What a client may plan with: one budget dimension of a pool (or of a client's own allowance), as the
 * rate-limit headers of every answer tell it. The shape is the one the OpenAI and Anthropic headers carry.
 */
export interface LimitPart {
  /** Units per window, summed over the budgets counted. */
  readonly limit: number;
  /** Units that can be spent now without waiting (whole units of one budget each: 0.5 + 0.5 is no request). */
  readonly remaining: number;
  /**
   * ms until it is worth asking again. With `remaining` above 0: until every budget counted is full again (what
   * OpenAI's and Anthropic's own resets mean). With `remaining` 0: until the first unit comes back, so a
   * client that waits this long and sends one request is served at once instead of sleeping a whole window.
   */
  readonly resetMs: number;
}

/** A pool's (or a client's) limits for one model now; a dimension nothing is known about is absent. */
export interface LimitView {
  readonly requests?: LimitPart;
  readonly tokens?: LimitPart;
}

function narrowPart(p: LimitPart | undefined, c: LimitPart | undefined): LimitPart | undefined {
  if (!p || !c) return p ?? c;
  const remaining = Math.min(p.remaining, c.remaining);
  // Nothing left: what has to come back first is each exhausted side's next unit, the later of them. Something
  // left: full again when both are.
  let resetMs = Math.max(p.resetMs, c.resetMs);
  if (remaining === 0) resetMs = Math.max(p.remaining === 0 ? p.resetMs : 0, c.remaining === 0 ? c.resetMs : 0);
  return { limit: Math.min(p.limit, c.limit), remaining, resetMs };
}

/**
 * The pool's view narrowed by the client's own limits (a per-client allowance): per dimension the lower limit
 * and remaining, and the reset of whichever side binds. A dimension only one side knows is that side's.
 */
export function narrow(pool: LimitView, client?: LimitView): LimitView {
  if (!client) return pool;
  const requests = narrowPart(pool.requests, client.requests);
  const tokens = narrowPart(pool.tokens, client.tokens);
  return { ...(requests && { requests }), ...(tokens && { tokens }) };
}

function sumParts(parts: ReadonlyArray<LimitPart | undefined>): LimitPart | undefined {
  let limit = 0;
  let remaining = 0;
  let longest = 0;
  let soonest = Infinity;
  let n = 0;
  for (const p of parts) {
    if (!p) continue;
    n++;
    limit += p.limit;
    remaining += p.remaining;
    longest = Math.max(longest, p.resetMs);
    soonest = Math.min(soonest, p.resetMs);
  }
  if (n === 0) return undefined;
  // Same meaning as one pool's: with nothing left anywhere, the first pool to get a unit back; else all full.
  return { limit, remaining, resetMs: remaining > 0 ? longest : soonest };
}

/** Several pools as one (a fallback group over providers): limits and remaining add up. */
export function sumViews(views: readonly LimitView[]): LimitView {
  const requests = sumParts(views.map((v) => v.requests));
  const tokens = sumParts(views.map((v) => v.tokens));
  return { ...(requests && { requests }), ...(tokens && { tokens }) };
}
