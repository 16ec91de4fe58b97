import type { z } from 'zod';
import { abortReason, childAbort } from '../lib/abort.js';
import { type ToolContext, ToolError, type ToolSet } from '../tools/registry.js';
import type { ModelToolCall } from './types.js';

/** Large enough for a page of orders, small enough not to flood the model's context. */
export const MAX_TOOL_RESULT_CHARS = 16_384;

/** Stored for a call that was still running when the turn was interrupted. */
export const INTERRUPTED_RESULT = JSON.stringify({
  error: 'The turn was interrupted before this call finished; its outcome is unknown.',
});

export interface ToolOutcome {
  status: 'ok' | 'error';
  /** The text the model reads (JSON for objects and errors), already truncated. */
  content: string;
}

export type ParsedArguments = { ok: true; value: unknown } | { ok: false; raw: string };

/** Some models send an empty string for a call without parameters. */
export function parseArguments(raw: string): ParsedArguments {
  if (raw.trim() === '') return { ok: true, value: {} };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, raw };
  }
}

export interface ToolRunOptions {
  timeoutMs: number;
  maxResultChars: number;
}

/**
 * Runs one call under its own timeout. Every failure the model should explain (unknown tool, invalid
 * arguments, ToolError, an unexpected throw, a timeout) resolves as an error outcome; the promise
 * rejects only when the turn itself is aborted.
 */
export async function runToolCall(
  call: ModelToolCall,
  args: ParsedArguments,
  tools: ToolSet,
  ctx: ToolContext,
  options: ToolRunOptions,
): Promise<ToolOutcome> {
  const errorOutcome = (body: Record<string, unknown>): ToolOutcome => ({
    status: 'error',
    content: truncate(JSON.stringify(body), options.maxResultChars),
  });

  const tool = tools.get(call.name);
  if (!tool) {
    const available = tools.specs().map((spec) => spec.name);
    return errorOutcome({
      error: `Unknown tool "${call.name}". ${available.length > 0 ? `Available tools: ${available.join(', ')}.` : 'No tools are available.'}`,
    });
  }
  if (!args.ok) {
    return errorOutcome({ error: `The arguments for ${call.name} are not valid JSON.` });
  }
  const parsed = tool.quickParse?.(args.value) ?? tool.parameters.safeParse(args.value);
  if (!parsed.success) {
    return errorOutcome({
      error: `Invalid arguments for ${call.name}.`,
      issues: parsed.error.issues.map(describeIssue),
    });
  }

  // Aborted by the turn (with its reason) or by the timeout (without one).
  const child = childAbort(ctx.signal);
  const timer = setTimeout(() => child.abort(), options.timeoutMs);
  const { signal } = child;
  try {
    const value = await child.race(
      Promise.resolve().then(() => tool.execute(parsed.data, { ...ctx, signal })),
    );
    return { status: 'ok', content: truncate(serialise(value), options.maxResultChars) };
  } catch (err) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    if (signal.aborted) {
      ctx.logger.warn({ tool_call_id: call.id, timeout_ms: options.timeoutMs }, 'tool call timed out');
      return errorOutcome({ error: `The ${call.name} call timed out after ${options.timeoutMs} ms.` });
    }
    if (err instanceof ToolError) {
      const { error: _shadowed, ...details } = err.details ?? {};
      return errorOutcome({ error: err.message, ...details });
    }
    ctx.logger.error({ err, tool_call_id: call.id }, 'tool call failed unexpectedly');
    return errorOutcome({ error: `The ${call.name} call failed because of an internal error.` });
  } finally {
    clearTimeout(timer);
    child.dispose();
  }
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path.map(String).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** A string result (e.g. MCP text content) is passed as it is; anything else as JSON. */
function serialise(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return JSON.stringify({ status: 'ok' });
  return JSON.stringify(value);
}

export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… [truncated ${text.length - max} characters]`;
}
