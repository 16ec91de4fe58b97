import type { Logger } from 'pino';
import { maskUrlCredentials } from '../../config/index.js';
import type { Tool } from '../registry.js';
import { type BackoffOptions, DEFAULT_BACKOFF } from './backoff.js';
import { createMcpCalls } from './calls.js';
import { createMcpConnection } from './connection.js';
import { adaptRemoteTools } from './remote-tools.js';
import { createMcpStatus } from './status.js';

export { REQUEST_META_KEY, TENANT_META_KEY } from './calls.js';
export type { McpConnectionState } from './connection.js';
export type { McpSourceStatus } from './status.js';

export interface McpToolSourceOptions {
  /** Streamable HTTP endpoint; empty or undefined disables the source. */
  url: string | undefined;
  /** When true, start() rejects if the server is unreachable, and readiness treats it as critical. */
  required: boolean;
  connectTimeoutMs: number;
  callTimeoutMs: number;
  /** Names already used by local tools; a remote tool with such a name gets the `complaints_` prefix. */
  localToolNames: (name: string) => boolean;
  logger: Logger;
  /** Reconnection delays; default 1 s doubling up to 30 s. */
  backoff?: BackoffOptions;
  /** How often an idle connection is pinged to notice a server that went away; default 15 s. */
  pingIntervalMs?: number;
  clientInfo?: { name: string; version: string };
  /** Replaces the global fetch for the MCP requests (e.g. to carry the trace context). */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
}

/**
 * The tools of one remote MCP server (Streamable HTTP), kept available across outages: the server
 * may be down at start or go away later; calls then fail with a ToolError the model can explain,
 * readiness reports it, and a background loop reconnects with exponential backoff and re-lists the
 * tools, which the registry picks up at the next turn. Composed of the connection lifecycle
 * (connection.ts), the calls and their error mapping (calls.ts) and status/readiness (status.ts).
 */
export function createMcpToolSource(options: McpToolSourceOptions) {
  const { logger, required } = options;
  const url = options.url?.trim() || undefined;
  const maskedUrl = url ? maskUrlCredentials(url) : undefined;

  const connection = createMcpConnection({
    url,
    maskedUrl,
    required,
    connectTimeoutMs: options.connectTimeoutMs,
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    pingIntervalMs: options.pingIntervalMs ?? 15_000,
    clientInfo: options.clientInfo ?? { name: 'customer-service-agent', version: '1.0.0' },
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Called only once connected, by which time `calls` exists.
    adapt: (definitions) =>
      adaptRemoteTools(definitions, { isLocalName: options.localToolNames, call: calls.call, logger }),
    logger,
  });
  const calls = createMcpCalls({ connection, callTimeoutMs: options.callTimeoutMs });
  const status = createMcpStatus({ connection, url, maskedUrl, required });

  return {
    start: connection.start,
    /** The tools of the live connection; empty while disconnected. Safe to pass as a registry provider. */
    tools(): readonly Tool[] {
      return connection.current()?.tools ?? [];
    },
    readinessCheck: status.readinessCheck,
    status: status.status,
    close: connection.close,
  };
}

export type McpToolSource = ReturnType<typeof createMcpToolSource>;
