import type { Logger } from 'pino';
import type { ReadinessCheck } from '../health/readiness.js';
import {
  openPostgresOrderDatabase,
  type PostgresOrderDatabase,
  postgresReadinessCheck,
} from './postgres/open.js';
import { openSqliteOrderDatabase, type SqliteOrderDatabase, sqliteReadinessCheck } from './sqlite/open.js';

export { findMigrationsFolder, type OrderDbDialect } from './migrations-folder.js';
export type { PostgresOrderDatabase } from './postgres/open.js';
export type { SqliteOrderDatabase } from './sqlite/open.js';

/**
 * The orders database, on either engine. Every table of it (orders today, more later) has a schema
 * per dialect (src/db/sqlite/schema.ts, src/db/postgres/schema.ts) and migrations per dialect
 * (drizzle/sqlite, drizzle/postgres); code that needs the database takes this handle and switches
 * on `dialect` once, where it builds its repository.
 */
export type OrderDatabase = SqliteOrderDatabase | PostgresOrderDatabase;

export interface OpenOrderDatabaseOptions {
  /** `postgres://…` selects Postgres; empty or absent selects SQLite at `path`. */
  url?: string | undefined;
  /** SQLite file path (relative paths resolve against the working directory) or `:memory:`. */
  path: string;
  logger: Logger;
  /** Overrides the dialect's `drizzle/<dialect>/` folder (tests). */
  migrationsFolder?: string;
  /** SQLite: how long a writer waits for another one. */
  busyTimeoutMs?: number;
  /** Postgres: connection pool bound. */
  poolMax?: number;
  /** Postgres: connect and statement timeout. */
  timeoutMs?: number;
}

/** Opens the orders database selected by the configuration and applies its pending migrations. */
export async function openOrderDatabase(options: OpenOrderDatabaseOptions): Promise<OrderDatabase> {
  const { logger, migrationsFolder } = options;
  if (options.url) {
    return openPostgresOrderDatabase({
      url: options.url,
      logger,
      ...(migrationsFolder ? { migrationsFolder } : {}),
      ...(options.poolMax ? { poolMax: options.poolMax } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
  }
  return openSqliteOrderDatabase({
    path: options.path,
    logger,
    ...(migrationsFolder ? { migrationsFolder } : {}),
    ...(options.busyTimeoutMs !== undefined ? { busyTimeoutMs: options.busyTimeoutMs } : {}),
  });
}

/** Critical: without the order database the agent cannot do its main job. */
export function orderDbReadinessCheck(handle: OrderDatabase): ReadinessCheck {
  return handle.dialect === 'postgres' ? postgresReadinessCheck(handle) : sqliteReadinessCheck(handle);
}

/** Where the orders live, without credentials, for the banner and logs. */
export function describeOrderDatabase(handle: OrderDatabase): string {
  return handle.dialect === 'postgres' ? handle.url : handle.path;
}
