import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, step } from '../helpers/fake-openai-server.js';
import { parseSse } from '../helpers/full-app.js';
import { freePort, spawnServer, useServerBuild, waitForHttp } from '../helpers/server-process.js';

useServerBuild();

const tmp = mkdtempSync(path.join(os.tmpdir(), 'server-process-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function baseEnv(port: number, name: string): Record<string, string> {
  return {
    SERVER_HOST: '127.0.0.1',
    SERVER_PORT: String(port),
    MCP_SERVER_URL: '',
    LLM_PROVIDER: 'offline',
    ORDER_DB_PATH: path.join(tmp, name, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(tmp, name, 'outbox'),
    LOG_TO_FILE: 'false',
  };
}

describe('the server process', { timeout: 60_000 }, () => {
  it('exits 1 naming the variable when the configuration is invalid', async () => {
    const proc = spawnServer({ SERVER_PORT: 'abc', ENABLE_CORS: 'perhaps' });
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output()).toContain('SERVER_PORT');
    expect(proc.output()).toContain('ENABLE_CORS');
  });

  it('fails start-up naming the MCP URL when MCP is required and unreachable', async () => {
    const deadPort = await freePort();
    const url = `http://127.0.0.1:${deadPort}/mcp`;
    const proc = spawnServer({
      ...baseEnv(await freePort(), 'mcp-required'),
      MCP_SERVER_URL: url,
      MCP_SERVER_REQUIRED: 'true',
      MCP_CONNECT_TIMEOUT_MS: '1000',
    });
    expect(await proc.exited).toBe(1);
    expect(proc.output()).toContain(url);
  });

  it('exits 1 when the port is already taken', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const { port } = blocker.address() as { port: number };
    try {
      const proc = spawnServer(baseEnv(port, 'port-taken'));
      expect(await proc.exited).toBe(1);
      expect(proc.output()).toContain('EADDRINUSE');
    } finally {
      blocker.close();
    }
  });

  it('serves, then exits 0 with a goodbye line on SIGTERM', async () => {
    const port = await freePort();
    const proc = spawnServer(baseEnv(port, 'sigterm'));
    await waitForHttp(`${proc.baseUrl}/health`, proc);
    const res = await fetch(`${proc.baseUrl}/health`);
    expect(res.status).toBe(200);
    // The compiled server finds the web chat page's static files at the project root.
    const page = await fetch(`${proc.baseUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<textarea id="message"');
    const code = await proc.stop('SIGTERM');
    expect(code).toBe(0);
    expect(proc.output()).toMatch(/Goodbye/);
  });

  it('on SIGTERM ends a running stream with an error event after the grace period, then exits 0', async () => {
    const fake = await startFakeOpenAI();
    // One token starts the stream; then the model goes silent until the shutdown aborts it.
    fake.script(step.text('Let me see', { ending: 'hang' }));
    try {
      const port = await freePort();
      const proc = spawnServer({
        ...baseEnv(port, 'drain'),
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: fake.baseURL,
        OPENAI_API_KEY: 'sk-test-drain',
        LLM_MAX_RETRIES: '0',
        SHUTDOWN_GRACE_MS: '300',
      });
      await waitForHttp(`${proc.baseUrl}/health`, proc);
      const res = await fetch(`${proc.baseUrl}/api/v1/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ session_id: 'drain', message: 'hello' }),
      });
      await fake.waitForRequests(1);
      proc.child.kill('SIGTERM');
      const { events } = parseSse(await res.text());
      expect(events.at(-1)).toMatchObject({ type: 'error', error: 'AGENT_UNAVAILABLE' });
      expect(await proc.exited).toBe(0);
      expect(proc.output()).toMatch(/Goodbye/);
    } finally {
      await fake.close();
    }
  });

  it('writes JSON logs to a rotating file that never contains a configured secret', async () => {
    const port = await freePort();
    // A folder that does not exist yet: start-up creates it.
    const logDir = path.join(tmp, 'logs', 'not', 'yet');
    const secrets = ['sk-test-SECRET-0123456789', 'smtp-pass-SECRET-42', 'key-SECRET-tenant-0001'];
    const proc = spawnServer({
      ...baseEnv(port, 'logs'),
      LOG_TO_FILE: 'true',
      LOG_FILE_PATH: path.join(logDir, 'app.log'),
      LOG_MAX_SIZE_MB: '0.05',
      LOG_BACKUP_COUNT: '2',
      LOG_LEVEL: 'debug',
      SENDER_PASSWORD: secrets[1]!,
      API_KEYS: `${secrets[2]}:acme`,
      OPENAI_API_KEY: secrets[0]!,
      LLM_PROVIDER: 'offline',
    });
    await waitForHttp(`${proc.baseUrl}/health`, proc);
    // Enough requests with the key in both auth headers to pass 50 KB and rotate more than twice.
    const body = JSON.stringify({ session_id: 's', message: 'x'.repeat(2000) });
    // Ten at a time: the server logs them while it rotates, as under real traffic.
    const request = async (i: number) => {
      await fetch(`${proc.baseUrl}/api/v1/sessions?limit=1`, {
        headers: { authorization: `Bearer ${secrets[2]}`, 'x-api-key': secrets[2]!, cookie: 'sid=abc' },
      });
      if (i % 50 === 0) {
        await fetch(`${proc.baseUrl}/api/v1/nope`, {
          method: 'POST',
          body,
          headers: { 'x-api-key': secrets[2]! },
        });
      }
    };
    for (let i = 0; i < 700; i += 10) {
      await Promise.all(Array.from({ length: 10 }, (_, j) => request(i + j)));
    }
    expect(await proc.stop('SIGTERM')).toBe(0);
    // LOG_FILE_PATH is the live file; LOG_BACKUP_COUNT rotated files lie beside it.
    const files = readdirSync(logDir);
    expect(files.sort()).toEqual(['app.1.log', 'app.2.log', 'app.log']);
    expect(readFileSync(path.join(logDir, 'app.log'), 'utf8')).toMatch(/Goodbye/);
    let lines = 0;
    for (const file of files) {
      const text = readFileSync(path.join(logDir, file), 'utf8');
      for (const secret of secrets) expect(text).not.toContain(secret);
      for (const line of text.split('\n').filter(Boolean)) {
        expect(() => JSON.parse(line)).not.toThrow();
        lines++;
      }
    }
    expect(lines).toBeGreaterThan(100);
  });
});
