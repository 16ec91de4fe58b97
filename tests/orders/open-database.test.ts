import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  findMigrationsFolder,
  type OrderDatabase,
  openOrderDatabase,
  orderDbReadinessCheck,
  type SqliteOrderDatabase,
} from '../../src/db/open-database.js';
import { createOrdersRepository } from '../../src/tools/orders/repository.js';
import { closeEngines, makeTempDir, postgresServer, silentLogger } from './support.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const dirs: string[] = [];
function tempDir(): string {
  const dir = makeTempDir();
  dirs.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});
afterAll(closeEngines);

async function openSqlite(dbPath: string, logger = silentLogger): Promise<SqliteOrderDatabase> {
  const handle = await openOrderDatabase({ path: dbPath, logger });
  if (handle.dialect !== 'sqlite') throw new Error('expected SQLite');
  return handle;
}

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

function readJournal(dialect: 'sqlite' | 'postgres'): { entries: unknown[] } {
  return JSON.parse(
    fs.readFileSync(path.join(repoRoot, 'drizzle', dialect, 'meta', '_journal.json'), 'utf8'),
  );
}

const newOrder = {
  customerName: 'Jane Doe',
  billingAddress: '1 Main Street',
  productSku: 'SKU-1',
  quantity: 1,
  amountCents: 1999,
};

describe('openOrderDatabase', () => {
  it('creates the folder and the file when they are missing, with the orders table ready', async () => {
    const dbPath = path.join(tempDir(), 'nested', 'deeper', 'orders.db');
    const handle = await openSqlite(dbPath);
    try {
      expect(fs.existsSync(dbPath)).toBe(true);
      expect(handle.created).toBe(true);
      const order = await createOrdersRepository(handle).createOrder('t1', newOrder);
      expect(order.order_id).toBe(1);
    } finally {
      handle.close();
    }
  });

  it('uses WAL, a 5 s busy timeout and foreign keys', async () => {
    const handle = await openSqlite(path.join(tempDir(), 'orders.db'));
    try {
      expect(handle.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(handle.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      handle.close();
    }
  });

  it('keeps the data and applies no migration again when reopened', async () => {
    const dbPath = path.join(tempDir(), 'orders.db');
    const first = capturingLogger();
    const handle = await openSqlite(dbPath, first.logger);
    const created = await createOrdersRepository(handle).createOrder('t1', newOrder);
    handle.close();
    const journal = readJournal('sqlite');
    expect(first.lines.find((line) => line.msg === 'order database migrated')).toMatchObject({
      migrations_applied: journal.entries.length,
    });

    const second = capturingLogger();
    const reopened = await openSqlite(dbPath, second.logger);
    try {
      expect(reopened.created).toBe(false);
      expect(await createOrdersRepository(reopened).getOrder('t1', created.order_id)).toEqual(created);
      expect(second.lines.find((line) => line.msg === 'order database opened')).toMatchObject({
        migrations_applied: 0,
        migrations_total: journal.entries.length,
      });
      const applied = reopened.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as {
        n: number;
      };
      expect(applied.n).toBe(journal.entries.length);
    } finally {
      reopened.close();
    }
  });

  it('closes once, however often close() is called', async () => {
    const handle = await openSqlite(path.join(tempDir(), 'orders.db'));
    handle.close();
    expect(() => handle.close()).not.toThrow();
    expect(handle.closed).toBe(true);
    expect(handle.sqlite.open).toBe(false);
  });

  it.each(['sqlite', 'postgres'] as const)(
    'finds the %s migrations from the compiled layout (dist/src/db) as well as from src/db',
    (dialect) => {
      const expected = path.join(repoRoot, 'drizzle', dialect);
      for (const file of ['src/db/migrations-folder.ts', 'dist/src/db/migrations-folder.js']) {
        expect(findMigrationsFolder(dialect, pathToFileURL(path.join(repoRoot, file)).href)).toBe(expected);
      }
      expect(() => findMigrationsFolder(dialect, pathToFileURL(path.join(tempDir(), 'x.js')).href)).toThrow(
        `no drizzle/${dialect} migrations folder`,
      );
    },
  );

  it('refuses to start on a file that is not a database, and says so', async () => {
    const dbPath = path.join(tempDir(), 'orders.db');
    fs.writeFileSync(dbPath, 'this is not a database, just some text that fills the header area '.repeat(10));
    await expect(openOrderDatabase({ path: dbPath, logger: silentLogger })).rejects.toThrow(/not a database/);
  });

  it('opens a database made by 0.1.0 (migrations then in drizzle/) without applying anything again', async () => {
    // 0.1.0 shipped the same migration file flat under drizzle/; drizzle recognises an applied
    // migration by its hash and timestamp, which moving the file to drizzle/sqlite/ keeps.
    const legacyFolder = path.join(tempDir(), 'drizzle');
    fs.mkdirSync(path.join(legacyFolder, 'meta'), { recursive: true });
    const current = path.join(repoRoot, 'drizzle', 'sqlite');
    const firstTag = (readJournal('sqlite').entries[0] as { tag: string }).tag;
    fs.copyFileSync(path.join(current, `${firstTag}.sql`), path.join(legacyFolder, `${firstTag}.sql`));
    const legacyJournal = { ...readJournal('sqlite'), entries: readJournal('sqlite').entries.slice(0, 1) };
    fs.writeFileSync(path.join(legacyFolder, 'meta', '_journal.json'), JSON.stringify(legacyJournal));

    const dbPath = path.join(tempDir(), 'orders.db');
    const old = new Database(dbPath);
    migrate(drizzle(old), { migrationsFolder: legacyFolder, migrationsTable: '__drizzle_migrations' });
    old
      .prepare(
        "INSERT INTO orders (tenant_id, customer_name, billing_address, product_sku, quantity, amount_cents, status, created_at, updated_at) VALUES ('t1', 'Old Customer', 'Old Street', 'SKU-OLD', 1, 500, 'PENDING', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
      )
      .run();
    old.close();

    const log = capturingLogger();
    const handle = await openSqlite(dbPath, log.logger);
    try {
      expect(handle.created).toBe(false);
      const applied = readJournal('sqlite').entries.length - 1;
      expect(log.lines.find((line) => line.msg?.toString().startsWith('order database'))).toMatchObject({
        migrations_applied: applied,
      });
      const repo = createOrdersRepository(handle);
      expect(await repo.getOrder('t1', 1)).toMatchObject({ customer_name: 'Old Customer', order_amount: 5 });
      expect((await repo.createOrder('t1', newOrder)).order_id).toBe(2);
    } finally {
      handle.close();
    }
  });
});

describe('order_db readiness check', () => {
  it('is critical, healthy while open and unhealthy after close (SQLite)', async () => {
    const handle = await openSqlite(path.join(tempDir(), 'orders.db'));
    const check = orderDbReadinessCheck(handle);
    expect(check).toMatchObject({ name: 'order_db', critical: true });
    expect(await check.run(new AbortController().signal)).toEqual({ status: 'healthy' });
    handle.close();
    expect(await check.run(new AbortController().signal)).toMatchObject({
      status: 'unhealthy',
      message: 'order database is closed',
    });
  });
});

describe('openOrderDatabase on Postgres', () => {
  const handles: OrderDatabase[] = [];
  afterEach(async () => {
    for (const handle of handles.splice(0)) await handle.close();
  });
  async function open(url: string, logger = silentLogger) {
    const handle = await openOrderDatabase({ url, path: 'unused.db', logger });
    handles.push(handle);
    return handle;
  }

  it('creates the schema once, keeps the data, and applies nothing again when reopened', async () => {
    const url = await (await postgresServer()).createDatabase();
    const first = capturingLogger();
    const handle = await open(url, first.logger);
    expect(handle).toMatchObject({ dialect: 'postgres', created: true });
    const created = await createOrdersRepository(handle).createOrder('t1', newOrder);
    expect(created.order_id).toBe(1);
    expect(first.lines.find((line) => line.msg === 'order database migrated')).toMatchObject({
      migrations_applied: readJournal('postgres').entries.length,
    });
    await handle.close();

    const second = capturingLogger();
    const reopened = await open(url, second.logger);
    expect(reopened.created).toBe(false);
    expect(await createOrdersRepository(reopened).getOrder('t1', created.order_id)).toEqual(created);
    expect(second.lines.find((line) => line.msg === 'order database opened')).toMatchObject({
      migrations_applied: 0,
      migrations_total: readJournal('postgres').entries.length,
    });
  });

  it('bounds the pool and sets the statement and idle-in-transaction timeouts on every connection', async () => {
    const url = await (await postgresServer()).createDatabase();
    const handle = await openOrderDatabase({
      url,
      path: 'unused.db',
      logger: silentLogger,
      poolMax: 3,
      timeoutMs: 1500,
    });
    handles.push(handle);
    if (handle.dialect !== 'postgres') throw new Error('expected Postgres');
    expect(handle.pool.options.max).toBe(3);
    const { rows } = await handle.pool.query(
      "SELECT current_setting('statement_timeout') AS statement, current_setting('idle_in_transaction_session_timeout') AS idle",
    );
    expect(rows).toEqual([{ statement: '1500ms', idle: '3s' }]);
  });

  it('lets several instances start at once on a new database: one migrates, none fails', async () => {
    const url = await (await postgresServer()).createDatabase();
    const opened = await Promise.all(Array.from({ length: 4 }, () => open(url)));
    expect(opened.filter((handle) => handle.created)).toHaveLength(1);
    const server = await postgresServer();
    const applied = await server.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM drizzle.__drizzle_migrations',
      [],
      url,
    );
    expect(applied).toEqual([{ n: readJournal('postgres').entries.length }]);
  });

  it('holds the same checks as SQLite: a bad status or amount never gets stored', async () => {
    const url = await (await postgresServer()).createDatabase();
    const handle = await open(url);
    if (handle.dialect !== 'postgres') throw new Error('expected Postgres');
    const insert = (status: string, cents: number) =>
      handle.pool.query(
        "INSERT INTO orders (tenant_id, customer_name, billing_address, product_sku, quantity, amount_cents, status, created_at, updated_at) VALUES ('t', 'n', 'a', 's', 1, $1, $2, now(), now())",
        [cents, status],
      );
    await expect(insert('LOST', 100)).rejects.toMatchObject({ constraint: 'orders_status_check' });
    await expect(insert('PENDING', 0)).rejects.toMatchObject({ constraint: 'orders_amount_check' });
    expect((await handle.pool.query('SELECT count(*)::int AS n FROM orders')).rows).toEqual([{ n: 0 }]);
  });

  it('fails start-up with a message naming the database without its password when Postgres is not there', async () => {
    const server = await postgresServer();
    const url = `postgres://app:s3cret-pw@127.0.0.1:${server.port + 1}/orders`;
    const error = await openOrderDatabase({
      url,
      path: 'unused.db',
      logger: silentLogger,
      timeoutMs: 1000,
    }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(error?.message).toMatch(
      /^cannot open the order database at postgres:\/\/\*\*\*\*@127\.0\.0\.1:\d+\/orders: /,
    );
    expect(error?.message).not.toContain('s3cret-pw');
  });

  it('readiness is critical and healthy while open, unhealthy after close', async () => {
    const handle = await open(await (await postgresServer()).createDatabase());
    const check = orderDbReadinessCheck(handle);
    expect(check).toMatchObject({ name: 'order_db', critical: true });
    expect(await check.run(new AbortController().signal)).toMatchObject({ status: 'healthy' });
    await handle.close();
    expect(await check.run(new AbortController().signal)).toMatchObject({
      status: 'unhealthy',
      message: 'order database is closed',
    });
  });
});
