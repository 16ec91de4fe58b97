import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { beforeAll } from 'vitest';

export const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

const BUILD_ROOT = path.join(REPO_ROOT, '.vitest-tmp');
const BUILD_DIR = path.join(BUILD_ROOT, 'build');
const BUILD_STAMP = path.join(BUILD_ROOT, 'build.stamp');
const BUILD_LOCK = path.join(BUILD_ROOT, 'build.lock');
const SOURCE_DIRS = ['src', 'mcp-servers'];

/** Newest modification time among the sources the build compiles. */
function newestSource(): number {
  let newest = 0;
  const visit = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) visit(full);
      else newest = Math.max(newest, statSync(full).mtimeMs);
    }
  };
  for (const dir of SOURCE_DIRS) visit(path.join(REPO_ROOT, dir));
  return newest;
}

function buildIsFresh(): boolean {
  return existsSync(BUILD_STAMP) && statSync(BUILD_STAMP).mtimeMs >= newestSource();
}

/**
 * The server compiled once per change of the sources and shared by every process test (a start of
 * compiled JavaScript takes a fraction of a tsx start). Test files run in parallel processes: the
 * first to take the lock file builds, the others wait for its stamp.
 */
export function ensureServerBuild(): string {
  if (buildIsFresh()) return BUILD_DIR;
  mkdirSync(BUILD_ROOT, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    let lock: number | undefined;
    try {
      lock = openSync(BUILD_LOCK, 'wx');
    } catch {
      // Another test file is building; a lock older than the deadline is left over from a killed run.
      if (existsSync(BUILD_LOCK) && Date.now() - statSync(BUILD_LOCK).mtimeMs > 120_000)
        rmSync(BUILD_LOCK, { force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for the shared server build');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      if (buildIsFresh()) return BUILD_DIR;
      continue;
    }
    try {
      if (buildIsFresh()) return BUILD_DIR;
      const startedAt = Date.now();
      execFileSync(
        process.execPath,
        [
          path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'),
          '-p',
          'tsconfig.build.json',
          '--outDir',
          BUILD_DIR,
          '--incremental',
          '--tsBuildInfoFile',
          path.join(BUILD_ROOT, 'build.tsbuildinfo'),
          '--sourceMap',
          'false',
        ],
        { cwd: REPO_ROOT, stdio: 'pipe' },
      );
      writeFileSync(BUILD_STAMP, '');
      // The stamp carries the time the build started, so an edit made during the build triggers another.
      utimesSync(BUILD_STAMP, new Date(startedAt), new Date(startedAt));
      return BUILD_DIR;
    } finally {
      closeSync(lock);
      rmSync(BUILD_LOCK, { force: true });
    }
  }
}

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Builds (or reuses) the shared compiled server before a file's tests, under a timeout generous
 * enough for a loaded machine, so that no single test pays for the build inside its own limit.
 */
export function useServerBuild(): void {
  beforeAll(() => {
    ensureServerBuild();
  }, 300_000);
}

/**
 * Runs a real entry point (by default src/server.ts) as a child process with the given env, from the
 * shared compiled build, as `npm start` runs it.
 */
export function spawnServer(
  env: Record<string, string>,
  entry = 'src/server.ts',
): ServerProcess & { exited: Promise<number | null> } {
  const compiled = path.join(ensureServerBuild(), entry.replace(/\.ts$/, '.js'));
  const child = spawn(process.execPath, [compiled], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += String(d);
  });
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exited,
    baseUrl: `http://127.0.0.1:${env.SERVER_PORT}`,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Polls until the URL answers (any status) or the process dies. */
export async function waitForHttp(url: string, proc: ServerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) throw new Error(`server exited early:\n${proc.output()}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server did not answer at ${url}:\n${proc.output()}`);
}
