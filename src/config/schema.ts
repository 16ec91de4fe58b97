import { z } from 'zod';

/**
 * Every variable arrives as a string or not at all. Unset and blank both mean "use the default", so a
 * line emptied in .env resets a value; surrounding white space is ignored.
 */
const blankAsUnset = (value: unknown): unknown => {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
};

const env = <T extends z.ZodType>(schema: T) => z.preprocess(blankAsUnset, schema);

const TRUTHY = ['true', '1', 'yes', 'on'];
const FALSY = ['false', '0', 'no', 'off'];

/** The spellings operators actually type into env files, in any case. */
const bool = (fallback: boolean) =>
  env(
    z
      .stringbool({
        truthy: TRUTHY,
        falsy: FALSY,
        case: 'insensitive',
        error: (issue) => `expected true/false/1/0/yes/no, got "${String(issue.input)}"`,
      })
      .default(fallback),
  );

const integerText = /^-?\d+$/;
const int = (fallback: number, min: number, max: number) =>
  env(
    z
      .string()
      .regex(integerText, { error: (issue) => `expected an integer, got "${String(issue.input)}"` })
      .pipe(
        z.coerce
          .number<string>()
          .int()
          .min(min, { error: (issue) => `must be between ${min} and ${max}, got ${String(issue.input)}` })
          .max(max, { error: (issue) => `must be between ${min} and ${max}, got ${String(issue.input)}` }),
      )
      .default(fallback),
  );

const decimal = (fallback: number, min: number, max: number) => {
  const message = (issue: { input?: unknown }) =>
    `expected a number between ${min} and ${max}, got "${String(issue.input)}"`;
  return env(
    z
      .string()
      .regex(/^\d+(\.\d+)?$/, { error: message })
      .pipe(z.coerce.number<string>().min(min, { error: message }).max(max, { error: message }))
      .default(fallback),
  );
};

const str = (fallback: string) => env(z.string().default(fallback));

/** `tenant:tokens` entries, comma-separated, `*` for every tenant not named: tokens per UTC day. */
const tokenQuotas = env(z.string().optional()).transform((value, ctx): Readonly<Record<string, number>> => {
  const quotas: Record<string, number> = {};
  if (value === undefined) return quotas;
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const match = /^(.+):(\d{1,15})$/.exec(entry);
    const tokens = match ? Number(match[2]) : 0;
    if (!match || tokens < 1 || match[1]!.trim() === '') {
      ctx.addIssue({
        code: 'custom',
        message: `expected tenant:tokens entries such as "acme:200000,*:50000", got "${entry.slice(0, 80)}"`,
      });
      return z.NEVER;
    }
    quotas[match[1]!.trim()] = tokens;
  }
  return quotas;
});

const optionalStr = env(z.string().optional());

/** True when `value` parses as a URL with one of `protocols` (and, if asked, a host name). */
function urlWith(value: string, protocols: readonly string[], needsHost = false): boolean {
  try {
    const { protocol, hostname } = new URL(value);
    return protocols.includes(protocol) && (!needsHost || hostname !== '');
  } catch {
    return false;
  }
}

const isHttpUrl = (value: string): boolean => urlWith(value, ['http:', 'https:']);

const optionalUrl = env(z.string().refine(isHttpUrl, { error: 'expected an http(s) URL' }).optional());

const isPostgresUrl = (value: string): boolean => urlWith(value, ['postgres:', 'postgresql:'], true);

/** The message never echoes the value: a database URL usually carries a password. */
const optionalPostgresUrl = env(
  z
    .string()
    .refine(isPostgresUrl, {
      error: 'expected a postgres:// or postgresql:// URL, or empty for SQLite at ORDER_DB_PATH',
    })
    .optional(),
);

/** A comma-separated list; empty entries are dropped. */
export const commaList = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

const list = z.string().optional().transform(commaList);

const isRedisUrl = (value: string): boolean => urlWith(value, ['redis:', 'rediss:']);

const optionalRedisUrl = env(
  z.string().refine(isRedisUrl, { error: 'expected a redis:// or rediss:// URL' }).optional(),
);

/**
 * false (default): X-Forwarded-For is ignored. A number: trust that many proxy hops (the client address is
 * taken that many entries from the right, so a client cannot choose it). Addresses/CIDRs: trust only
 * those proxies. `true` trusts every hop, which lets any client pick its own address.
 */
const trustProxy = env(z.string().optional()).transform((v, ctx): boolean | number | string[] => {
  const value = (v ?? '').toLowerCase();
  if (value === '' || FALSY.includes(value)) return false;
  if (TRUTHY.includes(value)) return true;
  if (/^\d+$/.test(value)) return Number(value);
  const proxies = commaList(value);
  if (proxies.every((s) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(s))) return proxies;
  ctx.addIssue({
    code: 'custom',
    message: 'expected false, true, a hop count, or a comma list of proxy addresses/CIDRs',
  });
  return z.NEVER;
});

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
/** The seed uses Python's names (INFO, WARNING, CRITICAL); pino has its own. */
const LOG_LEVEL_ALIASES: Record<string, (typeof LOG_LEVELS)[number]> = { warning: 'warn', critical: 'fatal' };

const logLevel = env(
  z
    .string()
    .toLowerCase()
    .transform((level) => LOG_LEVEL_ALIASES[level] ?? level)
    .pipe(
      z.enum(LOG_LEVELS, {
        error: (issue) => `expected one of ${LOG_LEVELS.join(', ')} (any case), got "${String(issue.input)}"`,
      }),
    )
    .default('info'),
);

const enumOf = <T extends string>(values: readonly [T, ...T[]], fallback: T | undefined) =>
  env(
    z
      .string()
      .toLowerCase()
      .pipe(
        z.enum(values, {
          error: (issue) => `expected one of ${values.join(', ')}, got "${String(issue.input)}"`,
        }),
      )
      .optional(),
  ).transform((value): T | undefined => (value as T | undefined) ?? fallback);

export const ROLES = ['client', 'service', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** `key:tenant[:role]` entries; the role defaults to `client`. A key may itself contain colons. */
const apiKeys = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const entries: Array<{ key: string; tenantId: string; role: Role }> = [];
    for (const raw of (v ?? '').split(',')) {
      const item = raw.trim();
      if (item === '') continue;
      let parts = item.split(':').map((part) => part.trim());
      let role: Role = 'client';
      const last = parts.at(-1) ?? '';
      if (parts.length >= 3 && (ROLES as readonly string[]).includes(last)) {
        role = last as Role;
        parts = parts.slice(0, -1);
      }
      const tenantId = parts.length >= 2 ? (parts.at(-1) ?? '') : '';
      const key = parts.slice(0, -1).join(':');
      if (key.length < 8 || tenantId === '' || tenantId.length > 255) {
        ctx.addIssue({
          code: 'custom',
          message:
            'expected "key:tenant" or "key:tenant:role" entries separated by commas, each key at least 8 characters',
        });
        return z.NEVER;
      }
      entries.push({ key, tenantId, role });
    }
    return entries;
  });

/** Every environment variable the service reads, with the seed's names and defaults. */
export const envVariables = z.object({
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
  SESSION_PACK_IDLE_SECONDS: int(60, 1, 86_400),

  // Session stores (DESIGN §9): which engine holds conversations, and how much one tenant may hold.
  SESSION_STORE: enumOf(['auto', 'memory', 'sqlite', 'redis'] as const, 'auto'),
  SESSION_DB_PATH: str('./data/sessions.db'),
  MAX_SESSIONS_PER_TENANT: int(1000, 1, 10_000_000),

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
  // Orders on Postgres (DESIGN §9): a URL moves the orders database from the SQLite file at
  // ORDER_DB_PATH to Postgres, shared by every instance.
  ORDER_DB_URL: optionalPostgresUrl,
  ORDER_DB_POOL_MAX: int(10, 1, 1000),
  ORDER_DB_TIMEOUT_MS: int(5_000, 100, 120_000),
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

  // Many instances (DESIGN §9): what they share goes through one Redis when REDIS_URL is set.
  REDIS_URL: optionalRedisUrl,
  REDIS_KEY_PREFIX: str('msev:'),
  // Lease of a turn's session lock in Redis, renewed every third of it: how long a crashed instance
  // can block a session at most.
  TURN_LOCK_TTL_MS: int(30_000, 1_000, 600_000),

  // Turns (DESIGN §10): what a dropped client does to its turn, and how long a turn's events stay
  // resumable after it ended (in Redis when REDIS_URL is set, in the process otherwise).
  TURN_ON_DISCONNECT: enumOf(['cancel', 'continue'] as const, 'cancel'),
  TURN_REPLAY_TTL_SECONDS: int(600, 1, 86_400),
  // How long an Idempotency-Key remembers its turn (with the sessions: Redis when shared, else memory).
  IDEMPOTENCY_TTL_HOURS: int(24, 1, 720),
  // Human approval (DESIGN §10): calls of these tools pause the turn until an operator decides; a
  // call nobody decided within the TTL counts as declined. Kept where the sessions are.
  TOOLS_REQUIRING_APPROVAL: list,
  APPROVAL_TTL_MINUTES: int(60, 1, 10_080),

  // Access (DESIGN §11): JWT bearer tokens beside API_KEYS, and PII kept out of the logs.
  AUTH_JWT_SECRET: optionalStr,
  AUTH_JWT_JWKS_URL: optionalUrl,
  AUTH_JWT_ISSUER: optionalStr,
  AUTH_JWT_AUDIENCE: optionalStr,
  LOG_REDACT_PII: bool(true),

  // Customers, access and audit (DESIGN §11): whose orders the tools may touch.
  ORDER_ACCESS: enumOf(['customer', 'tenant'] as const, 'customer'),
  AUDIT_RETENTION_DAYS: int(90, 1, 36_500),
  TENANT_TOKEN_QUOTAS: tokenQuotas,

  // Observability (§12): Prometheus metrics, OpenTelemetry traces, the model provider's breaker and
  // fallback. The OTEL_* names are the standard ones; the exporter is given them explicitly.
  METRICS_ENABLED: bool(true),
  METRICS_TOKEN: optionalStr,
  LLM_BREAKER_FAILURES: int(5, 0, 1000),
  LLM_BREAKER_COOLDOWN_MS: int(30_000, 100, 3_600_000),
  FALLBACK_OPENAI_BASE_URL: optionalUrl,
  FALLBACK_OPENAI_MODEL: optionalStr,
  FALLBACK_OPENAI_API_KEY: optionalStr,
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  OTEL_EXPORTER_OTLP_HEADERS: optionalStr,
  OTEL_SERVICE_NAME: str('msev15e2e-ts'),
  OTEL_TRACES_SAMPLER_ARG: decimal(1, 0, 1),

  // Web chat page (DESIGN §13): the static page at GET /; when off, / redirects to /docs.
  WEB_CHAT_ENABLED: bool(true),

  // Hand-off to a person (DESIGN §13): each hand-off is POSTed to this URL, signed with the secret
  // (X-Signature-256: sha256=<HMAC-SHA256 of the body>), retried with backoff.
  HANDOFF_WEBHOOK_URL: optionalUrl,
  HANDOFF_WEBHOOK_SECRET: optionalStr,
});

export type RawEnvConfig = z.output<typeof envVariables>;

export type LlmProvider = 'azure' | 'openai' | 'offline';

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/** The Azure OpenAI resource endpoint: AZURE_OPENAI_ENDPOINT, else the origin of the project endpoint. */
const azureEndpointOf = (env: RawEnvConfig) =>
  env.AZURE_OPENAI_ENDPOINT ?? originOf(env.AZURE_AI_PROJECT_ENDPOINT);

/** `LLM_PROVIDER=auto`: Azure when an Azure endpoint is set, OpenAI-compatible when its settings are, else offline. */
function providerOf(env: RawEnvConfig): LlmProvider {
  if (env.LLM_PROVIDER !== 'auto' && env.LLM_PROVIDER !== undefined) return env.LLM_PROVIDER;
  if (azureEndpointOf(env)) return 'azure';
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) return 'openai';
  return 'offline';
}

/** `SESSION_STORE=auto`: Redis when REDIS_URL is set (instances share it), else memory. */
const sessionStoreOf = (env: RawEnvConfig): 'memory' | 'sqlite' | 'redis' =>
  env.SESSION_STORE === undefined || env.SESSION_STORE === 'auto'
    ? env.REDIS_URL
      ? 'redis'
      : 'memory'
    : env.SESSION_STORE;

const jwtEnabledOf = (env: RawEnvConfig): boolean =>
  env.AUTH_JWT_SECRET !== undefined || env.AUTH_JWT_JWKS_URL !== undefined;

const emailTransportOf = (env: RawEnvConfig): 'smtp' | 'file' =>
  env.EMAIL_TRANSPORT ?? (env.SMTP_SERVER ? 'smtp' : 'file');

/**
 * The configuration as the service reads it: every variable parsed, the rules that span several
 * variables checked (each problem names the variable to fix), and the derived settings added.
 */
export const envSchema = envVariables
  .superRefine((env, ctx) => {
    const problem = (variable: keyof RawEnvConfig, message: string) =>
      ctx.addIssue({ code: 'custom', path: [variable], message });
    const provider = providerOf(env);
    if (provider === 'azure') {
      if (!azureEndpointOf(env)) {
        problem(
          'AZURE_OPENAI_ENDPOINT',
          'required when LLM_PROVIDER=azure (or set AZURE_AI_PROJECT_ENDPOINT)',
        );
      }
      if (!env.AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME) {
        problem('AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME', 'required when the Azure provider is used');
      }
    }
    if (provider === 'openai' && !env.OPENAI_API_KEY && !env.OPENAI_BASE_URL) {
      problem(
        'OPENAI_API_KEY',
        'required when LLM_PROVIDER=openai (or set OPENAI_BASE_URL for a local endpoint)',
      );
    }
    if (emailTransportOf(env) === 'smtp') {
      if (!env.SMTP_SERVER) problem('SMTP_SERVER', 'required when EMAIL_TRANSPORT=smtp');
      if (!env.SENDER_EMAIL) problem('SENDER_EMAIL', 'required when EMAIL_TRANSPORT=smtp');
    }
    if (env.SESSION_STORE === 'redis' && !env.REDIS_URL) {
      problem('REDIS_URL', 'required when SESSION_STORE=redis');
    }
    // A retry must find its key while the turn it started still waits: else it would run the turn twice.
    if (env.APPROVAL_TTL_MINUTES > env.IDEMPOTENCY_TTL_HOURS * 60) {
      problem(
        'APPROVAL_TTL_MINUTES',
        `must not be longer than IDEMPOTENCY_TTL_HOURS (${env.IDEMPOTENCY_TTL_HOURS} h), so a retried request never runs a paused turn twice`,
      );
    }
    if (env.MCP_SERVER_REQUIRED && !env.MCP_SERVER_URL) {
      problem('MCP_SERVER_URL', 'must be set when MCP_SERVER_REQUIRED=true');
    }
    if (env.AUTH_JWT_SECRET !== undefined && env.AUTH_JWT_SECRET.length < 32) {
      problem('AUTH_JWT_SECRET', 'must be at least 32 characters (HS256 needs a 256-bit secret)');
    }
    if (env.HANDOFF_WEBHOOK_URL !== undefined && env.HANDOFF_WEBHOOK_SECRET === undefined) {
      problem(
        'HANDOFF_WEBHOOK_SECRET',
        'required when HANDOFF_WEBHOOK_URL is set (the receiver checks the signature)',
      );
    }
    if (env.HANDOFF_WEBHOOK_SECRET !== undefined && env.HANDOFF_WEBHOOK_SECRET.length < 16) {
      problem('HANDOFF_WEBHOOK_SECRET', 'must be at least 16 characters');
    }
    if (jwtEnabledOf(env)) {
      // A token minted for another service or by another issuer must not be accepted here.
      for (const variable of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'] as const) {
        if (env[variable] === undefined) {
          problem(variable, 'required when AUTH_JWT_SECRET or AUTH_JWT_JWKS_URL is set');
        }
      }
    }
  })
  .transform((env) => {
    const origins = commaList(env.CORS_ORIGINS);
    return {
      ...env,
      EMAIL_ALLOWED_DOMAINS: env.EMAIL_ALLOWED_DOMAINS.map((domain) => domain.toLowerCase()),
      /** `LLM_PROVIDER=auto` resolved against what is configured. */
      llmProvider: providerOf(env),
      azureEndpoint: azureEndpointOf(env),
      emailTransport: emailTransportOf(env),
      /** `SESSION_STORE=auto` resolved against REDIS_URL. */
      sessionStore: sessionStoreOf(env),
      /** API_KEYS or a JWT setting: every /api/* request must authenticate. */
      authEnabled: env.API_KEYS.length > 0 || jwtEnabledOf(env),
      /** AUTH_JWT_SECRET or AUTH_JWT_JWKS_URL is set. */
      jwtEnabled: jwtEnabledOf(env),
      /** `true` = any origin, else the allow-list. */
      corsOrigins: origins.length === 0 || origins.includes('*') ? (true as const) : origins,
    };
  });

export type ParsedConfig = z.output<typeof envSchema>;
