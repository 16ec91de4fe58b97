import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
/** DESIGN §2: these layers sit below http/ and never depend on it. */
const LOWER = ['sessions', 'chat', 'turns', 'agent', 'tools', 'db', 'redis', 'lib', 'health', 'config'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => path.join(e.parentPath, e.name));
}

describe('layering', () => {
  it('no lower layer imports from src/http', () => {
    const offenders: string[] = [];
    for (const layer of LOWER) {
      let files: string[];
      try {
        files = filesUnder(path.join(SRC, layer));
      } catch {
        continue;
      }
      for (const file of files) {
        const text = readFileSync(file, 'utf8');
        for (const match of text.matchAll(/from\s+'([^']+)'/g)) {
          const target = path.resolve(path.dirname(file), match[1] ?? '');
          if (target.startsWith(path.join(SRC, 'http') + path.sep)) {
            offenders.push(`${path.relative(SRC, file)} → ${match[1]}`);
          }
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
