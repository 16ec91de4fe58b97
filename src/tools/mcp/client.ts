import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult, Tool as McpToolDefinition } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { maskUrlCredentials } from '../../config/index.js';
import type { CheckOutcome, ReadinessCheck } from '../../health/readiness.js';
import { type Tool, type ToolContext, ToolError } from '../registry.js';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { classifyMcpError, describeMcpError, withoutMcpPrefix } from './errors.js';
import { adaptRemoteTools, resultOutput, resultText } from './remote-tools.js';

/**
 * Sent in every call's `_meta` so that a multi-tenant server can scope its data by the turn's tenant
 * (the reference complaints server does). The model never supplies it.
 */
export const TENANT_META_KEY = 'cs-agent/tenant_id';
export const REQUEST_META_KEY = 'cs-agent/request_id';

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

export type McpConnectionState = 'disabled' | 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'closed';

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

interface Connection {
  client: Client;
  transport: StreamableHTTPClientTransport;
  tools: Tool[];
  server?: { name: string; version: string };
  ping?: Promise<boolean>;
}

const MAX_TOOL_PAGES = 20;

/**
 * The tools of one remote MCP server (Streamable HTTP), kept available across outages: the server
 * may be down at start or go away later; calls then fail with a ToolError the model can explain,
 * readiness reports it, and a background loop reconnects with exponential backoff and re-lists the
 * tools, which the registry picks up at the next turn.
 */
export function createMcpToolSource(options: McpToolSourceOptions) {
  const { logger, required, connectTimeoutMs, callTimeoutMs } = options;
  const url = options.url?.trim() || undefined;
  const maskedUrl = url ? maskUrlCredentials(url) : undefined;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const clientInfo = options.clientInfo ?? { name: 'customer-service-agent', version: '1.0.0' };

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

  function adapt(definitions: readonly McpToolDefinition[]): Tool[] {
    return adaptRemoteTools(definitions, { isLocalName: options.localToolNames, call: callRemote, logger });
  }

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
      client: new Client(clientInfo, {
        listChanged: {
          tools: {
            onChanged: (err, definitions) => {
              if (err || !definitions || current !== conn) return;
              conn.tools = adapt(definitions);
              logger.info({ tools: conn.tools.map((t) => t.name) }, 'MCP tool list changed');
            },
          },
        },
      }),
    };
    conn.client.onerror = (err) => logger.debug({ err: describeMcpError(err) }, 'MCP transport error');
    conn.client.onclose = () => lose(conn, 'connection closed');
    try {
      await conn.client.connect(transport, { timeout: connectTimeoutMs });
      conn.tools = adapt(await listAllTools(conn.client));
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

  async function callRemote(
    remoteName: string,
    localName: string,
    args: Record<string, unknown>,
    ctx: ToolContext,
  ): Promise<unknown> {
    const conn = current;
    if (!conn) {
      throw new ToolError(
        `${localName} is unavailable: the MCP server that provides it is not reachable right now. ` +
          'It is being reconnected in the background; try again in a minute.',
      );
    }
    if (ctx.signal.aborted) throw new ToolError(`${localName} was cancelled.`);
    // The turn's signal outlives the call; a per-call signal, detached afterwards, keeps the SDK from
    // cancelling a finished request when the turn ends later.
    const callAbort = new AbortController();
    const onTurnAbort = () => callAbort.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onTurnAbort, { once: true });
    let result: CallToolResult;
    try {
      result = (await conn.client.callTool(
        {
          name: remoteName,
          arguments: args,
          _meta: { [TENANT_META_KEY]: ctx.tenantId, [REQUEST_META_KEY]: ctx.requestId },
        },
        undefined,
        { timeout: callTimeoutMs, signal: callAbort.signal },
      )) as CallToolResult;
    } catch (err) {
      if (ctx.signal.aborted) throw new ToolError(`${localName} was cancelled.`);
      const kind = classifyMcpError(err);
      const reason = describeMcpError(err);
      ctx.logger.warn({ tool: localName, kind, reason }, 'MCP tool call failed');
      if (kind === 'timeout') {
        throw new ToolError(
          `${localName} did not answer within ${callTimeoutMs} ms; its outcome is unknown.`,
        );
      }
      if (kind === 'protocol') throw new ToolError(`${localName} was refused by the MCP server: ${reason}`);
      lose(conn, reason);
      throw new ToolError(
        `${localName} failed: the MCP server could not be reached. ` +
          'It is being reconnected in the background; try again in a minute.',
      );
    } finally {
      ctx.signal.removeEventListener('abort', onTurnAbort);
    }
    if (result.isError) {
      throw new ToolError(
        withoutMcpPrefix(resultText(result).trim()) || `${localName} failed on the MCP server.`,
      );
    }
    return resultOutput(result);
  }

  function unavailable(): CheckOutcome {
    const details: Record<string, unknown> = { url: maskedUrl, state };
    if (lastError) details.last_error = lastError;
    if (nextRetryAt !== undefined) details.next_retry_in_ms = Math.max(0, nextRetryAt - Date.now());
    return { status: 'unavailable', message: `MCP server not reachable at ${maskedUrl}`, details };
  }

  return {
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

    /** The tools of the live connection; empty while disconnected. Safe to pass as a registry provider. */
    tools(): readonly Tool[] {
      return current?.tools ?? [];
    },

    readinessCheck(): ReadinessCheck {
      return {
        name: 'mcp_server',
        critical: required,
        async run(): Promise<CheckOutcome> {
          if (!url) return { status: 'disabled', message: 'MCP is disabled (MCP_SERVER_URL is empty)' };
          const conn = current;
          if (!conn || !(await ping(conn))) return unavailable();
          const details: Record<string, unknown> = { url: maskedUrl, tools: conn.tools.length };
          if (conn.server) details.server = `${conn.server.name} ${conn.server.version}`;
          return { status: 'healthy', message: `connected to ${maskedUrl}`, details };
        },
      };
    },

    status(): McpSourceStatus {
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
      if (nextRetryAt !== undefined) status.nextRetryInMs = Math.max(0, nextRetryAt - Date.now());
      return status;
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

export type McpToolSource = ReturnType<typeof createMcpToolSource>;
