import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const COMPLAINT_CATEGORIES = ['product', 'delivery', 'billing', 'service', 'other'] as const;
export const COMPLAINT_STATUSES = ['open', 'in_progress', 'resolved', 'closed'] as const;

export type ComplaintCategory = (typeof COMPLAINT_CATEGORIES)[number];
export type ComplaintStatus = (typeof COMPLAINT_STATUSES)[number];

/** `closed` is final; a resolved complaint may be reopened by moving it back to in_progress. */
export const ALLOWED_STATUS_CHANGES: Readonly<Record<ComplaintStatus, readonly ComplaintStatus[]>> = {
  open: ['in_progress', 'resolved', 'closed'],
  in_progress: ['open', 'resolved', 'closed'],
  resolved: ['in_progress', 'closed'],
  closed: [],
};

export interface Complaint {
  complaint_id: string;
  customer_name: string;
  customer_email: string | null;
  order_id: string | null;
  category: ComplaintCategory;
  description: string;
  status: ComplaintStatus;
  resolution_note: string | null;
  created_at: string;
  updated_at: string;
}

export interface NewComplaint {
  customer_name: string;
  customer_email?: string | undefined;
  order_id?: string | undefined;
  category: ComplaintCategory;
  description: string;
}

export interface ComplaintFilter {
  status?: ComplaintStatus | undefined;
  customer_email?: string | undefined;
  limit: number;
  offset: number;
}

/** A refusal the caller should read (not found, invalid status change); never an internal fault. */
export class ComplaintError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ComplaintError';
  }
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS complaints (
  id TEXT PRIMARY KEY,
  tenant_id TEXT NOT NULL,
  customer_name TEXT NOT NULL,
  customer_email TEXT,
  order_id TEXT,
  category TEXT NOT NULL CHECK (category IN (${COMPLAINT_CATEGORIES.map((c) => `'${c}'`).join(', ')})),
  description TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'open' CHECK (status IN (${COMPLAINT_STATUSES.map((s) => `'${s}'`).join(', ')})),
  resolution_note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS complaints_tenant_created ON complaints (tenant_id, created_at DESC);
CREATE INDEX IF NOT EXISTS complaints_tenant_status ON complaints (tenant_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS complaints_tenant_email ON complaints (tenant_id, lower(customer_email));
`;

/** A stored row: the table's primary key is `id`. */
type ComplaintRow = Omit<Complaint, 'complaint_id'> & { id: string };

// Unambiguous characters only, so an id read out over the phone survives (no 0/O, 1/I/L).
const ID_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

function newComplaintId(): string {
  let suffix = '';
  for (let i = 0; i < 8; i++) suffix += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return `CMP-${suffix}`;
}

function normaliseId(id: string): string {
  const trimmed = id.trim().toUpperCase();
  return trimmed.startsWith('CMP-') ? trimmed : `CMP-${trimmed}`;
}

function toComplaint(row: ComplaintRow): Complaint {
  const { id, ...rest } = row;
  return { complaint_id: id, ...rest };
}

/**
 * Complaints are partitioned by tenant: every statement takes the tenant of the calling agent turn,
 * so one tenant's conversation can never read or change another tenant's complaints.
 */
export function openComplaintsStore(dbPath: string) {
  if (dbPath !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(dbPath)), { recursive: true });
  const db = new Database(dbPath);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);

  const insert = db.prepare<[Record<string, string | null>]>(`
    INSERT INTO complaints (id, tenant_id, customer_name, customer_email, order_id, category, description,
                            status, resolution_note, created_at, updated_at)
    VALUES (@id, @tenant_id, @customer_name, @customer_email, @order_id, @category, @description,
            'open', NULL, @now, @now)`);
  const selectOne = db.prepare<[string, string], ComplaintRow>(
    'SELECT * FROM complaints WHERE tenant_id = ? AND id = ?',
  );
  const updateStatusStmt = db.prepare<[ComplaintStatus, string | null, string, string, string]>(
    `UPDATE complaints SET status = ?, resolution_note = coalesce(?, resolution_note), updated_at = ?
     WHERE tenant_id = ? AND id = ?`,
  );
  const filterSql = `FROM complaints WHERE tenant_id = @tenant_id
    AND (@status IS NULL OR status = @status)
    AND (@email IS NULL OR lower(customer_email) = lower(@email))`;
  const countStmt = db.prepare<[Record<string, string | null>], { total: number }>(
    `SELECT count(*) AS total ${filterSql}`,
  );
  const healthStmt = db.prepare<[], { ok: number }>('SELECT 1 AS ok');
  const listStmt = db.prepare<[Record<string, string | number | null>], ComplaintRow>(
    `SELECT * ${filterSql} ORDER BY created_at DESC, rowid DESC LIMIT @limit OFFSET @offset`,
  );

  function get(tenantId: string, complaintId: string): Complaint {
    const row = selectOne.get(tenantId, normaliseId(complaintId));
    if (!row) throw new ComplaintError(`Complaint ${complaintId.trim()} was not found.`);
    return toComplaint(row);
  }

  return {
    create(tenantId: string, input: NewComplaint): Complaint {
      const now = new Date().toISOString();
      // A random id can collide; the primary key catches it and a fresh id is drawn.
      for (let attempt = 0; ; attempt++) {
        const id = newComplaintId();
        try {
          insert.run({
            id,
            tenant_id: tenantId,
            customer_name: input.customer_name,
            customer_email: input.customer_email ?? null,
            order_id: input.order_id ?? null,
            category: input.category,
            description: input.description,
            now,
          });
          return get(tenantId, id);
        } catch (err) {
          const code = (err as { code?: unknown }).code;
          if (code !== 'SQLITE_CONSTRAINT_PRIMARYKEY' || attempt >= 4) throw err;
        }
      }
    },

    get,

    list(tenantId: string, filter: ComplaintFilter): { total: number; complaints: Complaint[] } {
      const params = {
        tenant_id: tenantId,
        status: filter.status ?? null,
        email: filter.customer_email ?? null,
      };
      const total = countStmt.get(params)?.total ?? 0;
      const rows = listStmt.all({ ...params, limit: filter.limit, offset: filter.offset });
      return { total, complaints: rows.map(toComplaint) };
    },

    updateStatus(
      tenantId: string,
      complaintId: string,
      status: ComplaintStatus,
      resolutionNote: string | undefined,
    ): { complaint: Complaint; previous_status: ComplaintStatus } {
      return db.transaction(() => {
        const current = get(tenantId, complaintId);
        const allowed = ALLOWED_STATUS_CHANGES[current.status];
        if (!allowed.includes(status)) {
          const options =
            allowed.length > 0 ? `allowed: ${allowed.join(', ')}` : `${current.status} is final`;
          throw new ComplaintError(
            `Complaint ${current.complaint_id} cannot move from ${current.status} to ${status} (${options}).`,
          );
        }
        updateStatusStmt.run(
          status,
          resolutionNote ?? null,
          new Date().toISOString(),
          tenantId,
          current.complaint_id,
        );
        return { complaint: get(tenantId, current.complaint_id), previous_status: current.status };
      })();
    },

    /** Cheap liveness probe for GET /health. */
    isHealthy(): boolean {
      try {
        return db.open && healthStmt.get()?.ok === 1;
      } catch {
        return false;
      }
    },

    close(): void {
      if (db.open) db.close();
    },
  };
}

export type ComplaintsStore = ReturnType<typeof openComplaintsStore>;
