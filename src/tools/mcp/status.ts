import type { CheckOutcome, ReadinessCheck } from '../../health/readiness.js';
import type { McpConnection, McpConnectionState } from './connection.js';

export interface McpSourceStatus {
  enabled: boolean;
  required: boolean;
  /** With credentials masked. */
  url?: string;
  state: McpConnectionState;
  toolCount: number;
  tools: string[];
  server?: { name: string; version: string };
  lastError?: string;
  nextRetryInMs?: number;
}

interface StatusOptions {
  connection: McpConnection;
  url: string | undefined;
  maskedUrl: string | undefined;
  required: boolean;
}

/** The readiness check (a ping of the live connection) and the status for the banner and logs. */
export function createMcpStatus({ connection, url, maskedUrl, required }: StatusOptions) {
  function unavailable(): CheckOutcome {
    const { state, lastError, nextRetryInMs } = connection.snapshot();
    const details: Record<string, unknown> = { url: maskedUrl, state };
    if (lastError) details.last_error = lastError;
    if (nextRetryInMs !== undefined) details.next_retry_in_ms = nextRetryInMs;
    return { status: 'unavailable', message: `MCP server not reachable at ${maskedUrl}`, details };
  }

  return {
    readinessCheck(): ReadinessCheck {
      return {
        name: 'mcp_server',
        critical: required,
        async run(): Promise<CheckOutcome> {
          if (!url) return { status: 'disabled', message: 'MCP is disabled (MCP_SERVER_URL is empty)' };
          const conn = connection.current();
          if (!conn || !(await connection.ping(conn))) return unavailable();
          const details: Record<string, unknown> = { url: maskedUrl, tools: conn.tools.length };
          if (conn.server) details.server = `${conn.server.name} ${conn.server.version}`;
          return { status: 'healthy', message: `connected to ${maskedUrl}`, details };
        },
      };
    },

    status(): McpSourceStatus {
      const current = connection.current();
      const { state, lastError, nextRetryInMs } = connection.snapshot();
      const tools = current?.tools.map((t) => t.name) ?? [];
      const status: McpSourceStatus = {
        enabled: url !== undefined,
        required,
        state,
        toolCount: tools.length,
        tools,
      };
      if (maskedUrl) status.url = maskedUrl;
      if (current?.server) status.server = current.server;
      if (lastError && !current) status.lastError = lastError;
      if (nextRetryInMs !== undefined) status.nextRetryInMs = nextRetryInMs;
      return status;
    },
  };
}
