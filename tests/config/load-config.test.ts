import { describe, expect, it } from 'vitest';
import { ConfigError, configSecrets, loadConfig, maskUrlCredentials } from '../../src/config/index.js';

function problemsOf(env: Record<string, string>): Array<{ variable: string; message: string }> {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it("applies the seed's defaults with an empty environment", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      SERVER_HOST: '0.0.0.0',
      SERVER_PORT: 9080,
      LOG_LEVEL: 'info',
      ENABLE_CORS: true,
      CORS_ORIGINS: '*',
      ENABLE_RATE_LIMITING: false,
      RATE_LIMIT_PER_MINUTE: 100,
      MCP_SERVER_URL: 'http://localhost:8000/mcp',
      MCP_SERVER_REQUIRED: false,
      ORDER_DB_PATH: './data/orders.db',
      SMTP_PORT: 587,
      SENDER_NAME: 'Customer Service',
      LOG_TO_FILE: true,
      LOG_FILE_PATH: './logs/app.log',
      LOG_MAX_SIZE_MB: 100,
      LOG_BACKUP_COUNT: 5,
      HISTORY_MAX_MESSAGES: 50,
      AGENT_MAX_STEPS: 8,
      BODY_LIMIT_BYTES: 65_536,
    });
    expect(c.llmProvider).toBe('offline');
    expect(c.emailTransport).toBe('file');
    expect(c.authEnabled).toBe(false);
    expect(c.corsOrigins).toBe(true);
  });

  it('accepts true/false/1/0/yes/no for booleans and the seed upper-case log levels', () => {
    expect(loadConfig({ ENABLE_CORS: 'no', LOG_TO_FILE: '0', ENABLE_RATE_LIMITING: 'YES' })).toMatchObject({
      ENABLE_CORS: false,
      LOG_TO_FILE: false,
      ENABLE_RATE_LIMITING: true,
    });
    expect(loadConfig({ LOG_LEVEL: 'DEBUG' }).LOG_LEVEL).toBe('debug');
    expect(loadConfig({ LOG_LEVEL: 'WARNING' }).LOG_LEVEL).toBe('warn');
    expect(loadConfig({ LOG_LEVEL: 'CRITICAL' }).LOG_LEVEL).toBe('fatal');
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      SERVER_PORT: 'abc',
      ENABLE_CORS: 'maybe',
      LOG_LEVEL: 'loud',
      RATE_LIMIT_PER_MINUTE: '0',
    });
    expect(problems.map((p) => p.variable).sort()).toEqual([
      'ENABLE_CORS',
      'LOG_LEVEL',
      'RATE_LIMIT_PER_MINUTE',
      'SERVER_PORT',
    ]);
    expect(new ConfigError(problems).message).toContain('SERVER_PORT');
  });

  it('refuses out-of-range ports and malformed URLs', () => {
    expect(problemsOf({ SERVER_PORT: '70000' })[0]!.variable).toBe('SERVER_PORT');
    expect(problemsOf({ OPENAI_BASE_URL: 'not a url' })[0]!.variable).toBe('OPENAI_BASE_URL');
    expect(problemsOf({ MCP_SERVER_URL: 'ftp://files.example.com/mcp' })[0]!.variable).toBe('MCP_SERVER_URL');
  });

  it('resolves LLM_PROVIDER=auto: azure endpoint, then OpenAI settings, else offline', () => {
    expect(
      loadConfig({
        AZURE_OPENAI_ENDPOINT: 'https://x.openai.azure.com',
        AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME: 'gpt',
      }).llmProvider,
    ).toBe('azure');
    const fromProject = loadConfig({
      AZURE_AI_PROJECT_ENDPOINT: 'https://res.services.ai.azure.com/api/projects/p1',
      AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME: 'gpt',
    });
    expect(fromProject.llmProvider).toBe('azure');
    expect(fromProject.azureEndpoint).toBe('https://res.services.ai.azure.com');
    expect(loadConfig({ OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }).llmProvider).toBe('openai');
    expect(loadConfig({ OPENAI_API_KEY: 'sk-test-123456' }).llmProvider).toBe('openai');
    expect(loadConfig({ LLM_PROVIDER: 'offline', OPENAI_API_KEY: 'sk-test-123456' }).llmProvider).toBe(
      'offline',
    );
  });

  it('requires what the chosen provider and transport need', () => {
    expect(problemsOf({ LLM_PROVIDER: 'azure' }).map((p) => p.variable)).toEqual([
      'AZURE_OPENAI_ENDPOINT',
      'AZURE_OPENAI_RESPONSES_DEPLOYMENT_NAME',
    ]);
    expect(problemsOf({ LLM_PROVIDER: 'openai' })[0]!.variable).toBe('OPENAI_API_KEY');
    expect(problemsOf({ EMAIL_TRANSPORT: 'smtp' }).map((p) => p.variable)).toEqual([
      'SMTP_SERVER',
      'SENDER_EMAIL',
    ]);
    expect(problemsOf({ MCP_SERVER_URL: '', MCP_SERVER_REQUIRED: 'true' })[0]!.variable).toBe(
      'MCP_SERVER_URL',
    );
  });

  it('uses SMTP when a server is configured and the outbox otherwise', () => {
    expect(
      loadConfig({ SMTP_SERVER: 'smtp.example.com', SENDER_EMAIL: 'a@example.com' }).emailTransport,
    ).toBe('smtp');
  });

  it('takes a postgres:// ORDER_DB_URL, empty means SQLite, and never echoes a refused one', () => {
    expect(loadConfig({}).ORDER_DB_URL).toBeUndefined();
    expect(loadConfig({ ORDER_DB_URL: '' }).ORDER_DB_URL).toBeUndefined();
    for (const url of ['postgres://app:pw@db:5432/orders', 'postgresql://db/orders']) {
      expect(loadConfig({ ORDER_DB_URL: url }).ORDER_DB_URL).toBe(url);
    }
    for (const bad of ['mysql://app:pw@db/orders', 'db:5432/orders', 'postgres://']) {
      const [problem] = problemsOf({ ORDER_DB_URL: bad });
      expect(problem).toMatchObject({ variable: 'ORDER_DB_URL' });
      expect(problem!.message).not.toContain('pw');
    }
    const config = loadConfig({ ORDER_DB_URL: 'postgres://app:pw@db:5432/orders' });
    expect(maskUrlCredentials(config.ORDER_DB_URL!)).toBe('postgres://****@db:5432/orders');
    expect(configSecrets(config)).toContain('pw');
  });

  it('reads REDIS_URL as a redis:// or rediss:// URL, off when empty, with the msev: key prefix', () => {
    expect(loadConfig({}).REDIS_URL).toBeUndefined();
    expect(loadConfig({}).REDIS_KEY_PREFIX).toBe('msev:');
    expect(loadConfig({ REDIS_URL: 'rediss://:pw@cache.example:6380/2' }).REDIS_URL).toBe(
      'rediss://:pw@cache.example:6380/2',
    );
    expect(problemsOf({ REDIS_URL: 'http://cache.example:6379' })).toEqual([
      { variable: 'REDIS_URL', message: 'expected a redis:// or rediss:// URL' },
    ]);
    expect(maskUrlCredentials(loadConfig({ REDIS_URL: 'redis://user:secret@cache:6379/0' }).REDIS_URL!)).toBe(
      'redis://****@cache:6379/0',
    );
  });

  it('resolves SESSION_STORE=auto to redis with REDIS_URL, else memory, and requires Redis for redis', () => {
    expect(loadConfig({}).sessionStore).toBe('memory');
    expect(loadConfig({}).SESSION_DB_PATH).toBe('./data/sessions.db');
    expect(loadConfig({}).MAX_SESSIONS_PER_TENANT).toBe(1000);
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379/0' }).sessionStore).toBe('redis');
    expect(loadConfig({ REDIS_URL: 'redis://cache:6379/0', SESSION_STORE: 'sqlite' }).sessionStore).toBe(
      'sqlite',
    );
    expect(loadConfig({ SESSION_STORE: 'SQLite' }).sessionStore).toBe('sqlite');
    expect(problemsOf({ SESSION_STORE: 'redis' })).toEqual([
      { variable: 'REDIS_URL', message: 'required when SESSION_STORE=redis' },
    ]);
    expect(problemsOf({ SESSION_STORE: 'postgres' })[0]?.variable).toBe('SESSION_STORE');
  });

  it('an empty MCP_SERVER_URL disables MCP', () => {
    const c = loadConfig({ MCP_SERVER_URL: '' });
    expect(c.MCP_SERVER_URL).toBeUndefined();
  });

  it('parses API_KEYS into key/tenant pairs and refuses malformed ones', () => {
    const c = loadConfig({ API_KEYS: 'key-aaaa-1111:tenant-a, key-bbbb-2222:tenant-b' });
    expect(c.API_KEYS).toEqual([
      { key: 'key-aaaa-1111', tenantId: 'tenant-a', role: 'client' },
      { key: 'key-bbbb-2222', tenantId: 'tenant-b', role: 'client' },
    ]);
    expect(c.authEnabled).toBe(true);
    expect(problemsOf({ API_KEYS: 'short:t' })[0]!.variable).toBe('API_KEYS');
    expect(problemsOf({ API_KEYS: 'no-tenant-here' })[0]!.variable).toBe('API_KEYS');
  });

  it('reads an optional role per API key; a key may contain colons', () => {
    const c = loadConfig({
      API_KEYS: 'key-aaaa-1111:tenant-a:service, key-bbbb-2222:tenant-b:operator, key:cccc:3333:tenant-c',
    });
    expect(c.API_KEYS).toEqual([
      { key: 'key-aaaa-1111', tenantId: 'tenant-a', role: 'service' },
      { key: 'key-bbbb-2222', tenantId: 'tenant-b', role: 'operator' },
      { key: 'key:cccc:3333', tenantId: 'tenant-c', role: 'client' },
    ]);
  });

  it('JWT settings turn authentication on and need an issuer, an audience and a long secret', () => {
    const jwt = {
      AUTH_JWT_SECRET: 'x'.repeat(32),
      AUTH_JWT_ISSUER: 'https://issuer.example',
      AUTH_JWT_AUDIENCE: 'cs-agent',
    };
    const c = loadConfig(jwt);
    expect([c.authEnabled, c.jwtEnabled]).toEqual([true, true]);
    expect(problemsOf({ ...jwt, AUTH_JWT_SECRET: 'short-secret' })[0]!.variable).toBe('AUTH_JWT_SECRET');
    expect(problemsOf({ ...jwt, AUTH_JWT_ISSUER: '' }).map((p) => p.variable)).toEqual(['AUTH_JWT_ISSUER']);
    expect(
      problemsOf({ AUTH_JWT_JWKS_URL: 'https://issuer.example/jwks.json' }).map((p) => p.variable),
    ).toEqual(['AUTH_JWT_ISSUER', 'AUTH_JWT_AUDIENCE']);
  });

  it('splits CORS_ORIGINS and treats * as any origin', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example,*' }).corsOrigins).toBe(true);
  });

  it('reads TRUST_PROXY as off, on, a hop count or a proxy list', () => {
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'true' }).TRUST_PROXY).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(problemsOf({ TRUST_PROXY: 'everyone' })[0]!.variable).toBe('TRUST_PROXY');
  });

  it('is frozen', () => {
    const c = loadConfig({});
    expect(Object.isFrozen(c)).toBe(true);
    expect(() => {
      (c as { SERVER_PORT: number }).SERVER_PORT = 1;
    }).toThrow();
  });
});

describe('maskUrlCredentials', () => {
  it('masks user info, including an @ inside the password, and every query value', () => {
    expect(maskUrlCredentials('http://u:p%40x@127.0.0.1:1/mcp?token=TOPSECRET&x=1')).toBe(
      'http://****@127.0.0.1:1/mcp?token=****&x=****',
    );
    expect(maskUrlCredentials('connect failed for https://a:b@host.example/mcp: refused')).toBe(
      'connect failed for https://****@host.example/mcp: refused',
    );
    expect(maskUrlCredentials('http://localhost:8000/mcp')).toBe('http://localhost:8000/mcp');
    expect(maskUrlCredentials('no url here')).toBe('no url here');
    expect(maskUrlCredentials('http://user:secret@host:99999/mcp')).not.toContain('secret');
    expect(maskUrlCredentials('http://user:secret@host/a,http://u2:secret2@b/')).not.toContain('secret');
  });
});

describe('configSecrets', () => {
  it('collects every secret value the configuration holds, for the log redactor', () => {
    const c = loadConfig({
      OPENAI_API_KEY: 'sk-live-abcdefghijklmnop',
      SENDER_PASSWORD: 'hunter2-hunter2',
      API_KEYS: 'key-aaaa-1111:tenant-a',
      MCP_SERVER_URL: 'https://user:pa55word@mcp.example.com/mcp',
      SMTP_SERVER: 'smtp.example.com',
      SENDER_EMAIL: 'a@example.com',
    });
    const secrets = configSecrets(c);
    for (const secret of ['sk-live-abcdefghijklmnop', 'hunter2-hunter2', 'key-aaaa-1111', 'pa55word']) {
      expect(secrets).toContain(secret);
    }
    expect(secrets).not.toContain('smtp.example.com');
  });
});
