import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, createCustomerServiceClient, type StreamEvent } from '../../examples/client.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import {
  freePort,
  REPO_ROOT,
  type ServerProcess,
  spawnServer,
  useServerBuild,
  waitForHttp,
} from '../helpers/server-process.js';

useServerBuild();

// The example clients are what a user copies first; running them against the real server process
// keeps them from drifting away from the API.

const API_KEY = 'examples-test-key-0001';
const TENANT = 'default';

const available = (command: string, args: string[]) => {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
};
const hasServerEntry = existsSync(path.join(REPO_ROOT, 'src/server.ts'));
const hasPython = available('python3', ['--version']);
const hasCurl = available('curl', ['--version']) && available('bash', ['--version']);

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs an example like a user would, from the repository root, and collects its output. */
function runExample(command: string, args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO_ROOT,
      // Loopback calls must never be sent to a proxy configured on the machine.
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      stderr += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!hasServerEntry)('example clients against the real server (src/server.ts)', () => {
  let server: ServerProcess;
  let baseUrl: string;
  let tmp: string;

  async function history(sessionId: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${baseUrl}/api/v1/sessions/${sessionId}/history?tenant_id=${TENANT}`, {
      headers: { 'x-api-key': API_KEY },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'examples-'));
    const port = await freePort();
    server = spawnServer({
      SERVER_PORT: String(port),
      SERVER_HOST: '127.0.0.1',
      LOG_TO_FILE: 'false',
      LOG_LEVEL: 'warn',
      ORDER_DB_PATH: path.join(tmp, 'orders.db'),
      EMAIL_OUTBOX_DIR: path.join(tmp, 'outbox'),
      COMPLAINTS_DB_PATH: path.join(tmp, 'complaints.db'),
      MCP_SERVER_URL: '',
      LLM_PROVIDER: 'offline',
      ENABLE_RATE_LIMITING: 'false',
      // Keys on, so the examples' API-key handling is exercised too.
      API_KEYS: `${API_KEY}:${TENANT}`,
    });
    baseUrl = server.baseUrl;
    await waitForHttp(`${baseUrl}/health`, server);
  }, 60_000);

  afterAll(async () => {
    if (server) {
      const code = await server.stop('SIGTERM');
      expect(code, server.output()).toBe(0);
    }
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  describe.skipIf(!hasPython)('examples/python_client.py', () => {
    it('prints the answer of a JSON chat turn, and the turn is stored in the session', async () => {
      const result = await runExample('python3', [
        'examples/python_client.py',
        '--url',
        baseUrl,
        '--api-key',
        API_KEY,
        '--session',
        'py-json',
        'Where is my order 1?',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
      expect(result.stderr).toContain('[session py-json, 2 messages');

      const { status, body } = await history('py-json');
      expect(status).toBe(200);
      const messages = body.messages as Array<{ role: string; content: string }>;
      expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
      expect(messages[0]?.content).toBe('Where is my order 1?');
      expect(messages[1]?.content.trim()).toBe(result.stdout.trim());
    });

    it('--stream prints the streamed tokens, which add up to the stored answer', async () => {
      const result = await runExample('python3', [
        'examples/python_client.py',
        '--url',
        baseUrl,
        '--api-key',
        API_KEY,
        '--session',
        'py-stream',
        '--stream',
        'Please show me order 1.',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);

      const { body } = await history('py-stream');
      const messages = body.messages as Array<{ role: string; content: string }>;
      expect(messages.at(-1)?.role).toBe('assistant');
      expect(messages.at(-1)?.content.trim()).toBe(result.stdout.trim());
    });

    it('--stream resumes a stream that drops mid-answer from its last event, printing the answer once', async () => {
      const port = Number(new URL(baseUrl).port);
      const proxy = await startCuttingProxy({ host: '127.0.0.1', port }, { afterEvents: 3 });
      try {
        const result = await runExample('python3', [
          'examples/python_client.py',
          '--url',
          proxy.url,
          '--api-key',
          API_KEY,
          '--session',
          'py-resume',
          '--stream',
          'What can you do?',
        ]);
        expect(proxy.cuts()).toBe(1);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toContain('[resuming after ');
        const { body } = await history('py-resume');
        const messages = body.messages as Array<{ role: string; content: string }>;
        expect(messages).toHaveLength(2);
        expect(messages.at(-1)?.content.trim()).toBe(result.stdout.trim());
      } finally {
        await proxy.close();
      }
    });

    it('--on-busy is sent as the body field the server takes: an idle session answers as usual', async () => {
      for (const policy of ['reject', 'interrupt']) {
        const result = await runExample('python3', [
          'examples/python_client.py',
          '--url',
          baseUrl,
          '--api-key',
          API_KEY,
          '--session',
          'py-on-busy',
          '--on-busy',
          policy,
          'Where is my order 1?',
        ]);
        expect(result.code, result.stderr).toBe(0);
      }
      const { body } = await history('py-on-busy');
      expect((body.messages as unknown[]).length).toBe(4);
    });

    it('exits 1 with the error envelope message when the API refuses the call', async () => {
      for (const extra of [[], ['--stream']]) {
        const result = await runExample('python3', [
          'examples/python_client.py',
          '--url',
          baseUrl,
          '--api-key',
          'not-a-valid-key',
          ...extra,
          'Hello',
        ]);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain('UNAUTHORIZED');
        expect(result.stderr).toContain('API key');
        expect(result.stdout).toBe('');
      }
    });
  });

  describe.skipIf(!hasCurl)('examples/curl_examples.sh', () => {
    it('walks through every endpoint and exits 0', async () => {
      const result = await runExample('bash', ['examples/curl_examples.sh'], {
        BASE_URL: baseUrl,
        API_KEY,
        TENANT_ID: TENANT,
        SESSION_ID: 'curl-examples',
      });
      expect(result.code, result.stdout + result.stderr).toBe(0);
      expect(result.stdout).toContain('"status":"healthy"');
      expect(result.stdout).toContain('"status":"alive"');
      expect(result.stdout).toContain('"type":"token"');
      expect(result.stdout).toContain('"type":"done"');
      expect(result.stdout).toContain('"session_id":"curl-examples"');
      expect(result.stdout).toContain('"rating":5');
      expect(result.stdout).toContain('Session deleted successfully');
      expect(result.stdout).toContain('All calls succeeded.');
      // The script deleted its session at the end.
      expect((await history('curl-examples')).status).toBe(404);
    });

    it('exits non-zero and shows the error when a call fails', async () => {
      const result = await runExample('bash', ['examples/curl_examples.sh'], {
        BASE_URL: baseUrl,
        API_KEY: '',
        SESSION_ID: 'curl-no-key',
      });
      expect(result.code).not.toBe(0);
      expect(result.stdout).toContain('"error":"UNAUTHORIZED"');
      expect(result.stdout).not.toContain('All calls succeeded.');
    });
  });

  describe('examples/client.ts', () => {
    it('the typed client resumes a stream that drops mid-answer, yielding every event once', async () => {
      const port = Number(new URL(baseUrl).port);
      const proxy = await startCuttingProxy({ host: '127.0.0.1', port }, { afterEvents: 3 });
      try {
        const api = createCustomerServiceClient({ baseUrl: proxy.url, apiKey: API_KEY, tenantId: TENANT });
        const events: StreamEvent[] = [];
        for await (const event of api.chatStream({ session_id: 'ts-resume', message: 'What can you do?' })) {
          events.push(event);
        }
        expect(proxy.cuts()).toBe(1);
        expect(events.filter((e) => e.type === 'done')).toHaveLength(1);
        expect(events.at(-1)).toMatchObject({ type: 'done', message_count: 2 });
        const answer = events.flatMap((e) => (e.type === 'token' ? [e.content] : [])).join('');
        const stored = await createCustomerServiceClient({ baseUrl, apiKey: API_KEY }).history('ts-resume');
        expect(stored.messages.at(-1)?.content.trim()).toBe(answer.trim());

        // A retried JSON call with the same key gets the first turn back instead of a second one.
        const first = await api.chat(
          { session_id: 'ts-idem', message: 'Hello' },
          { idempotencyKey: 'ts-key-1' },
        );
        const again = await api.chat(
          { session_id: 'ts-idem', message: 'Hello' },
          { idempotencyKey: 'ts-key-1' },
        );
        expect(again.turn_id).toBe(first.turn_id);
        expect((await api.history('ts-idem')).messages).toHaveLength(2);
      } finally {
        await proxy.close();
      }
    });

    it('covers every endpoint as a typed client: chat, stream, history, list, delete, probes', async () => {
      const api = createCustomerServiceClient({ baseUrl, apiKey: API_KEY, tenantId: TENANT });
      expect((await api.health()).status).toBe('healthy');
      expect((await api.liveness()).status).toBe('alive');
      expect(['ready', 'degraded']).toContain((await api.readiness()).status);

      const reply = await api.chat({ session_id: 'ts-client', message: 'Where is my order 1?' });
      expect(reply.message.length).toBeGreaterThan(0);
      expect(reply.message_count).toBe(2);
      expect(reply.tenant_id).toBe(TENANT);

      const events: StreamEvent[] = [];
      for await (const event of api.chatStream({
        session_id: 'ts-client',
        message: 'Please show me order 1.',
      })) {
        events.push(event);
      }
      const tokens = events.flatMap((event) => (event.type === 'token' ? [event.content] : []));
      expect(tokens.length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ type: 'done', session_id: 'ts-client', message_count: 4 });

      const stored = await api.history('ts-client');
      expect(stored.messages.at(-1)?.content.trim()).toBe(tokens.join('').trim());
      const list = await api.listSessions({ limit: 100 });
      expect(list.sessions.map((session) => session.session_id)).toContain('ts-client');
      expect(await api.deleteSession('ts-client')).toEqual({
        message: 'Session deleted successfully',
        session_id: 'ts-client',
      });

      const missing = await api.history('ts-client').catch((err: unknown) => err);
      expect(missing).toBeInstanceOf(ApiError);
      expect(missing).toMatchObject({ code: 'SESSION_NOT_FOUND', status: 404 });
    });

    it('runs as the CLI the README shows (npx tsx examples/client.ts --stream)', async () => {
      const result = await runExample(process.execPath, [
        '--import',
        'tsx',
        'examples/client.ts',
        '--url',
        baseUrl,
        '--api-key',
        API_KEY,
        '--stream',
        'Where is my order 1?',
      ]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
    });
  });
});
