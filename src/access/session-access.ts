import { createHash } from 'node:crypto';
import type { SessionAttributes } from '../sessions/types.js';
import type { Role, VerifiedCustomer } from './principal.js';

/** The session attribute that binds a conversation to the verified customer who started it. */
export const CUSTOMER_ATTRIBUTE = 'customer_ref';

/**
 * A stable reference to a customer within a tenant: what a session stores instead of the e-mail
 * address, so listing sessions never shows whose they are. The e-mail identifies the customer when
 * there is one (a token and a service assertion for the same address match), else the id.
 */
export function customerRef(tenantId: string, customer: VerifiedCustomer): string {
  const identity = customer.email ? `email:${customer.email}` : `id:${customer.id ?? ''}`;
  const digest = createHash('sha256').update(tenantId).update('\0').update(identity).digest('base64url');
  return `c_${digest.slice(0, 24)}`;
}

export interface SessionCaller {
  role: Role;
  customer?: VerifiedCustomer | undefined;
}

/**
 * May this caller read or continue the session? A session bound to a customer is that customer's:
 * another verified customer never gets it, and neither does a `client` caller without a customer
 * (an anonymous page on the same key). `service` and `operator` callers without a customer are staff
 * or back ends of the tenant and see every session of it. Unbound sessions are open to the tenant.
 */
export function mayUseSession(
  caller: SessionCaller,
  tenantId: string,
  attributes: SessionAttributes,
): boolean {
  const owner = attributes[CUSTOMER_ATTRIBUTE];
  if (owner === undefined) return true;
  if (caller.customer) return customerRef(tenantId, caller.customer) === owner;
  return caller.role !== 'client';
}

/** The attributes a turn stores to bind a still unbound session to its verified customer. */
export function bindingFor(
  caller: SessionCaller,
  tenantId: string,
  attributes: SessionAttributes | undefined,
): Record<string, string> | undefined {
  if (!caller.customer || attributes?.[CUSTOMER_ATTRIBUTE] !== undefined) return undefined;
  return { [CUSTOMER_ATTRIBUTE]: customerRef(tenantId, caller.customer) };
}
