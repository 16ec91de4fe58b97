import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, type TestPostgres } from './postgres-server.js';

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres();
});
afterAll(() => server.close());

describe('the Postgres test server', () => {
  it('serves a database on loopback that keeps what is written', async () => {
    expect(server.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
    await server.query('CREATE TABLE notes (body text)');
    await server.query('INSERT INTO notes VALUES ($1)', ['kept']);
    expect(await server.query('SELECT body FROM notes')).toEqual([{ body: 'kept' }]);
  });

  it('creates databases that are empty and separate from each other', async () => {
    const first = await server.createDatabase();
    const second = await server.createDatabase();
    expect(first).not.toBe(second);
    await server.query('CREATE TABLE only_here (n int)', [], first);
    const tables = await server.query(
      "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'only_here'",
      [],
      second,
    );
    expect(tables).toEqual([{ n: 0 }]);
  });

  it('refuses connections while stopped and serves the same data once started again', async () => {
    await server.query('CREATE TABLE survivors (n int)');
    await server.query('INSERT INTO survivors VALUES (7)');
    await server.stop();
    const client = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2000 });
    await expect(client.connect()).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await server.start();
    expect(await server.query('SELECT n FROM survivors')).toEqual([{ n: 7 }]);
  });

  it('removes its folder on close, and a second server runs beside the first', async () => {
    const other = await startPostgres({ database: 'other' });
    expect(other.port).not.toBe(server.port);
    expect(await other.query('SELECT current_database() AS db')).toEqual([{ db: 'other' }]);
    const where = (await other.query<{ dir: string }>("SELECT current_setting('data_directory') AS dir"))[0]!;
    await other.close();
    expect(existsSync(where.dir)).toBe(false);
  });
});
