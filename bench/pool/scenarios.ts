// The cases of `npm run bench:pool`: the scenarios (a)–(e), and the strategy question's conditions.
import type { CellSpec, ClientName } from './cell.js';
import type { Arrivals, KeySpec, Scenario } from './scenario.js';

const times = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));

/** Every key its own account (OpenAI names it in `openai-organization`, so keymux learns the group). */
const own = (i: number, k: KeySpec): KeySpec => ({ group: `acct-${i}`, ...k });

const openai = { provider: 'openai', dialect: 'openai', flavor: 'openai', model: 'gpt-4o-mini' } as const;
/** NVIDIA NIM: OpenAI dialect, no rate-limit headers, a bare problem+json 429 with no retry hint. */
const nim = { provider: 'nvidia_nim', dialect: 'openai', flavor: 'nvidia_nim', model: 'meta/llama-3.1-8b-instruct' } as const;

/** 2 paid keys at 100 rpm beside 8 free keys at 10 rpm. */
const MIXED = [...times(2, (i) => ({ rpm: 100, i })), ...times(8, (i) => ({ rpm: 10, i: i + 2 }))];

export const SCENARIOS: Scenario[] = [
  {
    id: 'a',
    title: '10 equal keys (20 rpm each, own accounts, OpenAI headers)',
    ...openai,
    keys: times(10, (i) => own(i, { rpm: 20 })),
  },
  {
    id: 'b',
    title: 'mixed: 2 paid keys (100 rpm) + 8 free keys (10 rpm), OpenAI headers',
    ...openai,
    keys: MIXED.map((k) => own(k.i, { rpm: k.rpm })),
  },
  {
    id: 'c1',
    title: 'Gemini-style shared projects: 10 keys in 4 projects (3+3+2+2), 15 rpm per project and model, no headers; groups configured',
    provider: 'gemini',
    dialect: 'gemini',
    flavor: 'openai',
    model: 'gemini-2.5-flash',
    keys: times(10, (i) => {
      const project = i < 3 ? 'p0' : i < 6 ? 'p1' : i < 8 ? 'p2' : 'p3';
      return { rpm: 15, group: project, perModel: true, config: { group: project } };
    }),
  },
  {
    id: 'c2',
    title: 'the same Gemini projects, groups NOT configured (keymux believes 10 independent keys)',
    provider: 'gemini',
    dialect: 'gemini',
    flavor: 'openai',
    model: 'gemini-2.5-flash',
    keys: times(10, (i) => {
      const project = i < 3 ? 'p0' : i < 6 ? 'p1' : i < 8 ? 'p2' : 'p3';
      return { rpm: 15, group: project, perModel: true };
    }),
  },
  {
    id: 'd',
    title: 'faulty keys: 1 revoked, 1 out of quota (insufficient_quota), 1 flaky (25% 500s), 7 healthy; 20 rpm each, OpenAI headers',
    ...openai,
    keys: times(10, (i) => own(i, { rpm: 20, ...(i === 0 ? { revoked: true } : i === 1 ? { quotaExhausted: true } : i === 2 ? { failRate: 0.25 } : {}) })),
  },
  {
    id: 'e1',
    title: 'limits learned from headers: the mixed pool of (b), nothing configured (= b)',
    ...openai,
    keys: MIXED.map((k) => own(k.i, { rpm: k.rpm })),
  },
  {
    id: 'e2',
    title: 'limits configured: the mixed pool at a provider without headers (NIM-style), rpm configured per key',
    ...nim,
    keys: MIXED.map((k) => own(k.i, { rpm: k.rpm, config: { rpm: k.rpm } })),
  },
  {
    id: 'e3',
    title: 'limits unknown: the mixed pool at a provider without headers (NIM-style), nothing configured (learned pacing)',
    ...nim,
    keys: MIXED.map((k) => own(k.i, { rpm: k.rpm })),
  },
];

/** A benchmark case: a scenario with its traffic shape, the loads it is offered and the clients compared. */
export interface Case {
  id: string;
  title: string;
  scenario: Scenario;
  arrivals: Arrivals;
  loads: number[];
  clients: ClientName[];
  latency: CellSpec['latency'];
  network: CellSpec['network'];
  /** Virtual time a cell runs for, when not the run's --minutes (the short bursts). */
  durationMs?: number;
  /** How long after the last arrival attempts still count (a burst's requests are served after it). */
  tailMs?: number;
}

export const STRATEGIES: ClientName[] = ['default', 'round-robin', 'least-used', 'lru', 'random'];
/** Upstream latency of a success: log-normal, median 0.8 s, clipped to 0.3–3 s. */
export const LATENCY: CellSpec['latency'] = { median: 800, sigma: 0.6, min: 300, max: 3000 };
/** One-way network time keymux → provider. */
export const NETWORK: CellSpec['network'] = { min: 5, max: 30 };

/** The scenarios (a)–(e): every strategy, naive rotation and a single key, at 0.7×, 1× and 2×. */
export const MAIN: Case[] = SCENARIOS.map((scenario) => ({
  id: scenario.id,
  title: scenario.title,
  scenario,
  arrivals: { kind: 'poisson' },
  loads: [0.7, 1, 2],
  clients: [...STRATEGIES, 'naive', 'single'],
  latency: LATENCY,
  network: NETWORK,
}));

/** The pool of the strategy question: 2 fast keys (60 rpm) and 4 slow ones (10 rpm), each its own account. */
const SIX = [60, 60, 10, 10, 10, 10];
const six = (extra: (i: number) => Partial<KeySpec> = () => ({}), provider: typeof openai | typeof nim = openai): Scenario => ({
  id: 'six',
  title: '',
  ...provider,
  keys: SIX.map((rpm, i) => own(i, { rpm, ...extra(i) })),
});

/** Request size in tokens: log-normal around 1k (σ 0.8; a logistic stands in for the normal quantile), 200–16k. */
const logNormalTokens = (u: number): number => {
  const z = Math.log(u / (1 - u)) / 1.702; // ≈ probit
  return Math.min(16_000, Math.max(200, 1_000 * Math.exp(0.8 * z)));
};

const strategyCase = (id: string, title: string, scenario: Scenario, loads: number[], over: Partial<Case> = {}): Case => ({
  id,
  title,
  scenario: { ...scenario, id, title },
  arrivals: { kind: 'poisson' },
  loads,
  clients: STRATEGIES,
  latency: LATENCY,
  network: NETWORK,
  ...over,
});

/** Where the strategies could differ (JOB 2 of the issue): the same 6-key pool under conditions that stress the choice. */
export const STRATEGY_CASES: Case[] = [
  strategyCase('s-poisson', 'Poisson arrivals (the pool test’s setting)', six(), [0.7, 1, 1.5]),
  strategyCase('s-burst', 'bursty arrivals: jobs of 10 requests on average (geometric) fired at once', six(), [0.7, 0.85, 1.2], {
    arrivals: { kind: 'batch', meanBatch: 10 },
  }),
  strategyCase('s-burst-0net', 'the same bursts with no network time (requests reach the provider in the order sent)', six(), [0.85], {
    arrivals: { kind: 'batch', meanBatch: 10 },
    network: { min: 0, max: 0 },
  }),
  strategyCase('s-fast-paid', 'the 60-rpm keys answer 2× faster than the 10-rpm ones (latency ×0.5 vs ×1.5)', six((i) => ({ speed: i < 2 ? 0.5 : 1.5 })), [0.7, 1]),
  strategyCase(
    's-tokens',
    'token budgets: 90k/15k TPM (and 10× the rpm), request sizes log-normal 200–16k tokens (median 1k)',
    { ...six((i) => ({ rpm: i < 2 ? 600 : 100, tpm: i < 2 ? 90_000 : 15_000 })), tokens: logNormalTokens, meanTokens: 1_370 },
    [0.7, 1],
  ),
  strategyCase('s-headerless', 'no rate-limit headers (NIM-style), nothing configured: learned pacing', six(() => ({}), nim), [0.7, 1.5]),
  strategyCase(
    's-concurrency',
    'concurrency caps 6/6/1/1/1/1 (configured, and enforced by the provider), latency 1–15 s (median 4 s)',
    six((i) => ({ maxConcurrent: i < 2 ? 6 : 1, config: { maxConcurrent: i < 2 ? 6 : 1 } })),
    [0.7, 1],
    { latency: { median: 4_000, sigma: 0.6, min: 1_000, max: 15_000 } },
  ),
];

/** Header-less keys (NIM-style, each its own account, nothing configured) limited per window of `windowMs`. */
const windowed = (id: string, title: string, n: number, perWindow: number, windowMs: number, over: Partial<Scenario> = {}): Scenario => ({
  id,
  title,
  ...nim,
  keys: times(n, (i) => own(i, { rpm: perWindow, windowMs })),
  ...over,
});

/**
 * Windows other than a minute, and capacity that changes (issue #18): the pool is told nothing and sees no
 * header; what it serves comes from the pace it learns. Default strategy beside round-robin, naive rotation
 * and a single key.
 */
export const WINDOW_SCENARIOS: Scenario[] = [
  windowed('w1', '5 keys, 3 requests per 1 s window each (NIM-style: no headers, a 429 with no hint)', 5, 3, 1_000),
  windowed('w10', '5 keys, 10 requests per 10 s window each', 5, 10, 10_000),
  windowed('w60', '5 keys, 40 requests per 60 s window each (free NVIDIA NIM)', 5, 40, 60_000),
  windowed('wmix', '6 keys: two per 1 s (3 each), two per 10 s (10 each), two per 60 s (40 each)', 6, 0, 60_000, {
    keys: [3, 3, 10, 10, 40, 40].map((perWindow, i) => own(i, { rpm: perWindow, windowMs: i < 2 ? 1_000 : i < 4 ? 10_000 : 60_000 })),
  }),
  windowed('up10', 'the keys of (w10); capacity doubles at a third of the run and halves back at two thirds', 5, 10, 10_000, {
    changes: [
      { at: 1 / 3, factor: 2 },
      { at: 2 / 3, factor: 1 },
    ],
  }),
  windowed('up60', 'the keys of (w60); capacity doubles at a third of the run and halves back at two thirds', 5, 40, 60_000, {
    changes: [
      { at: 1 / 3, factor: 2 },
      { at: 2 / 3, factor: 1 },
    ],
  }),
];

export const WINDOW_CASES: Case[] = WINDOW_SCENARIOS.map((scenario) => ({
  id: scenario.id,
  title: scenario.title,
  scenario,
  arrivals: { kind: 'poisson' },
  loads: [0.7, 1, 2],
  clients: ['default', 'round-robin', 'naive', 'single'],
  latency: LATENCY,
  network: NETWORK,
}));

/**
 * The first seed's case (issue #18), as a new user meets it: free NIM-style keys whose window is under a minute,
 * one of them revoked, nothing configured, offered twice what the usable keys can give for 90 seconds. Clients
 * wait up to 30 s (the cells' deadline), so what a client could get at most is the capacity of 120 s.
 */
const burst = (id: string, title: string, perWindow: number, windowMs: number): Case => ({
  id,
  title,
  scenario: windowed(id, title, 5, perWindow, windowMs, {
    keys: times(5, (i) => own(i, { rpm: perWindow, windowMs, ...(i === 0 && { revoked: true }) })),
  }),
  arrivals: { kind: 'poisson' },
  loads: [2],
  clients: ['default', 'round-robin', 'naive'],
  latency: LATENCY,
  network: NETWORK,
  durationMs: 90_000,
  tailMs: 60_000,
});

export const BURST_CASES: Case[] = [
  burst('burst10', '5 keys, 1 of them revoked, 10 requests per 10 s window each; 2× for 90 s', 10, 10_000),
  burst('burst30', '5 keys, 1 of them revoked, 20 requests per 30 s window each; 2× for 90 s', 20, 30_000),
];

export type Section = 'main' | 'strategies' | 'windows' | 'burst';

const SECTIONS: Readonly<Record<Section, Case[]>> = { main: MAIN, strategies: STRATEGY_CASES, windows: WINDOW_CASES, burst: BURST_CASES };

export function findCase(section: Section, id: string): Case {
  const c = SECTIONS[section].find((x) => x.id === id);
  if (!c) throw new Error(`unknown ${section} case ${id}`);
  return c;
}
