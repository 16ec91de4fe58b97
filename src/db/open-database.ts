import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../health/readiness.js';
import * as schema from './schema.js';

export type OrderDb = BetterSQLite3Database<typeof schema>;

export interface OpenOrderDatabaseOptions {
  /** File path (relative paths resolve against the working directory) or `:memory:`. */
  path: string;
  logger: Logger;
  /** Defaults to the `drizzle/` folder shipped with the project. */
  migrationsFolder?: string;
  busyTimeoutMs?: number;
}

const MIGRATIONS_TABLE = '__drizzle_migrations';

/**
 * The migrations live at the project root, while this module runs either from `src/db/` (tsx,
 * vitest) or from `dist/src/db/` (compiled), so walk up until a folder holds `drizzle/`.
 */
export function findMigrationsFolder(startUrl: string = import.meta.url): string {
  let dir = path.dirname(fileURLToPath(startUrl));
  for (;;) {
    const candidate = path.join(dir, 'drizzle');
    if (fs.existsSync(path.join(candidate, 'meta', '_journal.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`no drizzle/ migrations folder found above ${fileURLToPath(startUrl)}`);
    dir = parent;
  }
}

function appliedMigrationCount(sqlite: Database.Database): number {
  const table = sqlite
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(MIGRATIONS_TABLE);
  if (!table) return 0;
  const row = sqlite.prepare(`SELECT count(*) AS n FROM ${MIGRATIONS_TABLE}`).get() as { n: number };
  return row.n;
}

/**
 * Opens the one connection the process uses for orders and brings the schema up to date.
 * better-sqlite3 is synchronous; order queries are sub-millisecond, so that is the simplest
 * correct choice for a single-process server.
 */
export function openOrderDatabase(options: OpenOrderDatabaseOptions) {
  const { logger } = options;
  const inMemory = options.path === ':memory:';
  const file = inMemory ? options.path : path.resolve(options.path);
  if (!inMemory) fs.mkdirSync(path.dirname(file), { recursive: true });

  const sqlite = new Database(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    sqlite.pragma('foreign_keys = ON');
    // WAL makes NORMAL durable against application crashes; only a power loss can drop the last commits.
    sqlite.pragma('synchronous = NORMAL');

    const db = drizzle(sqlite, { schema });
    const migrationsFolder = options.migrationsFolder ?? findMigrationsFolder();
    const before = appliedMigrationCount(sqlite);
    migrate(db, { migrationsFolder, migrationsTable: MIGRATIONS_TABLE });
    const after = appliedMigrationCount(sqlite);
    logger.info(
      { path: file, migrations_applied: after - before, migrations_total: after },
      after > before ? 'order database migrated' : 'order database opened',
    );

    let closed = false;
    return {
      db,
      sqlite,
      path: file,
      get closed(): boolean {
        return closed;
      },
      close(): void {
        if (closed) return;
        closed = true;
        sqlite.close();
        logger.info({ path: file }, 'order database closed');
      },
    };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}

export type OrderDatabase = ReturnType<typeof openOrderDatabase>;

/** Critical: without the order database the agent cannot do its main job. */
export function orderDbReadinessCheck(handle: Pick<OrderDatabase, 'sqlite'>): ReadinessCheck {
  return {
    name: 'order_db',
    critical: true,
    run() {
      if (!handle.sqlite.open) return { status: 'unhealthy', message: 'order database is closed' };
      try {
        handle.sqlite.prepare('SELECT 1').get();
        return { status: 'healthy' };
      } catch (err) {
        return {
          status: 'unhealthy',
          message: `order database query failed: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    },
  };
}
