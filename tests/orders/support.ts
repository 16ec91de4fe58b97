import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { z } from 'zod';
import { type OrderDatabase, openOrderDatabase } from '../../src/db/open-database.js';
import { createOrdersRepository, type OrdersRepository } from '../../src/tools/orders/repository.js';
import { createOrderTools } from '../../src/tools/orders/tools.js';
import { type Tool, type ToolContext, ToolError } from '../../src/tools/registry.js';
import { sharedPostgres, type TestPostgres } from '../helpers/postgres-server.js';

export const silentLogger = pino({ level: 'silent' });

export function makeTempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'orders-test-'));
}

export function toolContext(
  tenantId: string,
  signal: AbortSignal = new AbortController().signal,
): ToolContext {
  return { tenantId, sessionId: 'session-1', requestId: 'request-1', signal, logger: silentLogger };
}

export type CallOutcome =
  | { kind: 'ok'; result: Record<string, unknown> }
  | { kind: 'invalid_args'; message: string }
  | { kind: 'tool_error'; message: string; details: Record<string, unknown> | undefined };

/** Calls a tool the way the agent loop does: zod-parse the model's arguments, then execute. */
export async function callTool(tool: Tool, args: unknown, ctx: ToolContext): Promise<CallOutcome> {
  const parsed = tool.parameters.safeParse(args);
  if (!parsed.success) return { kind: 'invalid_args', message: z.prettifyError(parsed.error) };
  try {
    return { kind: 'ok', result: (await tool.execute(parsed.data, ctx)) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ToolError) return { kind: 'tool_error', message: err.message, details: err.details };
    throw err;
  }
}

/** Every orders test runs on both engines; Postgres is the run's server (one database per test file). */
export const ENGINES = ['sqlite', 'postgres'] as const;
export type Engine = (typeof ENGINES)[number];

let postgres: Promise<TestPostgres> | undefined;
/** The file's Postgres orders databases that no open handle uses any more. */
let idleDatabases: string[] = [];
let databaseCount = 0;
let sqliteTemplate: string | undefined;

/** The file's Postgres server (the run's, see tests/global-setup.ts), reached on first use. */
export function postgresServer(): Promise<TestPostgres> {
  postgres ??= sharedPostgres();
  return postgres;
}

/** Call from afterAll in every file that opens Postgres fixtures. */
export async function closeEngines(): Promise<void> {
  const started = postgres;
  postgres = undefined;
  idleDatabases = [];
  if (started) await (await started).close();
  if (sqliteTemplate) fs.rmSync(path.dirname(sqliteTemplate), { recursive: true, force: true });
  sqliteTemplate = undefined;
}

/**
 * An empty Postgres orders database of the file: one that an earlier test closed, with every table
 * of the schema truncated and its identities restarted — which leaves it as a freshly migrated one
 * (ids from 1) without paying for a CREATE DATABASE and the migrations in every test — or, when none
 * is idle, a new one (the open migrates it).
 */
async function emptyPostgresDatabase(): Promise<string> {
  const server = await postgresServer();
  const url = idleDatabases.pop();
  if (!url) return server.createDatabase(`orders_${++databaseCount}`);
  await server.query(
    `DO $$
     DECLARE tables text;
     BEGIN
       SELECT string_agg(format('%I.%I', schemaname, tablename), ', ') INTO tables
         FROM pg_tables WHERE schemaname = 'public';
       IF tables IS NOT NULL THEN
         EXECUTE 'TRUNCATE ' || tables || ' RESTART IDENTITY CASCADE';
       END IF;
     END $$`,
    [],
    url,
  );
  return url;
}

/** Once the handle is closed, its database may be emptied and handed to the next test. */
function releasedOnClose(handle: OrderDatabase, url: string): OrderDatabase {
  const close = handle.close.bind(handle);
  let released = false;
  handle.close = async () => {
    await close();
    if (!released) idleDatabases.push(url);
    released = true;
  };
  return handle;
}

/**
 * A migrated, empty SQLite orders file, made once per test file by the real migrations and copied
 * for every test (a copy takes a fraction of running the migrations, which sync the disk).
 */
async function migratedSqliteTemplate(): Promise<string> {
  if (sqliteTemplate) return sqliteTemplate;
  const file = path.join(makeTempDir(), 'template.db');
  const handle = await openOrderDatabase({ path: file, logger: silentLogger });
  // Closing checkpoints the write-ahead log into the file, so the file alone is the whole database.
  await handle.close();
  sqliteTemplate = file;
  return file;
}

/** A fresh, migrated orders database on the engine: SQLite file in a temp folder, or an empty Postgres one. */
export async function openOrderDb(
  engine: Engine,
  dir: string,
): Promise<{ handle: OrderDatabase; dbPath: string; url: string | undefined }> {
  const dbPath = path.join(dir, 'orders.db');
  const url = engine === 'postgres' ? await emptyPostgresDatabase() : undefined;
  if (!url) fs.copyFileSync(await migratedSqliteTemplate(), dbPath);
  const opened = await openOrderDatabase({ url, path: dbPath, logger: silentLogger });
  const handle = url ? releasedOnClose(opened, url) : opened;
  return { handle, dbPath, url };
}

/** One stored row as the database holds it (column names as in the table), whatever the engine. */
export async function storedRow(handle: OrderDatabase, orderId: number): Promise<Record<string, unknown>> {
  if (handle.dialect === 'sqlite') {
    return handle.sqlite.prepare('SELECT * FROM orders WHERE id = ?').get(orderId) as Record<string, unknown>;
  }
  const { rows } = await handle.pool.query('SELECT * FROM orders WHERE id = $1', [orderId]);
  return rows[0] as Record<string, unknown>;
}

export interface OrderFixture {
  engine: Engine;
  dir: string;
  dbPath: string;
  /** The Postgres database's URL (undefined on SQLite). */
  url: string | undefined;
  handle: OrderDatabase;
  repo: OrdersRepository;
  tools: Map<string, Tool>;
  /** Runs a tool by name for a tenant and returns the outcome. */
  call(name: string, args: unknown, tenantId?: string): Promise<CallOutcome>;
  /** Runs a tool that must succeed and returns its result. */
  ok<T = Record<string, unknown>>(name: string, args: unknown, tenantId?: string): Promise<T>;
  /** The stored row of an order. */
  row(orderId: number): Promise<Record<string, unknown>>;
  cleanup(): Promise<void>;
}

export async function openFixture(engine: Engine = 'sqlite'): Promise<OrderFixture> {
  const dir = makeTempDir();
  const { handle, dbPath, url } = await openOrderDb(engine, dir);
  const repo = createOrdersRepository(handle);
  const tools = new Map(createOrderTools(repo, { access: 'tenant' }).map((tool) => [tool.name, tool]));
  const call = (name: string, args: unknown, tenantId = 'tenant-a') => {
    const tool = tools.get(name);
    if (!tool) throw new Error(`no tool ${name}`);
    return callTool(tool, args, toolContext(tenantId));
  };
  return {
    engine,
    dir,
    dbPath,
    url,
    handle,
    repo,
    tools,
    call,
    async ok<T>(name: string, args: unknown, tenantId?: string): Promise<T> {
      const outcome = await call(name, args, tenantId);
      if (outcome.kind !== 'ok') throw new Error(`${name} failed: ${outcome.message}`);
      return outcome.result as T;
    },
    row: (orderId) => storedRow(handle, orderId),
    async cleanup() {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const sampleOrder = {
  customer_name: 'Jane Doe',
  billing_address: '1 Main Street, Springfield',
  product_sku: 'WIDGET-001',
  quantity: 2,
  order_amount: 19.99,
};
