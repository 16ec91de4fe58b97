import { ROLES, type Role } from '../config/schema.js';

export { ROLES, type Role };

/**
 * The person a turn acts for, as vouched for by the caller: the e-mail (and id) of a JWT's subject,
 * or what a `service` key asserted in the chat body. Never taken from the conversation or the model.
 */
export interface VerifiedCustomer {
  id?: string;
  /** Lower-cased. */
  email?: string;
}

/**
 * Who is calling, decided once per request by the auth plugin. In open mode (no API_KEYS, no JWT
 * setting) nobody is authenticated, the tenant comes from the request, and every role's routes are open.
 */
export interface Principal {
  tenantId: string;
  role: Role;
  /** How the caller proved who it is. */
  via: 'api_key' | 'jwt' | 'open';
  customer?: VerifiedCustomer;
  /** `key-N`: names the API key by its position in API_KEYS without revealing it. */
  keyId?: string;
  /** The JWT's `sub`. */
  subject?: string;
}

export const isRole = (value: unknown): value is Role =>
  typeof value === 'string' && (ROLES as readonly string[]).includes(value);

/** Who acted, for logs and (later) the audit log; never a secret or an e-mail address. */
export function actorOf(principal: Principal): string {
  if (principal.via === 'api_key') return `${principal.role}:${principal.keyId}`;
  if (principal.via === 'jwt') return `${principal.role}:jwt`;
  return 'open';
}
