import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteApprovalStore } from '../../src/turns/sqlite-approvals.js';
import { approvalStoreContract } from './approvals-contract.js';

let now = Date.now();
const dir = mkdtempSync(path.join(os.tmpdir(), 'approvals-sqlite-'));

approvalStoreContract('sqlite', {
  async create() {
    const file = path.join(dir, 'sessions.db');
    // Two connections on one file, as two processes on one volume (or a restart) would have.
    const first = createSqliteApprovalStore({ path: file, now: () => now });
    const second = createSqliteApprovalStore({ path: file, now: () => now });
    return { first, second };
  },
  now: () => now,
  advance(ms) {
    now += ms;
  },
  async expire() {},
  async close() {
    rmSync(dir, { recursive: true, force: true });
  },
});
