import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type Logger, pino } from 'pino';
import { startMcpHttpServer } from './http.js';
import { openComplaintsStore } from './store.js';
import { registerComplaintTools } from './tools.js';

export const SERVER_NAME = 'complaints';
export const SERVER_VERSION = '1.0.0';

export interface ComplaintsServerOptions {
  port: number;
  host: string;
  dbPath: string;
  logger?: Logger;
  shutdownGraceMs?: number;
}

export interface RunningComplaintsServer {
  /** MCP endpoint, e.g. http://127.0.0.1:8000/mcp */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight calls finish, then closes the database. Safe to call twice. */
  close(): Promise<void>;
}

export async function startComplaintsServer(
  options: ComplaintsServerOptions,
): Promise<RunningComplaintsServer> {
  const logger = options.logger ?? pino({ name: 'complaints-mcp' });
  const store = openComplaintsStore(options.dbPath);
  let http: Awaited<ReturnType<typeof startMcpHttpServer>>;
  try {
    http = await startMcpHttpServer({
      port: options.port,
      host: options.host,
      logger,
      isHealthy: store.isHealthy,
      ...(options.shutdownGraceMs === undefined ? {} : { shutdownGraceMs: options.shutdownGraceMs }),
      createMcpServer: () => {
        const server = new McpServer(
          { name: SERVER_NAME, version: SERVER_VERSION },
          { instructions: 'Customer complaints: file, look up, list and update the status of complaints.' },
        );
        registerComplaintTools(server, store, logger);
        return server;
      },
    });
  } catch (err) {
    store.close();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    url: http.url,
    port: http.port,
    close() {
      closing ??= http.close().finally(() => store.close());
      return closing;
    },
  };
}
