import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { maskUrlCredentials } from '../../config/index.js';

/**
 * - `timeout`: no answer in time; the server may still be fine (a slow tool).
 * - `protocol`: the server answered with a JSON-RPC error; the connection is fine.
 * - `transport`: the server could not be reached or the connection broke; reconnect.
 */
export type McpFailureKind = 'timeout' | 'protocol' | 'transport';

export function classifyMcpError(err: unknown): McpFailureKind {
  if (err instanceof McpError) {
    if (err.code === ErrorCode.RequestTimeout) return 'timeout';
    if (err.code === ErrorCode.ConnectionClosed) return 'transport';
    return 'protocol';
  }
  return 'transport';
}

/** Drops the SDK's "MCP error -32602: " prefix, which means nothing to a reader. */
export function withoutMcpPrefix(message: string): string {
  return message.replace(/^(?:MCP error -?\d+: )+/, '');
}

/**
 * One line for logs, readiness and the start-up error: the message plus the low-level cause that
 * fetch hides behind "fetch failed" (ECONNREFUSED, ENOTFOUND…), with any URL credentials masked.
 */
export function describeMcpError(err: unknown): string {
  if (!(err instanceof Error)) return maskUrlCredentials(String(err));
  let text = withoutMcpPrefix(err.message) || err.name;
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  if (cause && typeof cause === 'object') {
    const detail = typeof cause.message === 'string' && cause.message ? cause.message : cause.code;
    if (typeof detail === 'string' && detail && !text.includes(detail)) text += ` (${detail})`;
  }
  return maskUrlCredentials(text);
}

/** The abort reason of calls pending on a connection that broke: they fail at once, not at their timeout. */
export class McpConnectionDroppedError extends Error {
  constructor(reason: string) {
    super(`the MCP connection dropped: ${reason}`);
    this.name = 'McpConnectionDroppedError';
  }
}

/**
 * Transport errors that mean the connection under a pending call is gone (the server died, the
 * socket was reset, a response stream broke off), as opposed to a benign hiccup of the optional
 * standalone event stream.
 */
export function isDroppedConnection(err: unknown): boolean {
  return /SSE stream disconnected|fetch failed|terminated|other side closed|ECONNRESET|EPIPE|socket hang up/i.test(
    describeMcpError(err),
  );
}
