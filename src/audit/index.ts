import type { OrderDatabase } from '../db/open-database.js';
import { createPostgresAuditStore } from './postgres-store.js';
import { createSqliteAuditStore } from './sqlite-store.js';
import type { AuditStore } from './types.js';

export { type AuditRecorder, createAuditRecorder } from './recorder.js';
export { redactArguments, redactError } from './redact.js';
export type { AuditActor, AuditEntry, AuditPage, AuditQuery, AuditStore, StoredAuditEntry } from './types.js';

/** The audit table of the orders database, on its engine. */
export function createAuditStore(database: OrderDatabase): AuditStore {
  return database.dialect === 'postgres'
    ? createPostgresAuditStore(database.db)
    : createSqliteAuditStore(database.db);
}
