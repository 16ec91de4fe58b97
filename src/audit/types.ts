import type { Role } from '../access/principal.js';

/** Who acted: the caller's role and how it proved it, never a secret or an e-mail address. */
export interface AuditActor {
  role: Role;
  via: 'api_key' | 'jwt' | 'open';
  /** `key-N` for an API key, the (masked) JWT subject for a token. */
  id?: string;
  /** The verified customer as a tenant-scoped hash (the session's `customer_ref`). */
  customer_ref?: string;
}

/** One tool call as the audit log keeps it. */
export interface AuditEntry {
  tenant_id: string;
  session_id: string;
  turn_id: string;
  request_id: string;
  actor: AuditActor;
  tool: string;
  /** The arguments as the model sent them, with PII masked. */
  arguments: unknown;
  status: 'ok' | 'error';
  duration_ms: number;
  error?: string;
  /** When the call started (ISO-8601). */
  timestamp: string;
}

export interface StoredAuditEntry extends AuditEntry {
  id: number;
}

export interface AuditQuery {
  tenantId: string;
  sessionId?: string;
  tool?: string;
  /** Only calls at or after this instant. */
  since?: Date;
  limit: number;
  offset: number;
}

export interface AuditPage {
  total: number;
  entries: StoredAuditEntry[];
}

/** The audit table on one engine; one implementation per engine, one contract test suite. */
export interface AuditStore {
  insert(entries: readonly AuditEntry[]): Promise<void>;
  /** Newest first, always within one tenant. */
  query(query: AuditQuery): Promise<AuditPage>;
  /** Deletes entries older than `cutoff`; returns how many went. */
  deleteOlderThan(cutoff: Date): Promise<number>;
}
