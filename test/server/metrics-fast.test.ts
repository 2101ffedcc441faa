// The request path's counters and histograms find their children through one Map level per label (no joined key).
// These tests pin what the exposition shows: one series per label combination, the overflow series past the cap,
// and a reset that forgets every child.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from '../../src/server/metrics-fast.js';

describe('FastCounter', () => {
  it('keeps one child per combination of label values, values that share a prefix included', async () => {
    const r = new Registry();
    const c = new FastCounter('t_total', 'help', ['a', 'b', 'c'], r);
    c.child('x', 'y', 'z').inc();
    c.child('x', 'y', 'z').inc(2);
    c.child('x', 'y', 'w').inc();
    c.child('x', 'yz', '').inc(5);
    c.child('xy', '', 'z').inc(7);
    const text = await r.metrics();
    expect(text).toContain('t_total{a="x",b="y",c="z"} 3');
    expect(text).toContain('t_total{a="x",b="y",c="w"} 1');
    expect(text).toContain('t_total{a="x",b="yz",c=""} 5');
    expect(text).toContain('t_total{a="xy",b="",c="z"} 7');
  });

  it('past 10,000 combinations new ones share the "_other" child; known ones keep their own', async () => {
    const r = new Registry();
    const c = new FastCounter('o_total', 'help', ['provider', 'model'], r);
    for (let i = 0; i < 10_000; i++) c.child('p', `m${i}`).inc();
    c.child('p', 'invented-1').inc();
    c.child('q', 'invented-2').inc();
    c.child('p', 'm5').inc();
    const text = await r.metrics();
    expect(text).toContain('o_total{provider="_other",model="_other"} 2');
    expect(text).toContain('o_total{provider="p",model="m5"} 2');
    expect(text).not.toContain('invented');
  });

  it('reset forgets every child', async () => {
    const r = new Registry();
    const c = new FastCounter('r_total', 'help', ['a'], r);
    c.child('x').inc();
    c.reset();
    c.child('y').inc();
    const text = await r.metrics();
    expect(text).not.toContain('a="x"');
    expect(text).toContain('r_total{a="y"} 1');
  });
});

describe('FastHistogram', () => {
  it('observes into the child of its labels', async () => {
    const r = new Registry();
    const h = new FastHistogram('h_seconds', 'help', ['provider', 'model'], [0.1, 1], r);
    h.child('p', 'm').observe(0.05);
    h.child('p', 'm').observe(0.5);
    h.child('p', 'n').observe(5);
    const text = await r.metrics();
    expect(text).toContain('h_seconds_bucket{provider="p",model="m",le="0.1"} 1');
    expect(text).toContain('h_seconds_bucket{provider="p",model="m",le="1"} 2');
    expect(text).toContain('h_seconds_count{provider="p",model="m"} 2');
    expect(text).toContain('h_seconds_bucket{provider="p",model="n",le="1"} 0');
    expect(text).toContain('h_seconds_bucket{provider="p",model="n",le="+Inf"} 1');
  });
});
