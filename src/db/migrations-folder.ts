import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type OrderDbDialect = 'sqlite' | 'postgres';
/** The migration sets under `drizzle/`: the orders of each engine, and the SQLite session store. */
export type MigrationSet = OrderDbDialect | 'sessions';

/**
 * The migrations live at the project root (`drizzle/<dialect>/`), while this module runs either from
 * `src/db/` (tsx, vitest) or from `dist/src/db/` (compiled), so walk up until a folder holds them.
 */
export function findMigrationsFolder(dialect: MigrationSet, startUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(startUrl));
  for (;;) {
    const candidate = path.join(dir, 'drizzle', dialect);
    if (fs.existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`no drizzle/${dialect} migrations folder found above ${fileURLToPath(startUrl)}`);
    dir = parent;
  }
}
