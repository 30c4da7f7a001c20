// Summarizes a V8 .cpuprofile by self time per function and per source file (where the coordinator's time goes).
import { readFileSync } from 'node:fs';

interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; }

/** Self milliseconds by "function (file)" and by file, largest first. */
export function summarizeProfile(path: string, top = 25): { byFunction: [string, number][]; byFile: [string, number][] } {
  const p = JSON.parse(readFileSync(path, 'utf8')) as Profile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  p.samples.forEach((id, i) => {
    const n = nodes.get(id)!;
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const url = n.callFrame.url.replace(/^.*\/node_modules\/(\.pnpm\/)?/, 'nm:').replace(/^file:\/\/\/work\/main\//, '');
    const key = `${n.callFrame.functionName || '(anonymous)'} (${url || 'native'}:${n.callFrame.lineNumber + 1})`;
    fn.set(key, (fn.get(key) ?? 0) + ms);
    file.set(url || n.callFrame.functionName, (file.get(url || n.callFrame.functionName) ?? 0) + ms);
  });
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { byFunction: sorted(fn), byFile: sorted(file) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = summarizeProfile(process.argv[2]);
  for (const [k, v] of s.byFile) console.log(`${v.toFixed(0).padStart(8)} ms  ${k}`);
  console.log('');
  for (const [k, v] of s.byFunction) console.log(`${v.toFixed(0).padStart(8)} ms  ${k}`);
}
