import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { type ToolContext, ToolError } from '../registry.js';
import type { McpConnection } from './connection.js';
import { classifyMcpError, describeMcpError, McpConnectionDroppedError, withoutMcpPrefix } from './errors.js';
import { resultOutput, resultText } from './remote-tools.js';

/**
 * Sent in every call's `_meta` so that a multi-tenant server can scope its data by the turn's tenant
 * (the reference complaints server does). The model never supplies it.
 */
export const TENANT_META_KEY = 'cs-agent/tenant_id';
export const REQUEST_META_KEY = 'cs-agent/request_id';

const unreachable = (localName: string) =>
  new ToolError(
    `${localName} failed: the MCP server could not be reached. ` +
      'It is being reconnected in the background; try again in a minute.',
  );

/**
 * Tool calls on the live connection, and what each failure means for the model: unavailable,
 * cancelled, timed out (outcome unknown), refused by the server, or the server unreachable (which
 * also marks the connection lost).
 */
export function createMcpCalls(options: { connection: McpConnection; callTimeoutMs: number }) {
  const { connection, callTimeoutMs } = options;

  async function call(
    remoteName: string,
    localName: string,
    args: Record<string, unknown>,
    ctx: ToolContext,
  ): Promise<unknown> {
    const conn = connection.current();
    if (!conn) {
      throw new ToolError(
        `${localName} is unavailable: the MCP server that provides it is not reachable right now. ` +
          'It is being reconnected in the background; try again in a minute.',
      );
    }
    if (ctx.signal.aborted) throw new ToolError(`${localName} was cancelled.`);
    // The turn's signal outlives the call; a per-call signal, detached afterwards, keeps the SDK from
    // cancelling a finished request when the turn ends later. The connection aborts it when it drops.
    const callAbort = new AbortController();
    const onTurnAbort = () => callAbort.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onTurnAbort, { once: true });
    conn.pending.add(callAbort);
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
      if (callAbort.signal.reason instanceof McpConnectionDroppedError) {
        ctx.logger.warn({ tool: localName, reason: callAbort.signal.reason.message }, 'MCP tool call failed');
        throw unreachable(localName);
      }
      const kind = classifyMcpError(err);
      const reason = describeMcpError(err);
      ctx.logger.warn({ tool: localName, kind, reason }, 'MCP tool call failed');
      if (kind === 'timeout') {
        throw new ToolError(
          `${localName} did not answer within ${callTimeoutMs} ms; its outcome is unknown.`,
        );
      }
      if (kind === 'protocol') throw new ToolError(`${localName} was refused by the MCP server: ${reason}`);
      connection.lose(conn, reason);
      throw unreachable(localName);
    } finally {
      conn.pending.delete(callAbort);
      ctx.signal.removeEventListener('abort', onTurnAbort);
    }
    if (result.isError) {
      throw new ToolError(
        withoutMcpPrefix(resultText(result).trim()) || `${localName} failed on the MCP server.`,
      );
    }
    return resultOutput(result);
  }

  return { call };
}
