import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import { createSqliteSessionStore } from '../../src/sessions/sqlite/sqlite-store.js';
import { sessionStoreContract } from './store-contract.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sessions-sqlite-contract-'));
let files = 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

sessionStoreContract('sqlite', {
  clock: 'manual',
  async create(limits) {
    files++;
    return createSqliteSessionStore({ ...limits, path: path.join(dir, `sessions-${files}.db`) });
  },
});
