import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSqliteIdempotencyStore } from '../../src/turns/sqlite-idempotency.js';
import { idempotencyStoreContract } from './idempotency-contract.js';

let now = Date.now();
const dir = mkdtempSync(path.join(os.tmpdir(), 'idem-sqlite-'));

idempotencyStoreContract('sqlite', {
  async create(ttlSeconds) {
    const file = path.join(dir, 'sessions.db');
    // Two connections on one file, as two processes on one volume would have.
    const first = createSqliteIdempotencyStore({ path: file, ttlSeconds, now: () => now });
    const second = createSqliteIdempotencyStore({ path: file, ttlSeconds, now: () => now });
    return { first, second };
  },
  async expire(seconds) {
    now += seconds * 1000 + 1;
  },
  async close() {
    rmSync(dir, { recursive: true, force: true });
  },
});
