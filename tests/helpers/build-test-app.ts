import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import { type App, type AppDeps, buildApp } from '../../src/app.js';
import { type AppConfig, loadConfig } from '../../src/config/index.js';
import { createReadinessRegistry } from '../../src/health/readiness.js';
import { createMemorySessionStore, memorySessionStoreOptions } from '../../src/sessions/memory-store.js';
import { registerCoreChecks } from '../../src/startup/core-checks.js';
import { createMemoryTurnLock } from '../../src/turns/memory-turn-lock.js';

/** Env every test app starts from: nothing on disk, no network dependencies. */
export const TEST_ENV: Record<string, string> = {
  LOG_TO_FILE: 'false',
  LOG_LEVEL: 'silent',
  MCP_SERVER_URL: '',
  LLM_PROVIDER: 'offline',
  DEMO_ORDERS: 'false',
};

export function testConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ ...TEST_ENV, ...env });
}

/** A logger whose JSON lines the test can read back. */
export function captureLogger(level = 'info'): {
  logger: Logger;
  lines: () => Array<Record<string, unknown>>;
  text: () => string;
} {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const logger = pino({ level }, sink);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

export async function buildTestApp(
  env: Record<string, string> = {},
  overrides: Partial<AppDeps> = {},
  beforeReady?: (app: App) => void,
) {
  const config = overrides.config ?? testConfig(env);
  const sessions = overrides.sessions ?? createMemorySessionStore(memorySessionStoreOptions(config));
  const turnLock = overrides.turnLock ?? createMemoryTurnLock();
  const readiness = overrides.readiness ?? createReadinessRegistry({ timeoutMs: 500 });
  if (!overrides.readiness) registerCoreChecks(readiness, sessions);
  const app = await buildApp({
    logger: pino({ level: 'silent' }),
    ...overrides,
    config,
    sessions,
    turnLock,
    readiness,
  });
  app.addHook('onClose', async () => {
    await sessions.close();
  });
  beforeReady?.(app);
  await app.ready();
  return { app, config, sessions, turnLock, readiness };
}
