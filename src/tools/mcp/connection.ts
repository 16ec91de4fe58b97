import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Tool } from '../registry.js';
import { type BackoffOptions, backoffDelay } from './backoff.js';
import {
  classifyMcpError,
  describeMcpError,
  isDroppedConnection,
  McpConnectionDroppedError,
} from './errors.js';

export type McpConnectionState = 'disabled' | 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** One live session with the server. */
export interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  tools: Tool[];
  server?: { name: string; version: string };
  ping?: Promise<boolean>;
  /** Calls waiting for their answer; aborted at once when the connection drops under them. */
  pending: Set<AbortController>;
}

export interface McpConnectionOptions {
  url: string | undefined;
  /** For logs and messages, with credentials masked. */
  maskedUrl: string | undefined;
  required: boolean;
  connectTimeoutMs: number;
  backoff: BackoffOptions;
  pingIntervalMs: number;
  clientInfo: { name: string; version: string };
  /** Replaces the global fetch for the MCP requests (e.g. to carry the trace context). */
  fetch?: (url: string | URL, init?: RequestInit) => Promise<Response>;
  /** Turns the server's tool definitions into registry tools. */
  adapt: (definitions: readonly McpToolDefinition[]) => Tool[];
  logger: Logger;
}

const MAX_TOOL_PAGES = 20;

/**
 * The connection lifecycle: connect and list the tools, keep the connection checked with pings,
 * notice when it breaks (a failed call, a closed transport, a broken response stream) and reconnect
 * in the background with exponential backoff.
 */
export function createMcpConnection(options: McpConnectionOptions) {
  const { url, maskedUrl, required, connectTimeoutMs, backoff, pingIntervalMs, clientInfo, logger } = options;

  let state: McpConnectionState = url ? 'idle' : 'disabled';
  let current: Connection | undefined;
  let lastError: string | undefined;
  let attempt = 0;
  let reconnectTimer: NodeJS.Timeout | undefined;
  let nextRetryAt: number | undefined;
  let reconnecting = false;
  let pingTimer: NodeJS.Timeout | undefined;

  // A function rather than an inline comparison: `state` changes while awaits are pending.
  const isClosed = () => state === 'closed';

  async function closeQuietly(conn: Connection): Promise<void> {
    try {
      await conn.client.close();
    } catch (err) {
      logger.debug({ err: describeMcpError(err) }, 'MCP client close failed');
    }
  }

  /** Lets a session-based server free its session at once; a server that is gone may not delay shutdown. */
  async function endSession(conn: Connection): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.min(connectTimeoutMs, 1000));
    });
    const terminate = conn.transport.terminateSession().catch((err: unknown) => {
      logger.debug({ err: describeMcpError(err) }, 'MCP session termination failed');
    });
    await Promise.race([terminate, limit]);
    clearTimeout(timer);
  }

  async function listAllTools(client: Client): Promise<McpToolDefinition[]> {
    const all: McpToolDefinition[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_TOOL_PAGES; page++) {
      const result = await client.listTools(cursor ? { cursor } : {}, { timeout: connectTimeoutMs });
      all.push(...result.tools);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return all;
  }

  /**
   * One connection attempt: initialize, then list the tools, each request under connectTimeoutMs.
   * (Timeouts rather than an AbortSignal: the SDK never detaches a request's abort listener, so a
   * deadline signal would send stray cancellations for requests that had long succeeded.)
   */
  async function connect(target: string): Promise<Connection> {
    const transport = new StreamableHTTPClientTransport(
      new URL(target),
      options.fetch ? { fetch: options.fetch } : undefined,
    );
    const conn: Connection = {
      transport,
      tools: [],
      pending: new Set(),
      client: new Client(clientInfo, {
        listChanged: {
          tools: {
            onChanged: (err, definitions) => {
              if (err || !definitions || current !== conn) return;
              conn.tools = options.adapt(definitions);
              logger.info({ tools: conn.tools.map((t) => t.name) }, 'MCP tool list changed');
            },
          },
        },
      }),
    };
    conn.client.onerror = (err) => {
      logger.debug({ err: describeMcpError(err) }, 'MCP transport error');
      // The SDK reports a response stream that broke off here, but leaves its request pending until
      // the call's timeout: the calls on this connection are failed now instead.
      if (conn.pending.size > 0 && isDroppedConnection(err)) drop(conn, describeMcpError(err));
    };
    conn.client.onclose = () => lose(conn, 'connection closed');
    try {
      await conn.client.connect(transport, { timeout: connectTimeoutMs });
      conn.tools = options.adapt(await listAllTools(conn.client));
      const version = conn.client.getServerVersion();
      if (version) conn.server = { name: version.name, version: version.version };
      return conn;
    } catch (err) {
      await closeQuietly(conn);
      if (classifyMcpError(err) === 'timeout') {
        throw new Error(`no answer within ${connectTimeoutMs} ms`, { cause: err });
      }
      throw err;
    }
  }

  function adopt(conn: Connection): void {
    current = conn;
    state = 'connected';
    attempt = 0;
    lastError = undefined;
    clearInterval(pingTimer);
    pingTimer = setInterval(() => {
      if (current) void ping(current);
    }, pingIntervalMs);
    pingTimer.unref();
  }

  /** Fails every call pending on the connection with McpConnectionDroppedError, then forgets it. */
  function drop(conn: Connection, reason: string): void {
    const dropped = new McpConnectionDroppedError(reason);
    for (const call of conn.pending) call.abort(dropped);
    conn.pending.clear();
    lose(conn, reason);
  }

  /** Forgets a broken connection (once, however many calls notice it) and starts reconnecting. */
  function lose(conn: Connection, reason: string): void {
    if (current !== conn || state === 'closed') return;
    current = undefined;
    clearInterval(pingTimer);
    pingTimer = undefined;
    lastError = reason;
    state = 'reconnecting';
    attempt = 0;
    logger.warn(
      { url: maskedUrl, reason },
      'MCP server connection lost; its tools are unavailable until it is back',
    );
    void closeQuietly(conn);
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (state === 'closed' || !url || reconnectTimer || reconnecting) return;
    const delay = backoffDelay(attempt, backoff);
    nextRetryAt = Date.now() + delay;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      nextRetryAt = undefined;
      void reconnect(url);
    }, delay);
    reconnectTimer.unref();
  }

  async function reconnect(target: string): Promise<void> {
    reconnecting = true;
    let conn: Connection | undefined;
    try {
      conn = await connect(target);
    } catch (err) {
      lastError = describeMcpError(err);
      attempt++;
      logger.debug({ url: maskedUrl, attempt, reason: lastError }, 'MCP reconnection attempt failed');
    } finally {
      reconnecting = false;
    }
    if (state === 'closed') {
      if (conn) await closeQuietly(conn);
      return;
    }
    if (!conn) {
      scheduleReconnect();
      return;
    }
    adopt(conn);
    logger.info(
      { url: maskedUrl, tools: conn.tools.map((t) => t.name) },
      'MCP server reconnected; its tools are available again',
    );
  }

  /** Resolves true when the server answers; a transport failure or timeout marks the connection lost. */
  function ping(conn: Connection): Promise<boolean> {
    conn.ping ??= conn.client
      .ping({ timeout: connectTimeoutMs })
      .then(
        () => true,
        (err: unknown) => {
          // An error answer still proves the server is there.
          if (classifyMcpError(err) === 'protocol') return true;
          lose(conn, `ping failed: ${describeMcpError(err)}`);
          return false;
        },
      )
      .finally(() => {
        conn.ping = undefined;
      });
    return conn.ping;
  }

  return {
    /** The live connection, if any. */
    current: (): Connection | undefined => current,
    lose,
    ping,
    /** What status and readiness report. */
    snapshot() {
      return {
        state,
        lastError,
        nextRetryInMs: nextRetryAt === undefined ? undefined : Math.max(0, nextRetryAt - Date.now()),
      };
    },

    /**
     * Connects and lists the tools. Unreachable: rejects when `required` (naming the URL), else logs
     * a warning and keeps reconnecting in the background.
     */
    async start(): Promise<void> {
      if (!url || state !== 'idle') return;
      state = 'connecting';
      try {
        const conn = await connect(url);
        if (isClosed()) {
          await closeQuietly(conn);
          return;
        }
        adopt(conn);
        logger.info(
          { url: maskedUrl, server: conn.server, tools: conn.tools.map((t) => t.name) },
          'MCP server connected',
        );
      } catch (err) {
        if (isClosed()) return;
        lastError = describeMcpError(err);
        if (required) {
          state = 'idle';
          throw new Error(
            `MCP server ${maskedUrl} is unreachable (${lastError}). MCP_SERVER_REQUIRED=true, so the service ` +
              'cannot start without it: start the MCP server, or set MCP_SERVER_REQUIRED=false.',
            { cause: err },
          );
        }
        state = 'reconnecting';
        logger.warn(
          { url: maskedUrl, reason: lastError },
          `MCP server not reachable at ${maskedUrl}; continuing without its tools and retrying in the background`,
        );
        scheduleReconnect();
      }
    },

    /** Stops reconnecting and pinging and closes the connection. Safe to call more than once. */
    async close(): Promise<void> {
      if (state === 'closed') return;
      state = url ? 'closed' : 'disabled';
      clearTimeout(reconnectTimer);
      clearInterval(pingTimer);
      reconnectTimer = undefined;
      pingTimer = undefined;
      nextRetryAt = undefined;
      const conn = current;
      current = undefined;
      if (!conn) return;
      if (conn.transport.sessionId) await endSession(conn);
      await closeQuietly(conn);
    },
  };
}

export type McpConnection = ReturnType<typeof createMcpConnection>;
