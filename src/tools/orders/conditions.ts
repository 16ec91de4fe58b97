import { and, type Column, eq, type SQL, sql } from 'drizzle-orm';
import type { OrderFilter } from './repository-contract.js';

/** The columns both engines' `orders` tables share by name; the conditions below need no more. */
export interface OrderColumns {
  id: Column;
  tenantId: Column;
  customerName: Column;
  customerEmail: Column;
  status: Column;
}

/** One order of one tenant: another tenant's order is never matched. */
export function orderById(columns: OrderColumns, tenantId: string, orderId: number): SQL {
  return and(eq(columns.id, orderId), eq(columns.tenantId, tenantId))!;
}

/** A listing's WHERE clause, written as lower(column) so that the lower() expression indexes apply. */
export function orderListWhere(columns: OrderColumns, tenantId: string, filter: OrderFilter): SQL {
  const conditions: SQL[] = [eq(columns.tenantId, tenantId)];
  if (filter.customerName !== undefined) {
    conditions.push(sql`lower(${columns.customerName}) = lower(${filter.customerName})`);
  }
  if (filter.customerEmail !== undefined) {
    conditions.push(sql`lower(${columns.customerEmail}) = lower(${filter.customerEmail})`);
  }
  if (filter.status !== undefined) conditions.push(eq(columns.status, filter.status));
  return and(...conditions)!;
}
