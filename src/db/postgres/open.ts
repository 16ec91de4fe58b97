import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type { Logger } from 'pino';
import { maskUrlCredentials } from '../../config/mask-secrets.js';
import type { ReadinessCheck } from '../../health/readiness.js';
import { databaseProblem } from '../errors.js';
import { findMigrationsFolder } from '../migrations-folder.js';
import * as schema from './schema.js';

export type PostgresOrderDb = NodePgDatabase<typeof schema>;

export interface OpenPostgresOrderDatabaseOptions {
  /** `postgres://user:password@host:5432/db` (or `postgresql://`). */
  url: string;
  logger: Logger;
  /** Upper bound on connections this process opens (size Postgres' max_connections for all instances). */
  poolMax?: number;
  /** Connecting, and any one statement, fail after this long; a transaction left idle is ended at twice it. */
  timeoutMs?: number;
  /** Defaults to the `drizzle/postgres/` folder shipped with the project. */
  migrationsFolder?: string;
  /** `application_name`, shown in pg_stat_activity. */
  applicationName?: string;
}

const MIGRATIONS_SCHEMA = 'drizzle';
const MIGRATIONS_TABLE = '__drizzle_migrations';
/** pg_advisory_lock key of the migration step ("msev" + "ordr" as bytes), shared by every instance. */
const MIGRATION_LOCK_KEY = 0x6d736576_6f726472n;
/** Migrations may build indexes on big tables: the per-statement timeout does not apply to them. */
const MIGRATION_STATEMENT_TIMEOUT_MS = 10 * 60_000;

async function appliedMigrationCount(client: pg.PoolClient): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2',
    [MIGRATIONS_SCHEMA, MIGRATIONS_TABLE],
  );
  if (rows[0]?.n === 0) return 0;
  const applied = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM "${MIGRATIONS_SCHEMA}"."${MIGRATIONS_TABLE}"`,
  );
  return applied.rows[0]?.n ?? 0;
}

/**
 * Several instances may start at once against one database: the migration step runs under a
 * session advisory lock, so exactly one of them applies what is missing and the others then find
 * nothing to do. The lock ends with the session if the process dies half-way; a failed migration
 * is rolled back as a whole (drizzle runs them in one transaction).
 */
async function migrateUnderLock(pool: pg.Pool, migrationsFolder: string) {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query(`SET statement_timeout = ${MIGRATION_STATEMENT_TIMEOUT_MS}`);
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
    try {
      const before = await appliedMigrationCount(client);
      await migrate(drizzle({ client, schema }), {
        migrationsFolder,
        migrationsSchema: MIGRATIONS_SCHEMA,
        migrationsTable: MIGRATIONS_TABLE,
      });
      const after = await appliedMigrationCount(client);
      return { before, after };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY.toString()]);
      await client.query('RESET statement_timeout');
    }
  } catch (err) {
    broken = err instanceof Error ? err : new Error(String(err));
    throw err;
  } finally {
    // A connection that failed half-way is not given back to the pool.
    client.release(broken);
  }
}

/**
 * Opens a bounded node-postgres pool for the orders and brings the schema up to date. The pool
 * reconnects by itself: while Postgres is down each query fails fast (connection refused, or the
 * connect timeout), and the first query after it is back gets a fresh connection — no restart.
 */
export async function openPostgresOrderDatabase(options: OpenPostgresOrderDatabaseOptions) {
  const { logger } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const where = maskUrlCredentials(options.url);
  const log = logger.child({ component: 'order_db', dialect: 'postgres' });
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax ?? 10,
    connectionTimeoutMillis: timeoutMs,
    idleTimeoutMillis: 30_000,
    // Enforced by the server…
    statement_timeout: timeoutMs,
    // …which also frees the row locks of a transaction whose client vanished mid-way…
    idle_in_transaction_session_timeout: timeoutMs * 2,
    // …and by the client, for when the network, not the server, is the problem.
    query_timeout: timeoutMs + 1_000,
    keepAlive: true,
    application_name: options.applicationName ?? 'msev15e2e',
  });

  // An idle connection that the server closes (restart, failover) is reported here; without a
  // listener it would crash the process. The pool drops it and connects again when next asked.
  let down = false;
  pool.on('error', (err) => {
    if (!down) log.warn({ url: where, reason: err.message }, 'order database connection lost');
    down = true;
  });
  pool.on('connect', (client) => {
    if (down) log.info({ url: where }, 'order database reachable again');
    down = false;
    // The pool listens on idle connections only; one that is checked out (a transaction between
    // two statements) when the server goes away would otherwise throw an uncaught 'error'. Its
    // caller gets the failure from its next query, and the pool discards it on release.
    client.on('error', (err) => {
      if (!down) log.warn({ url: where, reason: err.message }, 'order database connection lost');
      down = true;
    });
  });

  let created = false;
  try {
    const { before, after } = await migrateUnderLock(
      pool,
      options.migrationsFolder ?? findMigrationsFolder('postgres'),
    );
    log.info(
      { url: where, migrations_applied: after - before, migrations_total: after },
      after > before ? 'order database migrated' : 'order database opened',
    );
    created = before === 0 && after > 0;
  } catch (err) {
    await pool.end().catch(() => undefined);
    const reason = err instanceof Error ? err.message : String(err);
    throw new Error(`cannot open the order database at ${where}: ${reason}`, { cause: err });
  }

  const db = drizzle({ client: pool, schema });
  let closed = false;
  return {
    dialect: 'postgres' as const,
    db,
    pool,
    /** The URL without credentials, for logs and the banner. */
    url: where,
    /** True when this open created the schema (a new database): demo orders may go in. */
    created,
    get closed(): boolean {
      return closed;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await pool.end();
      log.info({ url: where }, 'order database closed');
    },
  };
}

export type PostgresOrderDatabase = Awaited<ReturnType<typeof openPostgresOrderDatabase>>;

/** `SELECT 1` under a short timeout; a readiness probe never waits on a hung connection. */
export function postgresReadinessCheck(
  handle: Pick<PostgresOrderDatabase, 'pool' | 'closed'>,
  timeoutMs = 1_500,
): ReadinessCheck {
  return {
    name: 'order_db',
    critical: true,
    async run() {
      if (handle.closed) return { status: 'unhealthy', message: 'order database is closed' };
      try {
        // node-postgres honours a per-query query_timeout that its type definitions do not list.
        await handle.pool.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
        return { status: 'healthy', details: { dialect: 'postgres' } };
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        const why = databaseProblem(err) === 'unavailable' ? 'unreachable' : 'not answering';
        return {
          status: 'unhealthy',
          message: `order database (Postgres) ${why}${typeof code === 'string' ? ` (${code})` : ''}`,
        };
      }
    },
  };
}
