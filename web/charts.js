// Stacked bar charts as inline SVG, drawn from the usage rows: no library, nothing fetched.
import { count } from './format.js';

const NS = 'http://www.w3.org/2000/svg';
const W = 640;
const H = 200;
const PAD = { top: 14, right: 8, bottom: 24, left: 44 };

function el(name, attrs = {}, text) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A round step for a y axis up to `max`: 1, 2 or 5 times a power of ten. */
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * Draws `bars` ({ label, tick?, parts: number[], title }) stacked in `series` ({ name, cls }) order into
 * `box`, replacing what was there. `tick` is the x-axis text under a bar, when it has one.
 */
export function barChart(box, bars, series) {
  const max = niceMax(Math.max(0, ...bars.map((b) => b.parts.reduce((a, v) => a + v, 0))));
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': box.dataset.label ?? 'chart' });
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = PAD.top + plotH - (plotH * i) / 4;
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: i === 0 ? 'axis' : 'grid' }));
    svg.append(el('text', { x: PAD.left - 6, y: y + 4, class: 'ylabel' }, count(v)));
  }
  const slot = plotW / Math.max(1, bars.length);
  const bw = Math.max(2, slot * 0.7);
  bars.forEach((b, i) => {
    const x = PAD.left + i * slot + (slot - bw) / 2;
    let y = PAD.top + plotH;
    const g = el('g');
    g.append(el('title', {}, b.title));
    b.parts.forEach((v, j) => {
      if (v <= 0) return;
      const h = (plotH * v) / max;
      y -= h;
      g.append(el('rect', { x, y, width: bw, height: Math.max(1, h), rx: 2, class: series[j].cls }));
    });
    // An invisible full-height target, so the tooltip shows for short bars too.
    g.append(el('rect', { x: PAD.left + i * slot, y: PAD.top, width: slot, height: plotH, class: 'hit' }));
    svg.append(g);
    if (b.tick) svg.append(el('text', { x: PAD.left + i * slot + slot / 2, y: H - 6, class: 'xlabel' }, b.tick));
  });
  const legend = document.createElement('div');
  legend.className = 'legend';
  for (const s of series) {
    const item = document.createElement('span');
    const swatch = document.createElement('i');
    swatch.className = `swatch ${s.cls}`;
    item.append(swatch, s.name);
    legend.append(item);
  }
  box.replaceChildren(svg, legend);
}

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The last 24 hours, one bar each (empty hours included), from /admin/usage?by=hour rows. */
export function hourBars(rows, now = Date.now()) {
  const byHour = new Map(rows.map((r) => [Date.parse(r.hour), r]));
  const last = now - (now % HOUR);
  const bars = [];
  for (let t = last - 23 * HOUR; t <= last; t += HOUR) {
    const r = byHour.get(t);
    const d = new Date(t);
    const ok = r?.successes ?? 0;
    const errors = r?.errors ?? 0;
    bars.push({
      tick: d.getHours() % 3 === 0 ? `${String(d.getHours()).padStart(2, '0')}h` : '',
      parts: [ok, errors],
      title: `${d.toLocaleString([], { weekday: 'short', hour: '2-digit', minute: '2-digit' })}: ${ok} ok, ${errors} errors, ${count((r?.inputTokens ?? 0) + (r?.outputTokens ?? 0))} tokens`,
    });
  }
  return bars;
}

/** The last 14 days (UTC, as the API groups them), one bar each, from /admin/usage?by=day rows. */
export function dayBars(rows, now = Date.now()) {
  const byDay = new Map(rows.map((r) => [r.day, r]));
  const last = now - (now % DAY);
  const bars = [];
  for (let t = last - 13 * DAY; t <= last; t += DAY) {
    const day = new Date(t).toISOString().slice(0, 10);
    const r = byDay.get(day);
    const input = r?.inputTokens ?? 0;
    const output = r?.outputTokens ?? 0;
    bars.push({
      tick: (t - last) % (2 * DAY) === 0 ? day.slice(5) : '',
      parts: [input, output],
      title: `${day}: ${count(input)} in, ${count(output)} out, ${r?.requests ?? 0} requests, $${(r?.costUsd ?? 0).toFixed(4)}`,
    });
  }
  return bars;
}
