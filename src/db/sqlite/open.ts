import type Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import type { Logger } from 'pino';
import type { ReadinessCheck } from '../../health/readiness.js';
import { findMigrationsFolder } from '../migrations-folder.js';
import { openSqliteFile } from './file.js';
import * as schema from './schema.js';

export type SqliteOrderDb = BetterSQLite3Database<typeof schema>;

export interface OpenSqliteOrderDatabaseOptions {
  /** File path (relative paths resolve against the working directory) or `:memory:`. */
  path: string;
  logger: Logger;
  /** Defaults to the `drizzle/sqlite/` folder shipped with the project. */
  migrationsFolder?: string;
  busyTimeoutMs?: number;
}

/** The name v0.1.0 created; an existing file is recognised by it (hash and timestamp per migration). */
const MIGRATIONS_TABLE = '__drizzle_migrations';

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
export function openSqliteOrderDatabase(options: OpenSqliteOrderDatabaseOptions) {
  const { logger } = options;
  const { sqlite, file } = openSqliteFile(options);
  try {
    const db = drizzle(sqlite, { schema });
    const migrationsFolder = options.migrationsFolder ?? findMigrationsFolder('sqlite');
    const before = appliedMigrationCount(sqlite);
    migrate(db, { migrationsFolder, migrationsTable: MIGRATIONS_TABLE });
    const after = appliedMigrationCount(sqlite);
    logger.info(
      { dialect: 'sqlite', path: file, migrations_applied: after - before, migrations_total: after },
      after > before ? 'order database migrated' : 'order database opened',
    );

    let closed = false;
    return {
      dialect: 'sqlite' as const,
      db,
      sqlite,
      path: file,
      /** True when this open created the schema (a new database): demo orders may go in. */
      created: before === 0 && after > 0,
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

export type SqliteOrderDatabase = ReturnType<typeof openSqliteOrderDatabase>;

export function sqliteReadinessCheck(handle: Pick<SqliteOrderDatabase, 'sqlite'>): ReadinessCheck {
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
