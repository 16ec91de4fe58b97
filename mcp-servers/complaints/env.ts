import { z } from 'zod';

// This server is a separate program from the agent API, so it validates its own few variables
// instead of importing the API's config schema.
const blankAsUnset = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const LOG_LEVELS = {
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
} as const;

const envSchema = z.object({
  COMPLAINTS_MCP_PORT: z.preprocess(blankAsUnset, z.coerce.number().int().min(0).max(65535).default(8000)),
  COMPLAINTS_MCP_HOST: z.preprocess(blankAsUnset, z.string().trim().min(1).default('127.0.0.1')),
  COMPLAINTS_DB_PATH: z.preprocess(blankAsUnset, z.string().trim().min(1).default('./data/complaints.db')),
  // Shared with the API so that one .env sets the verbosity of both programs (seed values are upper case).
  LOG_LEVEL: z.preprocess(
    (value) => (typeof value === 'string' ? value.trim().toLowerCase() || undefined : value),
    z.enum(Object.keys(LOG_LEVELS) as [keyof typeof LOG_LEVELS]).default('info'),
  ),
});

export interface ComplaintsEnv {
  port: number;
  host: string;
  dbPath: string;
  logLevel: (typeof LOG_LEVELS)[keyof typeof LOG_LEVELS];
}

/** Throws an Error whose message names every invalid variable. */
export function readComplaintsEnv(env: NodeJS.ProcessEnv): ComplaintsEnv {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  - ${issue.path.join('.')}: ${issue.message}`);
    throw new Error(`Invalid complaints MCP server configuration:\n${lines.join('\n')}`);
  }
  const { COMPLAINTS_MCP_PORT, COMPLAINTS_MCP_HOST, COMPLAINTS_DB_PATH, LOG_LEVEL } = parsed.data;
  return {
    port: COMPLAINTS_MCP_PORT,
    host: COMPLAINTS_MCP_HOST,
    dbPath: COMPLAINTS_DB_PATH,
    logLevel: LOG_LEVELS[LOG_LEVEL],
  };
}
