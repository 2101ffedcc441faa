// The simulated provider of the pool benchmark: the project's own simulator (test/sim) without its HTTP layer.
// Admission is test/sim's KeyRegistry gate (QuotaModel buckets per account, per-day counters, concurrency,
// revoked/out-of-quota/flaky keys); error bodies and headers are the simulator's, byte for byte; the real
// provider adapter turns each response into the pool's Outcome, so the pool learns from headers as in production.
import type { Outcome } from '../../src/pool/index.js';
import { adapterFor, type ProviderAdapter } from '../../src/providers/index.js';
import { KeyRegistry, headerStyleFor, type Dialect, type Flavor, type KeyBehaviour, type Verdict } from '../../test/sim/behaviour.js';
import type { Ctx } from '../../test/sim/common.js';
import { googleFailure, openaiFailure } from '../../test/sim/openai-errors.js';
import { okHeaders } from '../../test/sim/openai.js';

export interface Wire {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** One upstream attempt as the proxy sees it: what came back, when, and what the adapter made of it. */
export interface Response {
  wire: Wire;
  /** Upstream time of the attempt (admission → response), ms. */
  latencyMs: number;
  /** Classifies at the time the response arrives (HTTP-date and reset headers are relative to it). */
  outcome(now: number): Outcome;
  /** The provider's concurrency slot is freed when the response ends. */
  release(): void;
}

type Failure = Exclude<Verdict, { type: 'ok' }>;

/** A response sink shaped like the simulator's Ctx, so its real error writers can be reused without sockets. */
function captureCtx(flavor: Flavor, key: string, now: () => number): { ctx: Ctx; wire: () => Wire } {
  let wire: Wire = { status: 0, headers: {}, body: undefined };
  let n = 0;
  const res = {
    headersSent: false,
    writeHead(status: number, headers: Record<string, string>) {
      wire = { status, headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), String(v)])), body: undefined };
      res.headersSent = true;
    },
    end(s: string) {
      wire.body = JSON.parse(s) as unknown;
    },
  };
  const ctx = { res, key, flavor, closed: false, now, nextId: () => `bench${++n}` } as unknown as Ctx;
  return { ctx, wire: () => wire };
}

export interface ProviderSpec {
  /** Catalog name of the provider whose adapter classifies (openai, gemini, nvidia_nim, …). */
  provider: string;
  dialect: Dialect;
  flavor: Flavor;
  model: string;
  /** Behaviour per key secret (rpm/tpm/group/revoked/quotaExhausted/failRate, …). */
  keys: Record<string, KeyBehaviour>;
  seed: number;
}

export class SimProvider {
  readonly adapter: ProviderAdapter;
  readonly #reg: KeyRegistry;
  readonly #spec: ProviderSpec;
  readonly #now: () => number;

  constructor(spec: ProviderSpec, now: () => number) {
    this.#spec = spec;
    this.#now = now;
    this.#reg = new KeyRegistry(spec.keys, now, spec.seed);
    this.adapter = adapterFor(spec.provider);
  }

  /** Changes a key's behaviour from now on (its account starts afresh): capacity that changes mid-run. */
  setBehaviour(key: string, b: KeyBehaviour): void {
    this.#reg.set(key, b);
  }

  /**
   * One request on `key` costing `tokens`, decided now. A success takes `okLatencyMs` upstream; a refusal
   * (429, 401, 5xx) comes back fast (`errLatencyMs`), as providers answer those before any generation.
   */
  call(key: string, tokens: number, okLatencyMs: number, errLatencyMs: number): Response {
    const { dialect, flavor, model } = this.#spec;
    const style = headerStyleFor(dialect, flavor);
    const v = this.#reg.gate(key, dialect, style, model, tokens);
    const wire = v.type === 'ok' ? this.#ok(key, v, tokens) : this.#failure(key, v);
    const adapter = this.adapter;
    return {
      wire,
      latencyMs: v.type === 'ok' ? okLatencyMs : errLatencyMs,
      outcome: (now) => adapter.classify(wire, { now, model }),
      release: v.type === 'ok' ? v.release : () => {},
    };
  }

  #ok(key: string, v: Extract<Verdict, { type: 'ok' }>, tokens: number): Wire {
    const { dialect, flavor, model } = this.#spec;
    const input = Math.round(tokens * 0.8);
    const output = tokens - input;
    if (dialect === 'gemini') {
      return {
        status: 200,
        headers: { 'content-type': 'application/json; charset=UTF-8' },
        body: {
          candidates: [{ content: { role: 'model', parts: [{ text: 'ok' }] }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: tokens },
          modelVersion: model,
        },
      };
    }
    const { ctx } = captureCtx(flavor, key, this.#now);
    return {
      status: 200,
      headers: { ...okHeaders(ctx, v), 'content-type': 'application/json' },
      body: {
        id: 'chatcmpl-bench',
        object: 'chat.completion',
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: input, completion_tokens: output, total_tokens: tokens },
      },
    };
  }

  #failure(key: string, v: Failure): Wire {
    const { dialect, flavor, model } = this.#spec;
    if (dialect === 'gemini') {
      const g = googleFailure(v, model);
      return { status: g.status, headers: { 'content-type': 'application/json; charset=UTF-8' }, body: g.body };
    }
    const { ctx, wire } = captureCtx(flavor, key, this.#now);
    openaiFailure(ctx, v, model);
    return wire();
  }
}
