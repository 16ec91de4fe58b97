import { envSchema, type RawEnvConfig } from './schema.js';

export type LlmProvider = 'azure' | 'openai' | 'offline';

export interface DerivedConfig {
  /** `LLM_PROVIDER=auto` resolved against what is configured. */
  llmProvider: LlmProvider;
  /** Azure OpenAI resource endpoint (from AZURE_OPENAI_ENDPOINT or the origin of the project endpoint). */
  azureEndpoint: string | undefined;
  emailTransport: 'smtp' | 'file';
  /** API_KEYS or a JWT setting: every /api/* request must authenticate. */
  authEnabled: boolean;
  /** AUTH_JWT_SECRET or AUTH_JWT_JWKS_URL is set. */
  jwtEnabled: boolean;
  /** `true` = any origin, else the allow-list. */
  corsOrigins: true | string[];
  mcpEnabled: boolean;
}

export type AppConfig = Readonly<RawEnvConfig & DerivedConfig>;

export class ConfigError extends Error {
  constructor(readonly problems: Array<{ variable: string; message: string }>) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

function resolveProvider(env: RawEnvConfig, azureEndpoint: string | undefined): LlmProvider {
  if (env.LLM_PROVIDER !== 'auto' && env.LLM_PROVIDER !== undefined) return env.LLM_PROVIDER;
  if (azureEndpoint) return 'azure';
  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) return 'openai';
  return 'offline';
}

function originOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * Parses the environment once. Throws ConfigError naming every bad variable; the caller decides
 * whether that ends the process (server.ts) or fails a test.
 */
export function loadConfig(env: NodeJS.ProcessEnv | Record<string, string | undefined>): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? '?'),
        message: issue.message,
      })),
    );
  }
  const raw = parsed.data;
  const problems: Array<{ variable: string; message: string }> = [];

  const azureEndpoint = raw.AZURE_OPENAI_ENDPOINT ?? originOf(raw.AZURE_AI_PROJECT_ENDPOINT);
  const llmProvider = resolveProvider(raw, azureEndpoint);
  if (llmProvider === 'azure') {
    if (!azureEndpoint) {
      problems.push({
        variable: 'AZURE_OPENAI_ENDPOINT',
        message: 'required when LLM_PROVIDER=azure (or set AZURE_AI_PROJECT_ENDPOINT)',
      });
    }
    if (!raw.AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME) {
      problems.push({
        variable: 'AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME',
        message: 'required when the Azure provider is used',
      });
    }
  }
  if (llmProvider === 'openai' && !raw.OPENAI_API_KEY && !raw.OPENAI_BASE_URL) {
    problems.push({
      variable: 'OPENAI_API_KEY',
      message: 'required when LLM_PROVIDER=openai (or set OPENAI_BASE_URL for a local endpoint)',
    });
  }

  const emailTransport = raw.EMAIL_TRANSPORT ?? (raw.SMTP_SERVER ? 'smtp' : 'file');
  if (emailTransport === 'smtp') {
    if (!raw.SMTP_SERVER)
      problems.push({ variable: 'SMTP_SERVER', message: 'required when EMAIL_TRANSPORT=smtp' });
    if (!raw.SENDER_EMAIL)
      problems.push({ variable: 'SENDER_EMAIL', message: 'required when EMAIL_TRANSPORT=smtp' });
  }
  if (raw.MCP_SERVER_REQUIRED && !raw.MCP_SERVER_URL) {
    problems.push({ variable: 'MCP_SERVER_URL', message: 'must be set when MCP_SERVER_REQUIRED=true' });
  }
  const jwtEnabled = raw.AUTH_JWT_SECRET !== undefined || raw.AUTH_JWT_JWKS_URL !== undefined;
  if (raw.AUTH_JWT_SECRET !== undefined && raw.AUTH_JWT_SECRET.length < 32) {
    problems.push({
      variable: 'AUTH_JWT_SECRET',
      message: 'must be at least 32 characters (HS256 needs a 256-bit secret)',
    });
  }
  if (jwtEnabled) {
    // A token minted for another service or by another issuer must not be accepted here.
    for (const variable of ['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE'] as const) {
      if (raw[variable] === undefined) {
        problems.push({ variable, message: 'required when AUTH_JWT_SECRET or AUTH_JWT_JWKS_URL is set' });
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const origins = raw.CORS_ORIGINS.split(',')
    .map((o) => o.trim())
    .filter(Boolean);

  return Object.freeze({
    ...raw,
    API_KEYS: Object.freeze(raw.API_KEYS.map((k) => Object.freeze(k))) as RawEnvConfig['API_KEYS'],
    EMAIL_ALLOWED_DOMAINS: Object.freeze(raw.EMAIL_ALLOWED_DOMAINS.map((d) => d.toLowerCase())) as string[],
    llmProvider,
    azureEndpoint,
    emailTransport,
    authEnabled: raw.API_KEYS.length > 0 || jwtEnabled,
    jwtEnabled,
    corsOrigins: origins.length === 0 || origins.includes('*') ? true : origins,
    mcpEnabled: raw.MCP_SERVER_URL !== undefined,
  });
}
