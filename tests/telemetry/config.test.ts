import { describe, expect, it } from 'vitest';
import { configSecrets, loadConfig } from '../../src/config/index.js';
import { startupWarnings } from '../../src/startup/warnings.js';
import { createTracing, parseOtlpHeaders } from '../../src/telemetry/tracing.js';

describe('observability configuration', () => {
  it('has the documented defaults: metrics on, breaker after 5 failures for 30 s, no fallback, no tracing', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      METRICS_ENABLED: true,
      LLM_BREAKER_FAILURES: 5,
      LLM_BREAKER_COOLDOWN_MS: 30_000,
      OTEL_SERVICE_NAME: 'msev15e2e-ts',
      OTEL_TRACES_SAMPLER_ARG: 1,
    });
    expect(config.METRICS_TOKEN).toBeUndefined();
    expect(config.FALLBACK_OPENAI_BASE_URL).toBeUndefined();
    expect(config.OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
  });

  it('refuses values that cannot work, naming the variable', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'localhost:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => loadConfig({ LLM_BREAKER_COOLDOWN_MS: '5' })).toThrow(/LLM_BREAKER_COOLDOWN_MS/);
    expect(() => loadConfig({ FALLBACK_OPENAI_BASE_URL: 'ftp://x' })).toThrow(/FALLBACK_OPENAI_BASE_URL/);
  });

  it('treats the metrics token, the fallback key and the collector headers as secrets', () => {
    const secrets = configSecrets(
      loadConfig({
        METRICS_TOKEN: 'metrics-token-abcdef',
        FALLBACK_OPENAI_API_KEY: 'sk-fallback-abcdef',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=collector-abcdef',
      }),
    );
    expect(secrets).toEqual(
      expect.arrayContaining(['metrics-token-abcdef', 'sk-fallback-abcdef', 'x-api-key=collector-abcdef']),
    );
  });

  it('reads OTEL_EXPORTER_OTLP_HEADERS as the OTLP exporters do', () => {
    expect(parseOtlpHeaders('api-key=abc%3D%3D, x-team = blue ,broken')).toEqual({
      'api-key': 'abc==',
      'x-team': 'blue',
    });
    expect(parseOtlpHeaders(undefined)).toEqual({});
  });

  it('creates no tracer at all without an endpoint', async () => {
    expect(await createTracing(loadConfig({}))).toBeUndefined();
  });

  it('warns about an open /metrics beside a protected API, and about a fallback nothing uses', () => {
    const open = startupWarnings(loadConfig({ API_KEYS: 'client-key-123456:acme' }));
    expect(open.some((w) => w.includes('METRICS_TOKEN'))).toBe(true);
    const closed = startupWarnings(
      loadConfig({ API_KEYS: 'client-key-123456:acme', METRICS_TOKEN: 'abcdefghij' }),
    );
    expect(closed.some((w) => w.includes('METRICS_TOKEN'))).toBe(false);
    const unused = startupWarnings(loadConfig({ FALLBACK_OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' }));
    expect(unused.some((w) => w.includes('fallback model is not used'))).toBe(true);
  });
});
