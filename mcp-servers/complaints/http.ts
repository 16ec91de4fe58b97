import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Logger } from 'pino';

export interface McpHttpServerOptions {
  port: number;
  host: string;
  /** Endpoint of the MCP protocol; default `/mcp`. */
  path?: string;
  /** Builds a fresh MCP server for one request (stateless mode). */
  createMcpServer: () => McpServer;
  /** Answers GET /health: 200 when true, 503 otherwise. */
  isHealthy?: () => boolean;
  logger: Logger;
  /** How long close() lets in-flight requests finish before cutting their connections. */
  shutdownGraceMs?: number;
}

export interface RunningMcpHttpServer {
  /** The MCP endpoint, with a loopback host when bound to every interface. */
  url: string;
  port: number;
  close(): Promise<void>;
}

function sendJson(
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function jsonRpcError(
  res: http.ServerResponse,
  status: number,
  message: string,
  headers?: Record<string, string>,
) {
  sendJson(res, status, { jsonrpc: '2.0', error: { code: -32000, message }, id: null }, headers);
}

function displayHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Serves an MCP server over Streamable HTTP with plain node:http. Stateless mode, as the SDK
 * recommends for servers that keep no per-client state: each POST gets its own server and transport,
 * so a restart of this process never strands a client on an unknown session id.
 */
export async function startMcpHttpServer(options: McpHttpServerOptions): Promise<RunningMcpHttpServer> {
  const { logger } = options;
  const mcpPath = options.path ?? '/mcp';
  const graceMs = options.shutdownGraceMs ?? 5000;

  async function handleMcp(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      // No server-initiated stream and no session to delete in stateless mode.
      jsonRpcError(res, 405, 'Method not allowed.', { allow: 'POST' });
      return;
    }
    const server = options.createMcpServer();
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (err) {
      logger.error({ err }, 'MCP request failed');
      if (!res.headersSent)
        sendJson(res, 500, {
          jsonrpc: '2.0',
          error: { code: -32603, message: 'Internal server error' },
          id: null,
        });
      else res.end();
    }
  }

  const httpServer = http.createServer((req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    logger.debug({ method: req.method, path: pathname }, 'request');
    if (pathname === '/health' && (req.method === 'GET' || req.method === 'HEAD')) {
      const healthy = options.isHealthy?.() ?? true;
      sendJson(res, healthy ? 200 : 503, { status: healthy ? 'healthy' : 'unhealthy' });
      return;
    }
    if (pathname === mcpPath) {
      void handleMcp(req, res);
      return;
    }
    sendJson(res, 404, { error: 'NOT_FOUND', message: `No route for ${req.method} ${pathname}` });
  });

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port, options.host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${displayHost(options.host)}:${port}${mcpPath}`,
    port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        const force = setTimeout(() => httpServer.closeAllConnections(), graceMs);
        force.unref();
        httpServer.close((err) => {
          clearTimeout(force);
          if (err) reject(err);
          else resolve();
        });
        httpServer.closeIdleConnections();
      });
      return closing;
    },
  };
}
