import { config as loadDotenv } from 'dotenv';
import { pino } from 'pino';
import { readComplaintsEnv } from './env.js';
import { startComplaintsServer } from './start-server.js';

// Entry point of the reference complaints MCP server (`npm run mcp:complaints`, or
// `node dist/mcp-servers/complaints/server.js` in the container).
loadDotenv({ quiet: true });

let env: ReturnType<typeof readComplaintsEnv>;
try {
  env = readComplaintsEnv(process.env);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}

const logger = pino({ name: 'complaints-mcp', level: env.logLevel });

let server: Awaited<ReturnType<typeof startComplaintsServer>>;
try {
  server = await startComplaintsServer({ port: env.port, host: env.host, dbPath: env.dbPath, logger });
} catch (err) {
  logger.fatal({ err }, `complaints MCP server could not start on ${env.host}:${env.port}`);
  process.exit(1);
}
logger.info({ url: server.url, db: env.dbPath }, `complaints MCP server listening on ${server.url}`);

let stopping = false;
async function shutdown(signal: NodeJS.Signals): Promise<void> {
  // Repeats are expected, not a request to die: tsx relays the signal a terminal already sent to us.
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  // A request that never ends must not keep the process alive forever.
  setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000).unref();
  try {
    await server.close();
    logger.info('complaints MCP server stopped');
    process.exitCode = 0;
  } catch (err) {
    logger.error({ err }, 'error while shutting down');
    process.exitCode = 1;
  }
}

process.on('SIGINT', (signal) => void shutdown(signal));
process.on('SIGTERM', (signal) => void shutdown(signal));
