/**
 * Where ogrt-server's time goes: reads the .cpuprofile that `node
 * --cpu-prof` writes at exit and sums sample time per function (self time,
 * and inclusive time: the function and everything it called) and per source
 * file. Used by `npm run bench -- --profile`.
 *
 *   node --import tsx bench/profile.ts FILE.cpuprofile [top]
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './workload.ts';

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
}

export interface HotSpot {
  readonly name: string;
  readonly where: string;
  readonly selfPercent: number;
  readonly totalPercent: number;
}

export interface ProfileSummary {
  /** Sampled ms, idle excluded. */
  readonly busyMs: number;
  readonly idlePercent: number;
  readonly gcPercent: number;
  readonly bySelf: readonly HotSpot[];
  readonly byTotal: readonly HotSpot[];
  readonly byFile: readonly { file: string; selfPercent: number }[];
}

function where(frame: CallFrame): string {
  if (frame.url === '') return '(native)';
  let file = frame.url.replace(/^file:\/\//, '');
  if (file.startsWith(REPO + '/')) file = path.relative(REPO, file);
  else if (file.includes('/node_modules/')) file = file.slice(file.lastIndexOf('/node_modules/') + 14);
  return `${file}:${frame.lineNumber + 1}`;
}

function fileOf(frame: CallFrame): string {
  const w = where(frame);
  const colon = w.lastIndexOf(':');
  const file = colon === -1 ? w : w.slice(0, colon);
  // Packages by name, the rest by file.
  const pkg = /^(@[^/]+\/[^/]+|[^/@][^/]*)\//.exec(file);
  return pkg !== null && !file.startsWith('src/') && !file.startsWith('plugins/') && !file.startsWith('node:') ? pkg[1] : file;
}

export function summarizeProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of profile.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));

  let idle = 0, gc = 0, all = 0;
  for (const [id, us] of self) {
    all += us;
    const name = byId.get(id)!.callFrame.functionName;
    if (name === '(idle)') idle += us;
    if (name === '(garbage collector)') gc += us;
  }
  const busy = all - idle;

  const key = (f: CallFrame): string => `${f.functionName || '(anonymous)'}\u0000${where(f)}`;
  const selfBy = new Map<string, number>();
  const fileBy = new Map<string, number>();
  for (const [id, us] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === '(idle)') continue;
    selfBy.set(key(f), (selfBy.get(key(f)) ?? 0) + us);
    fileBy.set(fileOf(f), (fileBy.get(fileOf(f)) ?? 0) + us);
  }
  // Inclusive time: every function on the stack of a sample gets it once (recursion counted once).
  const totalBy = new Map<string, number>();
  const root = profile.nodes[0];
  const walk = (node: ProfileNode, onStack: Set<string>): number => {
    let sum = self.get(node.id) ?? 0;
    const k = key(node.callFrame);
    const fresh = !onStack.has(k);
    if (fresh) onStack.add(k);
    for (const c of node.children ?? []) sum += walk(byId.get(c)!, onStack);
    if (fresh) {
      onStack.delete(k);
      totalBy.set(k, (totalBy.get(k) ?? 0) + sum);
    }
    return sum;
  };
  walk(root, new Set());

  const pct = (us: number): number => Math.round((us / busy) * 1000) / 10;
  const spot = (k: string): HotSpot => {
    const [name, w] = k.split('\u0000');
    return { name, where: w, selfPercent: pct(selfBy.get(k) ?? 0), totalPercent: pct(totalBy.get(k) ?? 0) };
  };
  const skip = new Set(['(root)', '(program)', '(idle)']);
  const bySelf = [...selfBy.keys()].sort((a, b) => selfBy.get(b)! - selfBy.get(a)!).slice(0, top).map(spot);
  const byTotal = [...totalBy.keys()]
    .filter((k) => !skip.has(k.split('\u0000')[0]))
    .sort((a, b) => totalBy.get(b)! - totalBy.get(a)!)
    .slice(0, top)
    .map(spot);
  const byFile = [...fileBy.entries()].sort((a, b) => b[1] - a[1]).slice(0, top).map(([f, us]) => ({ file: f, selfPercent: pct(us) }));
  return { busyMs: busy / 1000, idlePercent: Math.round((idle / all) * 1000) / 10, gcPercent: pct(gc), bySelf, byTotal, byFile };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [
    `busy ${(s.busyMs / 1000).toFixed(2)} s sampled (idle ${s.idlePercent}% of the profile); garbage collection ${s.gcPercent}% of busy time`,
    '',
    '| self % | total % | function | where |',
    '| ---: | ---: | --- | --- |',
    ...s.bySelf.map((h) => `| ${h.selfPercent} | ${h.totalPercent} | \`${h.name}\` | ${h.where} |`),
    '',
    '| total % (inclusive) | self % | function | where |',
    '| ---: | ---: | --- | --- |',
    ...s.byTotal.map((h) => `| ${h.totalPercent} | ${h.selfPercent} | \`${h.name}\` | ${h.where} |`),
    '',
    '| self % | file or package |',
    '| ---: | --- |',
    ...s.byFile.map((f) => `| ${f.selfPercent} | ${f.file} |`),
  ];
  return lines.join('\n');
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [file, top] = process.argv.slice(2);
  console.log(formatProfile(summarizeProfile(file, top === undefined ? 15 : Number(top))));
}
