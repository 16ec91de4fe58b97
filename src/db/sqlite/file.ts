import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export interface SqliteFileOptions {
  /** File path (relative paths resolve against the working directory) or `:memory:`. */
  path: string;
  /** How long a statement waits for another connection's write lock before SQLITE_BUSY (default 5 s). */
  busyTimeoutMs?: number;
}

/**
 * Opens a SQLite file the way every store here uses one (orders, sessions): the folder created,
 * WAL with NORMAL sync, a bounded busy timeout, foreign keys on. `file` is the resolved path.
 */
export function openSqliteFile(options: SqliteFileOptions): { sqlite: Database.Database; file: string } {
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
  } catch (err) {
    sqlite.close();
    throw err;
  }
  return { sqlite, file };
}
