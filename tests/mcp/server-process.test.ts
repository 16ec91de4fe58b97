import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMcpToolSource } from '../../src/tools/mcp/index.js';
import { findTool, freePort, makeTempDir, runJsonTool, silentLogger, waitFor } from './helpers.js';

describe('the complaints MCP server as a real process', () => {
  const temp = makeTempDir();
  let child: ChildProcess | undefined;

  afterAll(() => {
    // Only when the test failed before its SIGTERM.
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    temp.cleanup();
  });

  it('serves MCP on the configured port, stores in the configured file and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const dbPath = path.join(temp.dir, 'data', 'complaints.db');
    const output: string[] = [];
    // The same TypeScript loader as `npm run mcp:complaints` (tsx), inside one node process so SIGTERM
    // reaches the server itself: `npx` dies on SIGTERM without forwarding it, and the tsx CLI SIGKILLs
    // its child when the child does not acknowledge a relayed signal within 30 ms (a loaded CI box).
    child = spawn(process.execPath, ['--import', 'tsx', 'mcp-servers/complaints/server.ts'], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        COMPLAINTS_MCP_PORT: String(port),
        COMPLAINTS_MCP_HOST: '127.0.0.1',
        COMPLAINTS_DB_PATH: dbPath,
        LOG_LEVEL: 'INFO',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child?.once('exit', (code) => resolve(code)));

    await waitFor(
      'GET /health to answer 200',
      async () => {
        if (child?.exitCode !== null) throw new Error(`server exited early:\n${output.join('')}`);
        return fetch(`http://127.0.0.1:${port}/health`).then(
          (response) => response.ok,
          () => false,
        );
      },
      15_000,
    );
    expect(output.join('')).toContain(`listening on http://127.0.0.1:${port}/mcp`);

    const mcp = createMcpToolSource({
      url: `http://127.0.0.1:${port}/mcp`,
      required: true,
      connectTimeoutMs: 3000,
      callTimeoutMs: 3000,
      localToolNames: () => false,
      logger: silentLogger,
    });
    await mcp.start();
    const created = await runJsonTool<{ complaint: { status: string } }>(
      findTool(mcp.tools(), 'create_complaint'),
      {
        customer_name: 'Process Test',
        category: 'other',
        description: 'Filed through a real process.',
      },
    );
    expect(created.complaint.status).toBe('open');
    await mcp.close();
    expect(fs.existsSync(dbPath)).toBe(true);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output.join('')).toContain('complaints MCP server stopped');
  }, 30_000);
});
