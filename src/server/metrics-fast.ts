import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the request path, rendered by prom-client's registry. prom-client's own children
 * (`.labels(...)`) validate and hash their label object on every inc/observe: with them (cached children) the
 * metrics of one request cost 6–11 µs of CPU; these children are plain objects found by one Map lookup, an
 * update is an addition, and the same request costs 0.5–1.3 µs (pool acquire+report with and without metrics,
 * 200k requests, 3 rounds, on a shared 2-CPU machine). The registry calls get() at scrape time only.
 */
interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/** Label combinations kept per metric: past it (clients inventing model names), updates go to one overflow child. */
const MAX_CHILDREN = 10_000;

abstract class Fast<C> {
  readonly aggregator = 'sum';
  readonly #children = new Map<string, C>();
  #overflow: C | undefined;

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    registry.registerMetric(this as never);
  }

  protected abstract make(labels: Record<string, string>): C;

  /** The child of these label values (in labelNames' order). */
  child(...values: string[]): C {
    const k = values.length === 1 ? values[0]! : values.join('\u0000');
    let c = this.#children.get(k);
    if (c === undefined) {
      if (this.#children.size >= MAX_CHILDREN) return (this.#overflow ??= this.make(Object.fromEntries(this.labelNames.map((n) => [n, '_other']))));
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = values[i] ?? ''));
      this.#children.set(k, (c = this.make(labels)));
    }
    return c;
  }

  protected all(): C[] {
    return this.#overflow ? [...this.#children.values(), this.#overflow] : [...this.#children.values()];
  }

  reset(): void {
    this.#children.clear();
    this.#overflow = undefined;
  }
}

export class CounterChild {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}
  inc(v = 1): void {
    this.value += v;
  }
}

export class FastCounter extends Fast<CounterChild> {
  readonly type = 'counter';
  protected make(labels: Record<string, string>): CounterChild {
    return new CounterChild(labels);
  }
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.all().map((c) => ({ labels: c.labels, value: c.value })) };
  }
}

export class HistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length);
  }
  observe(v: number): void {
    this.sum += v;
    this.count++;
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]!++;
        return;
      }
    }
  }
}

export class FastHistogram extends Fast<HistogramChild> {
  readonly type = 'histogram';
  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }
  protected make(labels: Record<string, string>): HistogramChild {
    return new HistogramChild(labels, this.buckets);
  }
  get(): { name: string; help: string; type: string; aggregator: string; values: Value[] } {
    const values: Value[] = [];
    for (const c of this.all()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += c.counts[i]!;
        values.push({ labels: { ...c.labels, le }, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { ...c.labels, le: '+Inf' }, value: c.count, metricName: `${this.name}_bucket` });
      values.push({ labels: c.labels, value: c.sum, metricName: `${this.name}_sum` });
      values.push({ labels: c.labels, value: c.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
