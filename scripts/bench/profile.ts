// Reads a V8 .cpuprofile and says where the time went: by area (our code, each npm package, Node
// internals, GC, idle), the hottest frames by self time, and our own functions by inclusive time.
// Also usable alone: `npx tsx scripts/bench/profile.ts <file.cpuprofile> [top]`.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

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
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const REPO = path.resolve(__dirname, '..', '..');

function area(url: string, name: string): string {
  if (name === '(garbage collector)') return 'GC';
  if (name === '(idle)') return 'idle';
  if (name === '(program)') return '(program: native, not attributed)';
  if (!url) return 'V8 builtins/native (JSON, RegExp, Buffer…)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm: ${nm[1]}`;
  if (url.startsWith('node:')) return 'Node internals';
  const file = url.replace(/^file:\/\//, '');
  if (file.startsWith(REPO)) return `ours: ${path.relative(REPO, file).split('/')[0]}/`;
  return 'other';
}

function frameKey(f: CallFrame): string {
  const file = f.url.replace(/^file:\/\//, '').replace(REPO + '/', '');
  // Our .ts files run transpiled by tsx: their line numbers are not the source's, so name the file only.
  const where = !file ? '' : /\.tsx?$/.test(file) ? file : `${file}:${f.lineNumber + 1}`;
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
}

const NOT_WORK = new Set(['(idle)', '(root)', '(program)', '(garbage collector)']);

export interface ProfileSummary {
  totalMs: number;
  areas: [string, number][];
  /** Each sample charged to the innermost npm package or folder of ours on its stack (who caused the work). */
  attributed: [string, number][];
  selfTop: [string, number][];
  inclusiveTop: [string, number][];
  oursInclusiveTop: [string, number][];
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const areas = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const attributed = new Map<string, number>();
  let totalMs = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i + 1] ?? p.timeDeltas[i] ?? 0) / 1000;
    totalMs += ms;
    const node = byId.get(id)!;
    const key = frameKey(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + ms);
    const a = area(node.callFrame.url, node.callFrame.functionName);
    areas.set(a, (areas.get(a) ?? 0) + ms);
    // Inclusive time: each distinct frame on the stack once.
    const seen = new Set<string>();
    let owner: string | undefined;
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)!.callFrame;
      if (owner === undefined) {
        const fa = area(f.url, f.functionName);
        if (fa.startsWith('npm: ') || fa.startsWith('ours: ')) owner = fa;
      }
      if (NOT_WORK.has(f.functionName)) continue;
      const k = frameKey(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + ms);
    }
    if (!NOT_WORK.has(node.callFrame.functionName)) {
      const o = owner ?? 'Node/V8 only (HTTP parsing, socket I/O, timers: no package or code of ours on the stack)';
      attributed.set(o, (attributed.get(o) ?? 0) + ms);
    } else if (node.callFrame.functionName !== '(idle)') {
      const o = a;
      attributed.set(o, (attributed.get(o) ?? 0) + ms);
    }
  });
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  const isOurs = (k: string) => / (core|adapters|functions|local)\//.test(k);
  return {
    totalMs,
    areas: sorted(areas),
    attributed: sorted(attributed),
    selfTop: sorted(self)
      .filter(([k]) => !NOT_WORK.has(k))
      .slice(0, top),
    inclusiveTop: sorted(inclusive)
      .filter(([k]) => !isOurs(k))
      .slice(0, top),
    oursInclusiveTop: sorted(inclusive)
      .filter(([k]) => isOurs(k))
      .slice(0, top),
  };
}

/** `units`: what the busy time was spent on (e.g. 7,600 requests) to show µs per unit too. */
export function formatProfile(s: ProfileSummary, title: string, units?: { count: number; label: string }): string {
  const busy = s.totalMs - (s.areas.find(([a]) => a === 'idle')?.[1] ?? 0);
  const per = (ms: number) =>
    units && units.count > 0 ? `  ${((1000 * ms) / units.count).toFixed(1).padStart(6)} µs/${units.label}` : '';
  const pct = (ms: number) => `${((100 * ms) / busy).toFixed(1).padStart(5)} %${per(ms)}`;
  const lines = [
    `${title}: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s busy (percentages of busy time)` +
      (units
        ? `; ${units.count.toLocaleString('en-US')} ${units.label}s, ${((1000 * busy) / units.count).toFixed(0)} µs busy per ${units.label}`
        : ''),
  ];
  lines.push('  who caused it (innermost npm package or folder of ours on the stack):');
  for (const [a, ms] of s.attributed) lines.push(`    ${pct(ms)}  ${a}`);
  lines.push('  where it ran (the sampled frame itself):');
  for (const [a, ms] of s.areas) if (a !== 'idle') lines.push(`    ${pct(ms)}  ${a}`);
  lines.push('  hottest frames (self time; idle, GC and unattributed native excluded):');
  for (const [k, ms] of s.selfTop) lines.push(`    ${pct(ms)}  ${k}`);
  lines.push('  other frames by inclusive time (the function and everything it calls):');
  for (const [k, ms] of s.inclusiveTop) lines.push(`    ${pct(ms)}  ${k}`);
  lines.push('  our functions by inclusive time:');
  for (const [k, ms] of s.oursInclusiveTop) lines.push(`    ${pct(ms)}  ${k}`);
  return lines.join('\n');
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx scripts/bench/profile.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(
    formatProfile(summarizeProfile(file, Number(process.argv[3] ?? 25)), path.basename(file)) + '\n',
  );
}
