import type Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { findMigrationsFolder } from '../../db/migrations-folder.js';
import { openSqliteFile, type SqliteFileOptions } from '../../db/sqlite/file.js';
import * as schema from './schema.js';

/** The migrations table of the session database, apart from the orders database's own. */
export const MIGRATIONS_TABLE = '__drizzle_session_migrations';

export interface SessionsFileOptions extends SqliteFileOptions {
  /** Defaults to drizzle/sessions of the project. */
  migrationsFolder?: string;
}

/**
 * Opens the `sqlite` session store's file with its migrations applied: the sessions, the
 * Idempotency-Keys and the paused turns share it, and whichever opens it first migrates it (a no-op
 * for the others).
 */
export function openSessionsFile(options: SessionsFileOptions): { sqlite: Database.Database; file: string } {
  const opened = openSqliteFile(options);
  try {
    migrate(drizzle(opened.sqlite, { schema }), {
      migrationsFolder: options.migrationsFolder ?? findMigrationsFolder('sessions'),
      migrationsTable: MIGRATIONS_TABLE,
    });
  } catch (err) {
    opened.sqlite.close();
    throw err;
  }
  return opened;
}
