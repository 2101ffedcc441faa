// Summarises a V8 .cpuprofile (node --cpu-prof): self and inclusive time by function and by file.
// Usage: tsx bench/proxy/cpuprofile.ts FILE.cpuprofile [top=30]
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function shortUrl(url: string): string {
  if (!url) return '';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) return url.slice(nm + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, '');
}

/** Which part of the stack a frame belongs to, for the by-area table. */
function area(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const s = shortUrl(url);
  if (s.startsWith('dist/')) return s.split('/').slice(0, 3).join('/');
  if (s.startsWith('node:')) return s.split('/').slice(0, 2).join('/');
  if (url.includes('node_modules/')) return s.split('/')[0]!.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!;
  return s;
}

export interface Summary {
  totalMs: number;
  idleMs: number;
  bySelf: Array<{ name: string; ms: number }>;
  byTotal: Array<{ name: string; ms: number }>;
  byArea: Array<{ name: string; ms: number }>;
}

export function summarise(file: string, top = 30): Summary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const key = (n: ProfileNode): string => `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const areas = new Map<string, number>();
  let totalUs = 0;
  let idleUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i + 1] ?? 0; // a sample's time runs until the next sample
    const node = byId.get(p.samples[i]!);
    if (!node) continue;
    totalUs += dt;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += dt;
      continue;
    }
    const k = key(node);
    self.set(k, (self.get(k) ?? 0) + dt);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const kk = key(byId.get(id)!);
      if (seen.has(kk)) continue;
      seen.add(kk);
      total.set(kk, (total.get(kk) ?? 0) + dt);
    }
  }
  const sorted = (m: Map<string, number>, n: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({ name, ms: us / 1000 }));
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    bySelf: sorted(self, top),
    byTotal: sorted(new Map([...total].filter(([k]) => k.includes('dist/') || k.includes('/src/'))), top),
    byArea: sorted(areas, top),
  };
}

export function formatSummary(s: Summary): string {
  const busy = s.totalMs - s.idleMs;
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)}%`;
  const lines = [`profiled ${(s.totalMs / 1000).toFixed(1)} s, busy ${(busy / 1000).toFixed(1)} s (percentages are of busy time)`, '', 'self time by function:'];
  for (const r of s.bySelf) lines.push(`  ${pct(r.ms)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  lines.push('', 'self time by area:');
  for (const r of s.byArea) lines.push(`  ${pct(r.ms)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  lines.push('', 'inclusive time, keymux functions:');
  for (const r of s.byTotal) lines.push(`  ${pct(r.ms)}  ${r.ms.toFixed(0).padStart(7)} ms  ${r.name}`);
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx bench/proxy/cpuprofile.ts FILE.cpuprofile [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatSummary(summarise(file, Number(process.argv[3] ?? 30)))}\n`);
}
