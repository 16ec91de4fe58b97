import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config/index.js';
import { createRuntime, type RuntimeOptions } from '../../src/startup/runtime.js';
import { TEST_ENV } from './build-test-app.js';

/**
 * The whole service as server.ts builds it (real SQLite file, mailer, MCP client, model, agent),
 * in a temp folder, for tests that go through HTTP end to end.
 */
export async function startFullApp(
  env: Record<string, string> = {},
  options: RuntimeOptions & { logger?: Logger; listen?: boolean; pingIntervalMs?: number } = {},
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'full-app-'));
  const config = loadConfig({
    ...TEST_ENV,
    ORDER_DB_PATH: path.join(dir, 'orders.db'),
    EMAIL_OUTBOX_DIR: path.join(dir, 'outbox'),
    ...env,
  });
  const logger = options.logger ?? pino({ level: 'silent' });
  const runtime = await createRuntime(config, logger, options);
  const app = await buildApp({
    ...runtime.deps,
    ...(options.pingIntervalMs ? { pingIntervalMs: options.pingIntervalMs } : {}),
  });
  let baseUrl = '';
  if (options.listen) {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (address && typeof address === 'object') baseUrl = `http://127.0.0.1:${address.port}`;
  } else {
    await app.ready();
  }
  return {
    app,
    config,
    runtime,
    dir,
    baseUrl,
    async close() {
      // The test is over: sockets its clients keep alive (or left half-closed by an abort) must not
      // hold the teardown for their idle timeout.
      const closing = app.close();
      if (options.listen) app.server.closeAllConnections();
      await closing;
      await runtime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type FullApp = Awaited<ReturnType<typeof startFullApp>>;

export interface SseEvent {
  type: string;
  [key: string]: unknown;
}

/** Splits an SSE body into its JSON events (comments such as `: ping` are returned separately). */
export function parseSse(text: string): { events: SseEvent[]; comments: string[] } {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  for (const block of text.split('\n\n')) {
    for (const line of block.split('\n')) {
      if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as SseEvent);
      else if (line.startsWith(':')) comments.push(line);
    }
  }
  return { events, comments };
}
