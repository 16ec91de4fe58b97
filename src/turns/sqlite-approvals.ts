import { openSessionsFile } from '../sessions/sqlite/open.js';
import {
  type Approval,
  type ApprovalStore,
  type DecideResult,
  type Decision,
  decided,
  newApprovals,
  type PausedTurn,
  type PausedTurnState,
  type PendingCall,
} from './approvals.js';
import type { TurnKey } from './replay.js';

export interface SqliteApprovalOptions {
  /** The session store's file (SESSION_DB_PATH): paused turns survive a restart with the sessions. */
  path: string;
  now?: () => number;
  migrationsFolder?: string;
}

type KeyArgs = [string, string, string];

/**
 * Paused turns in the `sqlite` session store's file. A decision is one conditional update in a
 * transaction (`status = 'pending'`), so two decisions on one call, from two processes on the file
 * too, never both win.
 */
export function createSqliteApprovalStore(options: SqliteApprovalOptions) {
  const now = options.now ?? Date.now;
  const { sqlite } = openSessionsFile(options);

  const where = 'tenant_id = ? AND session_id = ? AND turn_id = ?';
  const q = {
    upsertTurn: sqlite.prepare<[...KeyArgs, string]>(
      `INSERT INTO paused_turns (tenant_id, session_id, turn_id, state, retain_until) VALUES (?, ?, ?, ?, NULL)
       ON CONFLICT DO UPDATE SET state = excluded.state, retain_until = NULL, resuming_by = NULL,
         resuming_at = NULL`,
    ),
    insertApproval: sqlite.prepare<[...KeyArgs, string, string, number, string]>(
      `INSERT INTO turn_approvals (tenant_id, session_id, turn_id, call_id, status, expires_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    ),
    turn: sqlite.prepare<
      [...KeyArgs, number],
      { state: string | null; resuming_by: string | null; resuming_at: number | null }
    >(
      `SELECT state, resuming_by, resuming_at FROM paused_turns WHERE ${where} AND (retain_until IS NULL OR retain_until > ?)`,
    ),
    approvals: sqlite.prepare<KeyArgs, { body: string }>(
      `SELECT body FROM turn_approvals WHERE ${where} ORDER BY rowid`,
    ),
    approval: sqlite.prepare<[...KeyArgs, string], { body: string }>(
      `SELECT body FROM turn_approvals WHERE ${where} AND call_id = ?`,
    ),
    decide: sqlite.prepare<[string, string, ...KeyArgs, string]>(
      `UPDATE turn_approvals SET status = ?, body = ? WHERE ${where} AND call_id = ? AND status = 'pending'`,
    ),
    remaining: sqlite.prepare<KeyArgs, { n: number }>(
      `SELECT count(*) AS n FROM turn_approvals WHERE ${where} AND status = 'pending'`,
    ),
    // Only turns that still wait: a finished turn's leftovers are not pending for anyone.
    listPending: sqlite.prepare<[string, number], { body: string }>(
      `SELECT a.body FROM turn_approvals a JOIN paused_turns t USING (tenant_id, session_id, turn_id)
       WHERE a.tenant_id = ? AND a.status = 'pending' AND t.state IS NOT NULL
       ORDER BY a.expires_at, a.rowid LIMIT ?`,
    ),
    due: sqlite.prepare<[number, number], { body: string }>(
      `SELECT a.body FROM turn_approvals a JOIN paused_turns t USING (tenant_id, session_id, turn_id)
       WHERE a.status = 'pending' AND a.expires_at <= ? AND t.state IS NOT NULL
       ORDER BY a.expires_at, a.rowid LIMIT ?`,
    ),
    claim: sqlite.prepare<[string, number, ...KeyArgs]>(
      `UPDATE paused_turns SET resuming_by = ?, resuming_at = ? WHERE ${where}`,
    ),
    // When it paused last: its newest approval.
    waitingIn: sqlite.prepare<[string, string], { turn_id: string; paused_at: number }>(
      `SELECT t.turn_id, (SELECT max(json_extract(a.body, '$.createdAt')) FROM turn_approvals a
         WHERE a.tenant_id = t.tenant_id AND a.session_id = t.session_id AND a.turn_id = t.turn_id)
         AS paused_at
       FROM paused_turns t
       WHERE t.tenant_id = ? AND t.session_id = ? AND t.state IS NOT NULL AND t.retain_until IS NULL
         AND EXISTS (SELECT 1 FROM turn_approvals a WHERE a.tenant_id = t.tenant_id
           AND a.session_id = t.session_id AND a.turn_id = t.turn_id AND a.status = 'pending')
       ORDER BY paused_at`,
    ),
    // Waiting, nothing pending, and nobody resuming since `before`.
    stalled: sqlite.prepare<[number, number], { tenant_id: string; session_id: string; turn_id: string }>(
      `SELECT tenant_id, session_id, turn_id FROM paused_turns t
       WHERE t.state IS NOT NULL AND t.retain_until IS NULL AND coalesce(t.resuming_at, 0) <= ?
         AND NOT EXISTS (SELECT 1 FROM turn_approvals a WHERE a.tenant_id = t.tenant_id
           AND a.session_id = t.session_id AND a.turn_id = t.turn_id AND a.status = 'pending')
       ORDER BY coalesce(t.resuming_at, 0) LIMIT ?`,
    ),
    reclaim: sqlite.prepare<[string, number, ...KeyArgs, number]>(
      `UPDATE paused_turns SET resuming_by = ?, resuming_at = ?
       WHERE ${where} AND state IS NOT NULL AND retain_until IS NULL AND coalesce(resuming_at, 0) <= ?
         AND NOT EXISTS (SELECT 1 FROM turn_approvals a WHERE a.tenant_id = paused_turns.tenant_id
           AND a.session_id = paused_turns.session_id AND a.turn_id = paused_turns.turn_id
           AND a.status = 'pending')`,
    ),
    finish: sqlite.prepare<[number, ...KeyArgs]>(
      `UPDATE paused_turns SET state = NULL, retain_until = ?, resuming_by = NULL, resuming_at = NULL
       WHERE ${where}`,
    ),
    expiredTurns: sqlite.prepare<[number], { tenant_id: string; session_id: string; turn_id: string }>(
      'SELECT tenant_id, session_id, turn_id FROM paused_turns WHERE retain_until <= ? LIMIT 500',
    ),
    dropTurn: sqlite.prepare<KeyArgs>(`DELETE FROM paused_turns WHERE ${where}`),
    dropApprovals: sqlite.prepare<KeyArgs>(`DELETE FROM turn_approvals WHERE ${where}`),
  };
  const args = (key: TurnKey): KeyArgs => [key.tenantId, key.sessionId, key.turnId];
  const parse = (rows: Array<{ body: string }>) => rows.map((row) => JSON.parse(row.body) as Approval);

  const pauseTx = sqlite.transaction(
    (key: TurnKey, state: PausedTurnState, calls: PendingCall[], expiresAt: number) => {
      q.upsertTurn.run(...args(key), JSON.stringify(state));
      for (const approval of newApprovals(key, calls, now(), expiresAt)) {
        q.insertApproval.run(...args(key), approval.callId, 'pending', expiresAt, JSON.stringify(approval));
      }
    },
  );
  const decideTx = sqlite.transaction((key: TurnKey, callId: string, decision: Decision): DecideResult => {
    const row = q.approval.get(...args(key), callId);
    const turn = q.turn.get(...args(key), now());
    if (!row || !turn) return { outcome: 'not_found' };
    const approval = JSON.parse(row.body) as Approval;
    if (approval.status !== 'pending' || !turn.state) return { outcome: 'not_pending', approval };
    const next = decided(approval, decision, now());
    const changed = q.decide.run(next.status, JSON.stringify(next), ...args(key), callId).changes;
    if (changed !== 1) return { outcome: 'not_pending', approval };
    const remaining = q.remaining.get(...args(key))?.n ?? 0;
    // The resume claim goes with the last decision, in the same transaction.
    if (remaining === 0) q.claim.run(decision.resumer ?? '', now(), ...args(key));
    return { outcome: 'decided', approval: next, remaining };
  });
  const sweepTx = sqlite.transaction((at: number) => {
    for (const row of q.expiredTurns.all(at)) {
      const key: KeyArgs = [row.tenant_id, row.session_id, row.turn_id];
      q.dropApprovals.run(...key);
      q.dropTurn.run(...key);
    }
  });
  const sweeper = setInterval(() => sweepTx(now()), 60_000);
  sweeper.unref();

  const store = {
    async pause(key: TurnKey, state: PausedTurnState, calls: PendingCall[], expiresAt: number) {
      pauseTx.immediate(key, state, calls, expiresAt);
    },
    async get(key: TurnKey): Promise<PausedTurn | undefined> {
      const turn = q.turn.get(...args(key), now());
      if (!turn) return undefined;
      return {
        ...(turn.state ? { state: JSON.parse(turn.state) as PausedTurnState } : {}),
        approvals: parse(q.approvals.all(...args(key))),
        ...(turn.resuming_at !== null
          ? { resuming: { by: turn.resuming_by ?? '', at: turn.resuming_at } }
          : {}),
      };
    },
    async decide(key: TurnKey, callId: string, decision: Decision) {
      return decideTx.immediate(key, callId, decision);
    },
    async listPending(tenantId: string, limit: number) {
      return parse(q.listPending.all(tenantId, limit));
    },
    async due(limit: number) {
      return parse(q.due.all(now(), limit));
    },
    async waitingIn(tenantId: string, sessionId: string) {
      return q.waitingIn
        .all(tenantId, sessionId)
        .map((row) => ({ turnId: row.turn_id, pausedAt: row.paused_at ?? 0 }));
    },
    async stalled(before: number, limit: number) {
      return q.stalled
        .all(before, limit)
        .map((row) => ({ tenantId: row.tenant_id, sessionId: row.session_id, turnId: row.turn_id }));
    },
    async reclaim(key: TurnKey, by: string, before: number) {
      return q.reclaim.run(by, now(), ...args(key), before).changes === 1;
    },
    async finish(key: TurnKey, retainSeconds: number) {
      q.finish.run(now() + retainSeconds * 1000, ...args(key));
    },
    async close() {
      clearInterval(sweeper);
      if (sqlite.open) sqlite.close();
    },
  };
  return store satisfies ApprovalStore;
}
