import { describe, expect, it } from 'vitest';
import { ClientLimiter, modelAllowed, type Admission, type ClientRefusal, type ClientTicket } from '../../src/clients/index.js';
import { ManualClock } from '../../src/pool/index.js';

/** 1 USD per 1,000 tokens: easy sums. */
const price = (_p: string, _m: string, u: { inputTokens?: number; outputTokens?: number }) => ((u.inputTokens ?? 0) + (u.outputTokens ?? 0)) / 1000;
const START = Date.UTC(2026, 10, 29, 12, 0, 0);

function setup(limits: Parameters<ClientLimiter['setClients']>[0]) {
  const clock = new ManualClock(START);
  return { clock, lim: new ClientLimiter(limits, clock, price) };
}

function ticket(a: Admission): ClientTicket {
  if (!a.ok) throw new Error(`refused: ${JSON.stringify(a.refusal)}`);
  return a.ticket;
}
function refusal(a: Admission): ClientRefusal {
  if (a.ok) throw new Error('admitted');
  return a.refusal;
}

describe('client limiter', () => {
  it('rpm: the 61st request in a minute is refused naming rpm, with the time until one fits; other clients are untouched', () => {
    const { clock, lim } = setup([{ name: 'a', rpm: 60 }, { name: 'b', rpm: 60 }]);
    for (let i = 0; i < 60; i++) {
      ticket(lim.admit('a', 0));
      clock.advance(500);
    }
    // 30 s in: the first request leaves the window at 60 s.
    expect(refusal(lim.admit('a', 0))).toEqual({ kind: 'limit', client: 'a', limit: 'rpm', value: 60, retryAfterMs: 30_000 });
    ticket(lim.admit('b', 0));
    clock.advance(30_000);
    ticket(lim.admit('a', 0));
  });

  it('tpm counts the estimate at admission and corrects it with the usage reported', () => {
    const { clock, lim } = setup([{ name: 'a', tpm: 1000 }]);
    const t = ticket(lim.admit('a', 800));
    expect(refusal(lim.admit('a', 300))).toMatchObject({ kind: 'limit', limit: 'tpm', retryAfterMs: 60_000 });
    lim.settle(t, { provider: 'p', model: 'm', ok: true, usage: { inputTokens: 100, outputTokens: 50 } });
    expect(lim.view('a', clock.now()).tokens).toMatchObject({ limit: 1000, remaining: 850 });
    ticket(lim.admit('a', 300));
    // A failure used no tokens: its estimate is given back.
    const f = ticket(lim.admit('a', 500));
    expect(lim.view('a', clock.now()).tokens?.remaining).toBe(50);
    lim.settle(f, { provider: 'p', model: 'm', ok: false });
    expect(lim.view('a', clock.now()).tokens?.remaining).toBe(550);
  });

  it('rpd rolls over at 00:00 UTC and is checked before rpm', () => {
    const { clock, lim } = setup([{ name: 'a', rpd: 2, rpm: 1 }]);
    ticket(lim.admit('a', 0));
    clock.advance(60_000);
    ticket(lim.admit('a', 0));
    clock.advance(60_000);
    const r = refusal(lim.admit('a', 0));
    expect(r).toMatchObject({ kind: 'limit', limit: 'rpd', value: 2 });
    const midnight = Date.UTC(2026, 10, 30);
    expect(r.kind === 'limit' && r.retryAfterMs).toBe(midnight - clock.now());
    clock.advanceTo(midnight);
    ticket(lim.admit('a', 0));
  });

  it('budget: refused once the month spend reaches it, until the next UTC month; seeded spend counts', () => {
    const { clock, lim } = setup([{ name: 'a', budgetUsd: 5 }]);
    lim.seed('a', 4, START - 86_400_000);
    lim.seed('a', 100, Date.UTC(2026, 9, 15)); // last month's: not this budget's
    expect(lim.spentUsd('a')).toBe(4);
    const t = ticket(lim.admit('a', 0));
    lim.settle(t, { provider: 'p', model: 'm', ok: true, usage: { inputTokens: 1000, outputTokens: 500 } });
    expect(lim.spentUsd('a')).toBeCloseTo(5.5);
    const r = refusal(lim.admit('a', 0));
    expect(r).toMatchObject({ kind: 'budget', client: 'a', budgetUsd: 5 });
    expect(r.kind === 'budget' && r.retryAfterMs).toBe(Date.UTC(2026, 11, 1) - clock.now());
    clock.advanceTo(Date.UTC(2026, 11, 1));
    ticket(lim.admit('a', 0));
    expect(lim.spentUsd('a')).toBe(0);
  });

  it('clients without limits, plain proxy keys and no client at all are always admitted', () => {
    const { lim } = setup([{ name: 'ci' }]);
    for (let i = 0; i < 1000; i++) {
      ticket(lim.admit('ci', 10_000));
      ticket(lim.admit('0123abcd', 10_000));
      ticket(lim.admit(undefined, 10_000));
    }
    expect(lim.view('ci', 0)).toEqual({});
  });

  it('view: requests from rpm, tokens from tpm, with remaining and the time until the window is whole', () => {
    const { clock, lim } = setup([{ name: 'a', rpm: 10, tpm: 1000 }, { name: 'r', rpm: 5 }]);
    ticket(lim.admit('a', 100));
    clock.advance(20_000);
    ticket(lim.admit('a', 100));
    expect(lim.view('a', clock.now())).toEqual({
      requests: { limit: 10, remaining: 8, resetMs: 60_000 },
      tokens: { limit: 1000, remaining: 800, resetMs: 60_000 },
    });
    expect(lim.view('r', clock.now())).toEqual({ requests: { limit: 5, remaining: 5, resetMs: 0 } });
    expect(lim.view('nobody', clock.now())).toEqual({});
  });

  it('a reload keeps the counts of a client whose limits stay, and the spend of every client that stays', () => {
    const { clock, lim } = setup([{ name: 'a', rpm: 1, budgetUsd: 10 }, { name: 'b', rpm: 1, budgetUsd: 10 }]);
    for (const c of ['a', 'b']) lim.settle(ticket(lim.admit(c, 0)), { provider: 'p', model: 'm', ok: true, usage: { inputTokens: 2000 } });
    lim.setClients([{ name: 'a', rpm: 1, budgetUsd: 3, models: ['x'] }, { name: 'b', rpm: 2, budgetUsd: 10 }]);
    expect(refusal(lim.admit('a', 0))).toMatchObject({ kind: 'limit', limit: 'rpm' });
    expect(lim.allows('a', 'y', 'p')).toMatchObject({ kind: 'model', model: 'y' });
    ticket(lim.admit('b', 0)); // new limits, new window
    expect(lim.spentUsd('b')).toBe(2);
    clock.advance(60_000);
    // The new budget applies to the spend kept: 2 of 3 USD, then 4.
    lim.settle(ticket(lim.admit('a', 0)), { provider: 'p', model: 'm', ok: true, usage: { inputTokens: 2000 } });
    clock.advance(60_000);
    expect(refusal(lim.admit('a', 0))).toMatchObject({ kind: 'budget', budgetUsd: 3, spentUsd: 4 });
  });
});

describe('model allow-list', () => {
  it('names as sent, provider/* against the resolved provider, nothing else', () => {
    const allowed = ['coder', 'openai/*', 'anthropic/claude-3-5-haiku'];
    expect(modelAllowed(allowed, 'coder', 'deepseek')).toBe(true);
    expect(modelAllowed(allowed, 'openai/gpt-4o', 'openai')).toBe(true);
    expect(modelAllowed(allowed, 'gpt-4o', 'openai')).toBe(true);
    expect(modelAllowed(allowed, 'anthropic/claude-3-5-haiku', 'anthropic')).toBe(true);
    expect(modelAllowed(allowed, 'claude-3-5-haiku', 'anthropic')).toBe(false);
    expect(modelAllowed(allowed, 'deepseek-chat', 'deepseek')).toBe(false);
    expect(modelAllowed(allowed, 'openaix/gpt', 'openaix')).toBe(false);
    expect(modelAllowed(undefined, 'anything', 'any')).toBe(true);
    expect(modelAllowed([], 'anything', 'any')).toBe(false);
  });
});
