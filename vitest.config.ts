import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/**
 * Coverage (v8) runs where it is enforced — CI (`CI=true`, as `.ci/run` sets it) — or when asked with
 * `COVERAGE=1 npx vitest run`; a local `npm test` stays fast without it.
 */
const coverage = process.env.CI === 'true' || process.env.COVERAGE === '1';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Most test time is spent waiting on child processes, servers and sockets, so two workers keep
    // two cores busy where vitest's default (cores - 1) would run one file at a time.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // A worker runs file after file in one module graph instead of re-importing Fastify, zod, the
    // SDKs and the app for every file. Files keep their state to themselves all the same: each
    // starts and closes what it uses (servers, databases, temp folders) in its own hooks.
    isolate: false,
    // One PostgreSQL server for the run (tests/helpers/postgres-server.ts, sharedPostgres()).
    globalSetup: ['tests/global-setup.ts'],
    reporters: ['default'],
    coverage: {
      enabled: coverage,
      provider: 'v8',
      include: ['src/**/*.ts'],
      // The web page's script and styles run in the browser (the Chromium tests exercise them).
      exclude: ['src/web/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: '.vitest-tmp/coverage',
      thresholds: { lines: 90, branches: 80 },
    },
  },
});
