import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openOrderDatabase } from '../../src/db/open-database.js';
import { SessionStoreUnavailableError } from '../../src/sessions/errors.js';
import {
  createSqliteSessionStore,
  type SqliteSessionStore,
  type SqliteSessionStoreOptions,
} from '../../src/sessions/sqlite/sqlite-store.js';
import type { StoredMessage } from '../../src/sessions/types.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sessions-sqlite-'));
const open: SqliteSessionStore[] = [];
let files = 0;
const MINUTE = 60_000;
const LIMITS = { ttlMs: 10 * MINUTE, maxSessions: 100, maxSessionsPerTenant: 100, maxMessages: 100 };

function makeStore(overrides: Partial<SqliteSessionStoreOptions> = {}) {
  const store = createSqliteSessionStore({
    ...LIMITS,
    path: path.join(dir, `store-${++files}.db`),
    ...overrides,
  });
  open.push(store);
  return store;
}
const user = (content: string): StoredMessage => ({
  role: 'user',
  content,
  timestamp: '2025-03-01T10:00:00.000Z',
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sqlite session store', () => {
  it('keeps conversations and attributes across a close and a new open of the same file', async () => {
    const first = makeStore();
    await first.append({ tenantId: 't', sessionId: 's' }, [user('remember me')], { customer: 'c-1' });
    await first.close();

    const again = makeStore({ path: first.path });
    const got = await again.get({ tenantId: 't', sessionId: 's' });
    expect(got?.messages.map((m) => m.content)).toEqual(['remember me']);
    expect(got?.attributes).toEqual({ customer: 'c-1' });
    expect((await again.list('t', { limit: 10, offset: 0 })).total).toBe(1);
  });

  it('uses WAL and its own migrations, apart from the orders database', async () => {
    const store = makeStore();
    const raw = new Database(store.path, { readonly: true });
    try {
      expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
      const tables = raw
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all() as Array<{ name: string }>;
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['__drizzle_session_migrations', 'session_messages', 'sessions']),
      );
      expect(tables.map((t) => t.name)).not.toContain('orders');
    } finally {
      raw.close();
    }
  });

  it('shares a file with the orders database without mixing their migrations', async () => {
    const file = path.join(dir, 'shared.db');
    // Sessions first: with one shared migrations table the older orders migration would then be skipped.
    const store = makeStore({ path: file });
    const orders = await openOrderDatabase({ path: file, logger: pino({ level: 'silent' }) });
    try {
      await store.append({ tenantId: 't', sessionId: 's' }, [user('both live here')]);
      expect((await store.get({ tenantId: 't', sessionId: 's' }))?.messages).toHaveLength(1);
    } finally {
      await orders.close();
    }
    const raw = new Database(file, { readonly: true });
    try {
      const tables = raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{
        name: string;
      }>;
      expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['orders', 'sessions']));
    } finally {
      raw.close();
    }
  });

  it('deletes expired sessions and their messages from the file when swept', async () => {
    let t = Date.parse('2025-03-01T10:00:00.000Z');
    const store = makeStore({ now: () => t, sweepIntervalMs: 24 * 60 * MINUTE });
    await store.append({ tenantId: 't', sessionId: 'old' }, [user('a'), user('b')]);
    t += 5 * MINUTE;
    await store.append({ tenantId: 't', sessionId: 'new' }, [user('c')]);
    t += 5 * MINUTE;
    expect(await store.sweep()).toBe(1);

    const raw = new Database(store.path, { readonly: true });
    try {
      expect(raw.prepare('SELECT session_id FROM sessions').all()).toEqual([{ session_id: 'new' }]);
      expect(raw.prepare('SELECT count(*) AS n FROM session_messages').get()).toEqual({ n: 1 });
    } finally {
      raw.close();
    }
  });

  it('rejects with SessionStoreUnavailableError once the file is closed, instead of crashing', async () => {
    const store = makeStore();
    await store.close();
    await expect(store.get({ tenantId: 't', sessionId: 's' })).rejects.toBeInstanceOf(
      SessionStoreUnavailableError,
    );
    await expect(store.append({ tenantId: 't', sessionId: 's' }, [user('x')])).rejects.toBeInstanceOf(
      SessionStoreUnavailableError,
    );
  });

  it('never keeps the process alive: a script that never closes the store still exits', async () => {
    const file = path.join(dir, 'exit.db');
    const script = `
      import { createSqliteSessionStore } from './src/sessions/sqlite/sqlite-store.ts';
      const store = createSqliteSessionStore({ path: ${JSON.stringify(file)}, ttlMs: 1000, maxSessions: 5,
        maxSessionsPerTenant: 5, maxMessages: 5, sweepIntervalMs: 10 });
      await store.append({ tenantId: 't', sessionId: 's' }, [{ role: 'user', content: 'x', timestamp: 'now' }]);
      console.log('stored');
    `;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, timeout: 60_000 },
    );
    expect(stdout.trim()).toBe('stored');
  });
});
