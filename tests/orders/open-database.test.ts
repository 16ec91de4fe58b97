import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findMigrationsFolder,
  openOrderDatabase,
  orderDbReadinessCheck,
} from '../../src/db/open-database.js';
import { createOrdersRepository } from '../../src/tools/orders/repository.js';
import { makeTempDir, silentLogger } from './support.js';

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

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { logger, lines };
}

const newOrder = {
  customerName: 'Jane Doe',
  billingAddress: '1 Main Street',
  productSku: 'SKU-1',
  quantity: 1,
  amountCents: 1999,
};

describe('openOrderDatabase', () => {
  it('creates the folder and the file when they are missing, with the orders table ready', () => {
    const dbPath = path.join(tempDir(), 'nested', 'deeper', 'orders.db');
    const handle = openOrderDatabase({ path: dbPath, logger: silentLogger });
    try {
      expect(fs.existsSync(dbPath)).toBe(true);
      const order = createOrdersRepository(handle.db).createOrder('t1', newOrder);
      expect(order.order_id).toBe(1);
    } finally {
      handle.close();
    }
  });

  it('uses WAL, a 5 s busy timeout and foreign keys', () => {
    const handle = openOrderDatabase({ path: path.join(tempDir(), 'orders.db'), logger: silentLogger });
    try {
      expect(handle.sqlite.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(handle.sqlite.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(handle.sqlite.pragma('foreign_keys', { simple: true })).toBe(1);
    } finally {
      handle.close();
    }
  });

  it('keeps the data and applies no migration again when reopened', () => {
    const dbPath = path.join(tempDir(), 'orders.db');
    const first = capturingLogger();
    const handle = openOrderDatabase({ path: dbPath, logger: first.logger });
    const created = createOrdersRepository(handle.db).createOrder('t1', newOrder);
    handle.close();
    const journal = JSON.parse(
      fs.readFileSync(path.join(repoRoot, 'drizzle', 'meta', '_journal.json'), 'utf8'),
    ) as { entries: unknown[] };
    expect(first.lines.find((line) => line.msg === 'order database migrated')).toMatchObject({
      migrations_applied: journal.entries.length,
    });

    const second = capturingLogger();
    const reopened = openOrderDatabase({ path: dbPath, logger: second.logger });
    try {
      expect(createOrdersRepository(reopened.db).getOrder('t1', created.order_id)).toEqual(created);
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

  it('closes once, however often close() is called', () => {
    const handle = openOrderDatabase({ path: path.join(tempDir(), 'orders.db'), logger: silentLogger });
    handle.close();
    expect(() => handle.close()).not.toThrow();
    expect(handle.closed).toBe(true);
    expect(handle.sqlite.open).toBe(false);
  });

  it('finds the migrations from the compiled layout (dist/src/db) as well as from src/db', () => {
    const expected = path.join(repoRoot, 'drizzle');
    expect(findMigrationsFolder(pathToFileURL(path.join(repoRoot, 'src/db/open-database.ts')).href)).toBe(
      expected,
    );
    expect(
      findMigrationsFolder(pathToFileURL(path.join(repoRoot, 'dist/src/db/open-database.js')).href),
    ).toBe(expected);
    expect(() => findMigrationsFolder(pathToFileURL(path.join(tempDir(), 'x.js')).href)).toThrow(
      /no drizzle/,
    );
  });

  it('refuses to start on a file that is not a database, and says so', () => {
    const dbPath = path.join(tempDir(), 'orders.db');
    fs.writeFileSync(dbPath, 'this is not a database, just some text that fills the header area '.repeat(10));
    expect(() => openOrderDatabase({ path: dbPath, logger: silentLogger })).toThrow(/not a database/);
  });
});

describe('order_db readiness check', () => {
  it('is critical, healthy while open and unhealthy after close', async () => {
    const handle = openOrderDatabase({ path: path.join(tempDir(), 'orders.db'), logger: silentLogger });
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
