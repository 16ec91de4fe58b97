import { z } from 'zod';

/** Accepts the spellings operators actually type into env files. */
const bool = (fallback: boolean) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `expected true/false/1/0/yes/no, got "${v}"` });
      return z.NEVER;
    });

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      if (!/^-?\d+$/.test(v)) {
        ctx.addIssue({ code: 'custom', message: `expected an integer, got "${v}"` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be between ${min} and ${max}, got ${n}` });
        return z.NEVER;
      }
      return n;
    });

const decimal = (fallback: number, min: number, max: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return fallback;
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a number between ${min} and ${max}, got "${v}"` });
        return z.NEVER;
      }
      return n;
    });

const str = (fallback: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v));

const optionalStr = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === undefined || v === '' ? undefined : v));

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

const optionalUrl = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return undefined;
    if (isHttpUrl(v)) return v;
    ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL' });
    return z.NEVER;
  });

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/**
 * false (default): X-Forwarded-For is ignored. A number: trust that many proxy hops (the client address is
 * taken that many entries from the right, so a client cannot choose it). Addresses/CIDRs: trust only
 * those proxies. `true` trusts every hop, which lets any client pick its own address.
 */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((v, ctx): boolean | number | string[] => {
    const value = (v ?? '').toLowerCase();
    if (value === '' || ['false', '0', 'no', 'off'].includes(value)) return false;
    if (['true', 'yes', 'on'].includes(value)) return true;
    if (/^\d+$/.test(value)) return Number(value);
    const list = value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (list.every((s) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(s))) return list;
    ctx.addIssue({
      code: 'custom',
      message: 'expected false, true, a hop count, or a comma list of proxy addresses/CIDRs',
    });
    return z.NEVER;
  });

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** The seed uses Python's names (INFO, WARNING, CRITICAL); pino has its own. */
const LOG_LEVEL_ALIASES: Record<string, (typeof LOG_LEVELS)[number]> = { warning: 'warn', critical: 'fatal' };

const logLevel = z
  .string()
  .trim()
  .toLowerCase()
  .optional()
  .transform((v, ctx) => {
    if (v === undefined || v === '') return 'info' as const;
    const level = LOG_LEVEL_ALIASES[v] ?? v;
    if ((LOG_LEVELS as readonly string[]).includes(level)) return level as (typeof LOG_LEVELS)[number];
    ctx.addIssue({
      code: 'custom',
      message: `expected one of ${LOG_LEVELS.join(', ')} (any case), got "${v}"`,
    });
    return z.NEVER;
  });

const enumOf = <T extends string>(values: readonly [T, ...T[]], fallback: T | undefined) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .optional()
    .transform((v, ctx): T | undefined => {
      if (v === undefined || v === '') return fallback;
      if ((values as readonly string[]).includes(v)) return v as T;
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got "${v}"` });
      return z.NEVER;
    });

const apiKeys = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const entries: Array<{ key: string; tenantId: string }> = [];
    for (const raw of (v ?? '').split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      const sep = item.lastIndexOf(':');
      const key = sep > 0 ? item.slice(0, sep).trim() : '';
      const tenantId = sep > 0 ? item.slice(sep + 1).trim() : '';
      if (key.length < 8 || tenantId === '' || tenantId.length > 255) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected "key:tenant" pairs separated by commas, each key at least 8 characters',
        });
        return z.NEVER;
      }
      entries.push({ key, tenantId });
    }
    return entries;
  });

/** Every environment variable the service reads, with the seed's names and defaults. */
export const envSchema = z.object({
  NODE_ENV: str('production'),
  SERVER_HOST: str('0.0.0.0'),
  SERVER_PORT: int(9080, 0, 65535),
  LOG_LEVEL: logLevel,
  LOG_TO_FILE: bool(true),
  LOG_FILE_PATH: str('./logs/app.log'),
  LOG_MAX_SIZE_MB: decimal(100, 0.01, 10_240),
  LOG_BACKUP_COUNT: int(5, 0, 1000),

  ENABLE_CORS: bool(true),
  CORS_ORIGINS: str('*'),
  ENABLE_RATE_LIMITING: bool(false),
  RATE_LIMIT_PER_MINUTE: int(100, 1, 1_000_000),
  TRUST_PROXY: trustProxy,
  BODY_LIMIT_BYTES: int(65_536, 1024, 10 * 1024 * 1024),
  API_KEYS: apiKeys,
  REQUEST_TIMEOUT_MS: int(30_000, 1000, 3_600_000),
  KEEP_ALIVE_TIMEOUT_MS: int(72_000, 1000, 600_000),
  SHUTDOWN_GRACE_MS: int(10_000, 0, 600_000),

  LLM_PROVIDER: enumOf(['auto', 'azure', 'openai', 'offline'] as const, 'auto'),
  AZURE_AI_PROJECT_ENDPOINT: optionalUrl,
  AZURE_OPENAI_ENDPOINT: optionalUrl,
  AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME: optionalStr,
  AZURE_OPENAI_API_KEY: optionalStr,
  AZURE_OPENAI_API_VERSION: str('2024-10-21'),
  OPENAI_API_KEY: optionalStr,
  OPENAI_BASE_URL: optionalUrl,
  OPENAI_MODEL: str('gpt-4o-mini'),
  LLM_TIMEOUT_MS: int(60_000, 100, 600_000),
  LLM_MAX_RETRIES: int(2, 0, 10),
  AGENT_MAX_STEPS: int(8, 1, 50),
  TOOL_TIMEOUT_MS: int(30_000, 50, 600_000),
  TURN_TIMEOUT_MS: int(180_000, 500, 3_600_000),
  HISTORY_MAX_MESSAGES: int(50, 0, 1000),

  SESSION_TTL_MINUTES: int(60, 1, 10_080),
  MAX_SESSIONS: int(10_000, 1, 10_000_000),
  SESSION_MAX_MESSAGES: int(200, 2, 100_000),
  SESSION_STORE_MAX_MB: int(256, 1, 65_536),

  MCP_SERVER_URL: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      // Unset → the seed's default; explicitly empty → MCP disabled.
      if (v === undefined) return 'http://localhost:8000/mcp';
      if (v === '') return undefined;
      if (isHttpUrl(v)) return v;
      ctx.addIssue({ code: 'custom', message: 'expected an http(s) URL, or empty to disable MCP' });
      return z.NEVER;
    }),
  MCP_SERVER_REQUIRED: bool(false),
  MCP_TIMEOUT_MS: int(15_000, 100, 600_000),
  MCP_CONNECT_TIMEOUT_MS: int(5_000, 100, 120_000),

  ORDER_DB_PATH: str('./data/orders.db'),
  DEMO_ORDERS: enumOf(['auto', 'true', 'false'] as const, 'auto'),

  EMAIL_TRANSPORT: enumOf(['smtp', 'file'] as const, undefined),
  SMTP_SERVER: optionalStr,
  SMTP_PORT: int(587, 1, 65535),
  SENDER_EMAIL: optionalStr,
  SENDER_PASSWORD: optionalStr,
  SENDER_NAME: str('Customer Service'),
  EMAIL_OUTBOX_DIR: str('./data/outbox'),
  EMAIL_ALLOWED_DOMAINS: list,
  EMAIL_MAX_RECIPIENTS: int(5, 1, 100),

  COMPLAINTS_MCP_PORT: int(8000, 0, 65535),
  COMPLAINTS_DB_PATH: str('./data/complaints.db'),

  // Web chat page (DESIGN §13): the static page at GET /; when off, / redirects to /docs.
  WEB_CHAT_ENABLED: bool(true),
});

export type RawEnvConfig = z.output<typeof envSchema>;
