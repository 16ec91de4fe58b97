/**
 * Summarises V8 CPU profiles (`node --cpu-prof` output, as BENCH_CPU_PROF writes them): the functions
 * with the most self time, with their share of all samples.
 *
 *   npx tsx bench/profile-top.ts /tmp/prof [count]
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const dir = process.argv[2] ?? '.';
const count = Number(process.argv[3] ?? 25);
const self = new Map<string, number>();
const byPackage = new Map<string, number>();
let total = 0;

function packageOf(url: string): string {
  const mod = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (mod) return mod[1]!;
  const own = /\/build\/(src\/[^/]+)/.exec(url);
  if (own) return own[1]!;
  return url.startsWith('node:') || url === '' ? 'node' : 'other';
}
for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (hits === 0 || functionName === '(idle)') continue;
    byPackage.set(packageOf(url), (byPackage.get(packageOf(url)) ?? 0) + hits);
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/build\//, '')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    self.set(key, (self.get(key) ?? 0) + hits);
    total += hits;
  }
}
console.log('by package:');
for (const [key, hits] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
}
console.log('by function (self time):');
for (const [key, hits] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count)) {
  console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
}
