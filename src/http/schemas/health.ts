import { z } from 'zod';
import { countSchema } from './common.js';

export const healthSchema = z
  .object({
    status: z.literal('healthy'),
    timestamp: z.string(),
    version: z.string(),
    uptime_seconds: countSchema(),
  })
  .meta({ id: 'Health' });

export const livenessSchema = z
  .object({ status: z.literal('alive'), timestamp: z.string() })
  .meta({ id: 'Liveness' });

const checkSchema = z
  .object({
    status: z.enum(['healthy', 'degraded', 'unavailable', 'unhealthy', 'disabled']),
    critical: z.boolean(),
    duration_ms: countSchema(),
    message: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ReadinessCheck' });

export const readinessSchema = z
  .object({
    status: z.enum(['ready', 'degraded', 'not_ready']),
    timestamp: z.string(),
    checks: z.record(z.string(), checkSchema),
    warnings: z.array(z.string()),
  })
  .meta({
    id: 'Readiness',
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
