import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './server-process.js';

/** Debian's redis-server, installed by .ci/run. */
export const REDIS_SERVER_BIN = process.env.REDIS_SERVER_BIN ?? 'redis-server';

export function redisServerAvailable(): boolean {
  try {
    execFileSync(REDIS_SERVER_BIN, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface TestRedis {
  url: string;
  port: number;
  /** The running server's process id (e.g. to read its CPU time in bench/). */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM) and waits for it to exit; data in memory is gone unless `save` ran. */
  stop(): Promise<void>;
  /** Starts it again on the same port (after `stop`), e.g. to test recovery. */
  start(): Promise<void>;
  /** A new client for test assertions (closed by `close`); its connection errors are ignored. */
  client(): Redis;
  /** Removes every key (between tests). */
  flush(): Promise<void>;
  /** Stops the server for good and removes its temp folder. */
  close(): Promise<void>;
}

/**
 * A real redis-server on a free loopback port with its own temp folder, no persistence, for one test
 * file: `const redis = await startRedis(); … await redis.close();`
 */
export async function startRedis(): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'redis-test-'));
  let child: ChildProcess | undefined;
  const clients: Redis[] = [];

  async function start(): Promise<void> {
    const proc = spawn(
      REDIS_SERVER_BIN,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += String(data);
        if (output.includes('Ready to accept connections')) {
          proc.stdout?.off('data', onData);
          resolve();
        }
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', (data: Buffer) => {
        output += String(data);
      });
      proc.once('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${output}`)));
      proc.once('error', reject);
    });
    // Keep draining so a chatty server never blocks on a full pipe.
    proc.stdout?.resume();
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    await exited;
  }

  await start();
  const url = `redis://127.0.0.1:${port}/0`;
  return {
    url,
    port,
    get pid() {
      return child?.pid;
    },
    start,
    stop,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      // Tests stop the server on purpose; the reconnect errors are expected, not worth a warning.
      c.on('error', () => {});
      clients.push(c);
      return c;
    },
    async flush() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      await c.flushall();
      c.disconnect();
    },
    async close() {
      for (const c of clients) c.disconnect();
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
