import type { TestProject } from 'vitest/node';
import { postgresServerAvailable, startPostgres } from './helpers/postgres-server.js';

/**
 * Once per `vitest run`, before any test file: one PostgreSQL server for every file that only needs
 * databases on it (`sharedPostgres()`), instead of a server start and shutdown in each of them.
 * Files that stop or restart Postgres keep starting their own with `startPostgres()`.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!postgresServerAvailable()) {
    project.provide('postgres', null);
    return async () => {};
  }
  const server = await startPostgres({ database: 'run' });
  project.provide('postgres', { baseUrl: server.url.replace(/\/run$/, ''), port: server.port });
  return () => server.close();
}
