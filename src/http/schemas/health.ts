import { z } from 'zod';

export const healthSchema = z.object({
  status: z.literal('healthy'),
  timestamp: z.string(),
  version: z.string(),
  uptime_seconds: z.number(),
});

export const livenessSchema = z.object({ status: z.literal('alive'), timestamp: z.string() });

const checkSchema = z.object({
  status: z.enum(['healthy', 'degraded', 'unavailable', 'unhealthy', 'disabled']),
  critical: z.boolean(),
  duration_ms: z.number(),
  message: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'not_ready']),
    timestamp: z.string(),
    checks: z.record(z.string(), checkSchema),
    warnings: z.array(z.string()),
  })
  .meta({
    example: {
      status: 'degraded',
      timestamp: '2026-01-01T12:00:00.000Z',
      checks: {
        api: { status: 'healthy', critical: true, duration_ms: 0 },
        mcp_server: {
          status: 'unavailable',
          critical: false,
          duration_ms: 1,
          message: 'MCP server not reachable at http://localhost:8000/mcp',
        },
      },
      warnings: ['MCP server not reachable at http://localhost:8000/mcp'],
    },
  });
