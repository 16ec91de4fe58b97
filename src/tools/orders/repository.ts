import type { OrderDatabase } from '../../db/open-database.js';
import { createPostgresOrdersRepository } from './postgres-repository.js';
import type { OrdersRepository, OrdersRepositoryOptions } from './repository-contract.js';
import { createSqliteOrdersRepository } from './sqlite-repository.js';

export type {
  NewOrder,
  OrderChanges,
  OrderFilter,
  OrderPage,
  OrdersRepository,
  OrdersRepositoryOptions,
  OrderUpdateResult,
  StatusChangeResult,
} from './repository-contract.js';

/**
 * One interface, one implementation per engine: better-sqlite3 is synchronous and its transactions
 * must be too, node-postgres is asynchronous over a pool, and drizzle types every query by dialect,
 * so a single implementation would need casts everywhere and could not keep SQLite's transactions
 * synchronous. Both pass the same test suite (tests/orders/).
 */
export function createOrdersRepository(
  database: OrderDatabase,
  options: OrdersRepositoryOptions = {},
): OrdersRepository {
  return database.dialect === 'postgres'
    ? createPostgresOrdersRepository(database.db, options)
    : createSqliteOrdersRepository(database.db, options);
}
