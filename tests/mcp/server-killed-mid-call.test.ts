import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMcpToolSource } from '../../src/tools/mcp/index.js';
import { ToolError } from '../../src/tools/registry.js';
import { findTool, freePort, makeTempDir, runTool, silentLogger, waitFor } from './helpers.js';

/** Far longer than the test may take: a call that fails only at its timeout fails the test. */
const CALL_TIMEOUT_MS = 120_000;
const children: ChildProcess[] = [];
const cleanups: Array<() => unknown> = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts a node process through tsx and resolves once its stdout shows `ready`. */
async function startProcess(args: string[], env: Record<string, string>, ready: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  const lines: string[] = [];
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    lines.push(...chunk.toString().split('\n'));
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  await waitFor(
    `the process to print ${ready}`,
    () => {
      if (child.exitCode !== null) throw new Error(`process exited early:\n${output}`);
      return ready.test(output);
    },
    20_000,
  );
  return { child, output: () => output };
}

function source(url: string) {
  const mcp = createMcpToolSource({
    url,
    required: true,
    connectTimeoutMs: 5_000,
    callTimeoutMs: CALL_TIMEOUT_MS,
    localToolNames: () => false,
    logger: silentLogger,
    backoff: { initialMs: 50, maxMs: 200 },
    // No background ping to notice the death for us within the test's time.
    pingIntervalMs: 600_000,
  });
  cleanups.push(() => mcp.close());
  return mcp;
}

async function kill(child: ChildProcess) {
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

describe('an MCP server that dies in the middle of a call', { timeout: 40_000 }, () => {
  it('fails the call at once when its response stream breaks off, and reports the server gone', async () => {
    const server = await startProcess(['tests/mcp/fixtures/slow-mcp-server.ts'], {}, /listening (\S+)/);
    const url = /listening (\S+)/.exec(server.output())![1]!;
    const mcp = source(url);
    await mcp.start();

    const pending = runTool(findTool(mcp.tools(), 'wait'), { ms: 60_000 });
    pending.catch(() => undefined);
    // The server has answered with its event-stream headers and is running the tool.
    await waitFor('the call to start on the server', () => server.output().includes('call started'));
    await kill(server.child);

    await expect(pending).rejects.toBeInstanceOf(ToolError);
    await expect(pending).rejects.toThrow(/wait failed: the MCP server could not be reached/);
    expect(mcp.tools()).toEqual([]);
    expect(mcp.status().state).toBe('reconnecting');
    expect((await mcp.readinessCheck().run(new AbortController().signal)).status).toBe('unavailable');
  });

  it('fails the call at once when the reference complaints server process is killed before it answers', async () => {
    const temp = makeTempDir();
    cleanups.push(() => temp.cleanup());
    const port = await freePort();
    const server = await startProcess(
      ['mcp-servers/complaints/server.ts'],
      {
        COMPLAINTS_MCP_PORT: String(port),
        COMPLAINTS_MCP_HOST: '127.0.0.1',
        COMPLAINTS_DB_PATH: path.join(temp.dir, 'complaints.db'),
        LOG_LEVEL: 'INFO',
      },
      /listening on/,
    );
    const mcp = source(`http://127.0.0.1:${port}/mcp`);
    await mcp.start();
    const create = findTool(mcp.tools(), 'create_complaint');

    // Frozen, the server has the request but cannot answer it; then it dies.
    server.child.kill('SIGSTOP');
    const pending = runTool(create, {
      customer_name: 'Mid Call',
      category: 'other',
      description: 'Filed as the server dies.',
    });
    pending.catch(() => undefined);
    await kill(server.child);

    await expect(pending).rejects.toThrow(/create_complaint failed: the MCP server could not be reached/);
    expect(mcp.status().state).toBe('reconnecting');
  });
});
