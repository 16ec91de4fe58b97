import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAI, startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { ensureServerBuild, freePort, spawnServer, waitForHttp } from '../helpers/server-process.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'approval-restart-'));
let fake: FakeOpenAI;

beforeAll(async () => {
  // The shared build may take long on a loaded machine; it belongs to set-up, not to a test's time.
  ensureServerBuild();
  fake = await startFakeOpenAI();
}, 300_000);
afterAll(async () => {
  await fake?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function start() {
  const port = await freePort();
  const proc = spawnServer({
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    MCP_SERVER_URL: '',
    LOG_TO_FILE: 'false',
    LLM_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: 'sk-test-approval-restart',
    LLM_MAX_RETRIES: '0',
    ORDER_ACCESS: 'tenant',
    DEMO_ORDERS: 'true',
    ORDER_DB_PATH: path.join(tmp, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
    SESSION_STORE: 'sqlite',
    SESSION_DB_PATH: path.join(tmp, 'sessions.db'),
    TOOLS_REQUIRING_APPROVAL: 'cancel_order',
  });
  await waitForHttp(`${proc.baseUrl}/health`, proc);
  return proc;
}

function orderStatus(orderId: number): string {
  const db = new Database(path.join(tmp, 'orders.db'), { readonly: true });
  try {
    return (db.prepare('SELECT status FROM orders WHERE id = ?').get(orderId) as { status: string }).status;
  } finally {
    db.close();
  }
}

describe('an approval after a restart (sqlite session store)', () => {
  it('resumes the paused turn in the new process: the tool runs and the answer is stored', {
    timeout: 120_000,
  }, async () => {
    const first = await start();
    let second: Awaited<ReturnType<typeof start>> | undefined;
    try {
      fake.script(step.toolCalls([{ id: 'call_x', name: 'cancel_order', arguments: { order_id: 2 } }]));
      const res = await fetch(`${first.baseUrl}/api/v1/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 'restart-1', message: 'Cancel order 2 please' }),
      });
      expect(res.status).toBe(202);
      const { turn_id: turnId } = (await res.json()) as { turn_id: string };
      expect(await first.stop('SIGTERM')).toBe(0);

      second = await start();
      const url = `${second.baseUrl}/api/v1/sessions/restart-1/turns/${turnId}`;
      // The new process knows the turn from the session file alone.
      const waiting = (await (await fetch(url)).json()) as Record<string, unknown>;
      expect(waiting).toMatchObject({
        status: 'awaiting_approval',
        pending_approvals: [{ call_id: 'call_x', name: 'cancel_order', arguments: { order_id: 2 } }],
      });
      const listed = (await (await fetch(`${second.baseUrl}/api/v1/approvals`)).json()) as { count: number };
      expect(listed.count).toBe(1);

      fake.script(step.text('Order 2 is now cancelled.'));
      const approved = await fetch(`${url}/approvals`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ call_id: 'call_x', decision: 'approve' }),
      });
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({
        status: 'completed',
        message: 'Order 2 is now cancelled.',
        tool_calls: [{ id: 'call_x', name: 'cancel_order', status: 'ok' }],
      });
      expect(orderStatus(2)).toBe('CANCELLED');
      // The model went on from the conversation stored before the restart.
      expect(fake.requests[1]!.body.messages!.some((m) => m.content === 'Cancel order 2 please')).toBe(true);
      const history = (await (await fetch(`${second.baseUrl}/api/v1/sessions/restart-1/history`)).json()) as {
        messages: Array<{ role: string; content: string }>;
      };
      expect(history.messages.map((m) => [m.role, m.content])).toEqual([
        ['user', 'Cancel order 2 please'],
        ['assistant', 'Order 2 is now cancelled.'],
      ]);
    } finally {
      await first.stop('SIGKILL');
      await second?.stop('SIGTERM');
    }
  });
});
