import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import { freePort } from './server-process.js';

/** Debian's PostgreSQL 15 server binaries, installed by .ci/run. */
export const POSTGRES_BIN_DIR = process.env.POSTGRES_BIN_DIR ?? '/usr/lib/postgresql/15/bin';

const SUPERUSER = 'postgres';

export function postgresServerAvailable(): boolean {
  return (
    existsSync(path.join(POSTGRES_BIN_DIR, 'initdb')) && existsSync(path.join(POSTGRES_BIN_DIR, 'postgres'))
  );
}

/**
 * initdb and the server refuse to run as root, and the tests (and CI) often do: then the server runs
 * as the `postgres` system user that Debian's package creates, and its folders are handed to it.
 */
interface RunAs {
  uid: number;
  gid: number;
}

function serverUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

function ownedBy(dir: string, user: RunAs | undefined): string {
  if (user) chownSync(dir, user.uid, user.gid);
  return dir;
}

function serverVersion(): string {
  return execFileSync(path.join(POSTGRES_BIN_DIR, 'postgres'), ['--version'], { encoding: 'utf8' }).trim();
}

/**
 * initdb takes from half a second to several on a loaded machine, copying its result a tenth of
 * that. So one initialised data folder per server version and user is kept in the temp folder and
 * copied for every server; it is never started itself. It appears atomically (initdb into a private
 * folder, then rename), so test files starting in parallel never see a half-made one.
 */
function templateDataDir(user: RunAs | undefined): string {
  const version = serverVersion().replace(/[^0-9A-Za-z.]+/g, '-');
  const template = path.join(
    os.tmpdir(),
    `pg-template-${version}-uid${user?.uid ?? process.getuid?.() ?? 0}`,
  );
  if (existsSync(path.join(template, 'PG_VERSION'))) return template;

  const work = ownedBy(mkdtempSync(path.join(os.tmpdir(), 'pg-initdb-')), user);
  const data = path.join(work, 'data');
  execFileSync(
    path.join(POSTGRES_BIN_DIR, 'initdb'),
    ['-D', data, '-U', SUPERUSER, '--auth=trust', '--no-sync', '--encoding=UTF8', '--locale=C.UTF-8'],
    { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) },
  );
  try {
    renameSync(data, template);
  } catch (err) {
    // Another test file won the race: its template is as good as ours.
    if (!existsSync(path.join(template, 'PG_VERSION'))) throw err;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return template;
}

export interface TestPostgres {
  /** `postgres://` URL of the database created at start (`test`). */
  url: string;
  port: number;
  /** Creates another empty database and returns its URL (a fresh one per test keeps tests apart). */
  createDatabase(name?: string): Promise<string>;
  /** Runs one statement as the superuser on the given database (default: the one of `url`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
    databaseUrl?: string,
  ): Promise<R[]>;
  /** Stops the server (fast shutdown: open connections are cut) and waits for it to exit; data stays. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data folder (after `stop`), e.g. to test recovery. */
  start(): Promise<void>;
  /** Stops the server for good and removes its temp folder. */
  close(): Promise<void>;
}

/**
 * A real PostgreSQL server on a free loopback port with its own temp data folder and unix-socket
 * folder, fsync off, for one test file: `const pg = await startPostgres(); … await pg.close();`
 */
export async function startPostgres(options: { database?: string } = {}): Promise<TestPostgres> {
  const user = serverUser();
  const template = templateDataDir(user);
  const port = await freePort();
  const dir = ownedBy(mkdtempSync(path.join(os.tmpdir(), 'pg-test-')), user);
  const dataDir = path.join(dir, 'data');
  const socketDir = path.join(dir, 'socket');
  // cp -a keeps the owner and the 0700 mode the server insists on.
  execFileSync('cp', ['-a', template, dataDir]);
  mkdirSync(socketDir, { mode: 0o700 });
  ownedBy(socketDir, user);

  const baseUrl = `postgres://${SUPERUSER}@127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let databaseCount = 0;

  const killOnExit = () => child?.kill('SIGQUIT');
  process.once('exit', killOnExit);

  async function start(): Promise<void> {
    if (child) return;
    const proc = spawn(
      path.join(POSTGRES_BIN_DIR, 'postgres'),
      [
        '-D',
        dataDir,
        '-p',
        String(port),
        '-k',
        socketDir,
        '-c',
        'listen_addresses=127.0.0.1',
        // Test data is disposable: never wait for the disk.
        '-c',
        'fsync=off',
        '-c',
        'synchronous_commit=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=16MB',
        '-c',
        'log_min_messages=warning',
        '-c',
        'logging_collector=off',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...(user ?? {}) },
    );
    child = proc;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (data: Buffer) => {
        output += String(data);
        if (output.includes('ready to accept connections')) resolve();
      };
      proc.stdout?.on('data', onData);
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => {
        child = undefined;
        reject(new Error(`postgres exited with ${code}:\n${output}`));
      });
      proc.once('error', reject);
    });
    // The start-up messages have been read; keep draining so the server never blocks on a full pipe.
    proc.stdout?.removeAllListeners('data');
    proc.stderr?.removeAllListeners('data');
    proc.stdout?.resume();
    proc.stderr?.resume();
  }

  /** SIGINT is the fast shutdown (roll back, cut connections, checkpoint); SIGQUIT skips the checkpoint. */
  async function stop(signal: 'SIGINT' | 'SIGQUIT' = 'SIGINT'): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  }

  async function query<R extends pg.QueryResultRow>(
    text: string,
    values: unknown[] = [],
    databaseUrl = url,
  ): Promise<R[]> {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async function createDatabase(name = `db_${++databaseCount}`): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    await query(`CREATE DATABASE ${name}`, [], `${baseUrl}/postgres`);
    return `${baseUrl}/${name}`;
  }

  const url = `${baseUrl}/${options.database ?? 'test'}`;
  try {
    await start();
    await createDatabase(options.database ?? 'test');
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    process.off('exit', killOnExit);
    throw err;
  }

  return {
    url,
    port,
    createDatabase,
    query,
    start,
    stop: () => stop(),
    async close() {
      // The data folder is deleted next, so there is nothing to checkpoint: the immediate shutdown,
      // which a loaded machine cannot stretch past the hook timeout by writing out many databases.
      await stop('SIGQUIT');
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Where the run's Postgres (started once by tests/global-setup.ts) listens, as handed to every test file. */
export interface SharedPostgresAddress {
  /** `postgres://postgres@127.0.0.1:<port>` without a database. */
  baseUrl: string;
  port: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Postgres server; null where PostgreSQL is not installed. */
    postgres: SharedPostgresAddress | null;
  }
}

async function runQuery<R extends pg.QueryResultRow>(
  databaseUrl: string,
  text: string,
  values: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/**
 * The Postgres server of the whole run (one start instead of one per file), for test files that only
 * create databases on it: every database gets a name no other file uses, and `close` drops this file's
 * databases. `stop`/`start` are refused — a test that takes the server down starts its own with
 * `startPostgres()`. Without the run-wide server (a config without the global set-up) this falls back
 * to a server of the file's own.
 */
export async function sharedPostgres(): Promise<TestPostgres> {
  const shared = inject('postgres');
  if (!shared) return startPostgres();
  const { baseUrl, port } = shared;
  const admin = `${baseUrl}/postgres`;
  // Unique across the parallel test files of the run, and within 63 characters.
  const prefix = `f${randomBytes(4).toString('hex')}`;
  const created: string[] = [];

  async function createDatabase(name = `db_${created.length + 1}`): Promise<string> {
    if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
    const unique = `${prefix}_${name}`.slice(0, 63);
    await runQuery(admin, `CREATE DATABASE ${unique}`);
    created.push(unique);
    return `${baseUrl}/${unique}`;
  }

  const url = await createDatabase('test');
  const refuse = async () => {
    throw new Error(
      'the run-wide Postgres is shared by every test file: start your own with startPostgres()',
    );
  };
  return {
    url,
    port,
    createDatabase,
    query: (text, values, databaseUrl = url) => runQuery(databaseUrl, text, values),
    stop: refuse,
    start: refuse,
    async close() {
      for (const name of created.splice(0)) {
        await runQuery(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }
    },
  };
}
