import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { SERVICE_NAME, SERVICE_VERSION } from '../../src/project.js';
import { type BannerFacts, bannerLines, renderBanner } from '../../src/startup/banner.js';

const facts: BannerFacts = {
  url: 'http://0.0.0.0:9080',
  model: { provider: 'openai', model: 'gpt-test' },
  mcp: { state: 'connected', tools: 4 },
  warnings: [],
};

const lines = (env: Record<string, string>, over: Partial<BannerFacts> = {}) =>
  Object.fromEntries(bannerLines(loadConfig({ OPENAI_API_KEY: 'sk-test', ...env }), { ...facts, ...over }));

describe('the start-up banner', () => {
  it('shows a wildcard bind as localhost, and what is off as off', () => {
    const shown = lines({
      SERVER_HOST: '0.0.0.0',
      ENABLE_RATE_LIMITING: 'false',
      ENABLE_CORS: 'false',
      MCP_SERVER_URL: '',
      LOG_TO_FILE: 'false',
      METRICS_ENABLED: 'false',
    });
    expect(shown.URL).toBe('http://localhost:9080');
    expect(shown.Docs).toBe('http://localhost:9080/docs');
    expect(shown.Model).toBe('openai / gpt-test');
    expect(shown.MCP).toBe('disabled');
    expect(shown['Rate limit']).toBe('off');
    expect(shown.CORS).toBe('off');
    expect(shown.Auth).toBe('open (no API_KEYS)');
    expect(shown['Log file']).toBe('off');
    expect(shown.Metrics).toBe('off');
    expect(shown.Tracing).toBe('off');
    expect(shown.Email).toMatch(/^file outbox /);
  });

  it('keeps a specific bind address as it is', () => {
    expect(lines({ SERVER_HOST: '127.0.0.1' }, { url: 'http://127.0.0.1:9080' }).URL).toBe(
      'http://127.0.0.1:9080',
    );
  });

  it('names every feature that is on, with every credential masked', () => {
    const shown = lines({
      API_KEYS: 'key-one-abcdefghijklmnop:tenant-a,key-two-abcdefghijklmnop:tenant-b',
      AUTH_JWT_SECRET: 'j'.repeat(32),
      AUTH_JWT_ISSUER: 'https://issuer.example',
      AUTH_JWT_AUDIENCE: 'api',
      SMTP_SERVER: 'smtp.example.com',
      SMTP_PORT: '2525',
      SENDER_EMAIL: 'shop@example.com',
      SENDER_PASSWORD: 'smtp-pass-value',
      MCP_SERVER_URL: 'http://mcp-user:mcp-pass@mcp.internal:3001/mcp',
      ENABLE_RATE_LIMITING: 'true',
      RATE_LIMIT_PER_MINUTE: '42',
      ENABLE_CORS: 'true',
      CORS_ORIGINS: 'https://a.example,https://b.example',
      LOG_TO_FILE: 'true',
      LOG_FILE_PATH: 'logs/app.log',
      LOG_BACKUP_COUNT: '3',
      METRICS_ENABLED: 'true',
      METRICS_TOKEN: 'metrics-token-value',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-user:otel-pass@collector:4318',
    });
    expect(shown.Auth).toBe('API keys (2 keys) + JWT HS256');
    expect(shown.Email).toBe('smtp smtp.example.com:2525 (auth)');
    expect(shown.MCP).toBe('http://****@mcp.internal:3001/mcp — connected (4 tools)');
    expect(shown['Rate limit']).toBe('42/min');
    expect(shown.CORS).toBe('https://a.example, https://b.example');
    expect(shown['Log file']).toBe('logs/app.log (rotated: logs/app.1.log … logs/app.3.log)');
    expect(shown.Metrics).toBe('http://localhost:9080/metrics (token)');
    expect(shown.Tracing).toBe('OTLP http://****@collector:4318/');
    const text = JSON.stringify(shown);
    for (const secret of ['smtp-pass-value', 'mcp-pass', 'otel-pass', 'metrics-token-value', 'key-one']) {
      expect(text).not.toContain(secret);
    }
  });

  it('says one key, any origin, a single backup, and an MCP server still connecting', () => {
    const shown = lines(
      {
        API_KEYS: 'key-one-abcdefghijklmnop:tenant-a',
        ENABLE_CORS: 'true',
        CORS_ORIGINS: '*',
        LOG_TO_FILE: 'true',
        LOG_FILE_PATH: 'logs/app.log',
        LOG_BACKUP_COUNT: '1',
        MCP_SERVER_URL: 'http://mcp.internal:3001/mcp',
      },
      { mcp: { state: 'reconnecting' } },
    );
    expect(shown.Auth).toBe('API keys (1 key)');
    expect(shown.CORS).toBe('any origin');
    expect(shown['Log file']).toBe('logs/app.log (rotated: logs/app.1.log)');
    expect(shown.MCP).toBe('http://mcp.internal:3001/mcp — reconnecting');
  });

  it('shows the live log file alone when no backups are kept', () => {
    const shown = lines({ LOG_TO_FILE: 'true', LOG_FILE_PATH: 'logs/app.log', LOG_BACKUP_COUNT: '0' });
    expect(shown['Log file']).toBe('logs/app.log');
  });

  it('renders a title box, one line per fact and the warnings', () => {
    const config = loadConfig({ OPENAI_API_KEY: 'sk-test' });
    const text = renderBanner(config, { ...facts, warnings: ['first warning', 'second warning'] });
    const rows = text.split('\n');
    expect(rows[1]).toMatch(/^╔═+╗$/);
    expect(rows[2]!.slice(1, -1).trim()).toBe(`${SERVICE_NAME} v${SERVICE_VERSION}`);
    expect(rows[2]!.length).toBe(rows[1]!.length);
    expect(rows).toContain('  • URL        http://localhost:9080');
    expect(rows.filter((row) => row.startsWith('  • '))).toHaveLength(bannerLines(config, facts).length);
    expect(rows.slice(-3, -1)).toEqual(['  ⚠ first warning', '  ⚠ second warning']);
  });
});
