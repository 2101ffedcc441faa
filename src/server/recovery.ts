import type { TimerHandle } from '../pool/index.js';
import { probeKey, secretById, type Probe } from './recovery-check.js';
import type { Runtime } from './runtime.js';

/** A key disabled by an operator stays off until an operator says otherwise: no schedule second-guesses them. */
const OPERATOR = 'disabled by operator';

/**
 * Re-checks disabled keys on a schedule, on the runtime's clock: each one gets the same probe as the admin
 * API's check, and one that passes is enabled (half-open: pool/half-open.ts). Keys are checked one after the
 * other, never in a burst against a provider that may be refusing for a reason of its own.
 */
export class Recovery {
  #timer: TimerHandle | undefined;
  #intervalMs: number;
  #running: Promise<Probe[]> | undefined;
  #stopped = false;

  constructor(
    private readonly rt: Runtime,
    intervalMs: number,
    private readonly onChecked: (r: Probe) => void,
  ) {
    this.#intervalMs = intervalMs;
  }

  start(): void {
    this.#arm();
  }

  /** A new interval from a reload: the next check is one new interval from now. 0 turns the schedule off. */
  setInterval(ms: number): void {
    if (ms === this.#intervalMs) return;
    this.#intervalMs = ms;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Checks every disabled key now (not those an operator disabled); a run already going is joined, not doubled. */
  recheck(): Promise<Probe[]> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<Probe[]> {
    const out: Probe[] = [];
    for (const p of [...this.rt.providers.values()]) {
      for (const k of p.pool.snapshot().keys) {
        if (this.#stopped) return out;
        if (k.status !== 'disabled' || k.reason === OPERATOR) continue;
        const secret = secretById(this.rt, p, k.id);
        if (secret === undefined) continue;
        try {
          const r = await probeKey(this.rt, p, k.id, secret);
          out.push(r);
          this.onChecked(r);
        } catch {
          // No probe for this provider (no model list, no model configured): nothing to learn on a schedule.
        }
      }
    }
    return out;
  }

  #arm(): void {
    if (this.#stopped || this.#intervalMs <= 0 || this.#timer) return;
    this.#timer = this.rt.clock.setTimer(() => {
      this.#timer = undefined;
      void this.recheck().finally(() => this.#arm());
    }, this.#intervalMs);
  }
}
