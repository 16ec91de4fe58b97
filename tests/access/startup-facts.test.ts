import { describe, expect, it } from 'vitest';
import { bannerLines } from '../../src/startup/banner.js';
import { startupWarnings } from '../../src/startup/warnings.js';
import { testConfig } from '../helpers/build-test-app.js';

const facts = {
  url: 'http://127.0.0.1:9080',
  model: { provider: 'offline', model: '-' },
  mcp: { state: 'disabled' },
  warnings: [],
};
const JWT = {
  AUTH_JWT_SECRET: 'a-secret-of-at-least-thirty-two-chars',
  AUTH_JWT_ISSUER: 'https://issuer.test',
  AUTH_JWT_AUDIENCE: 'cs-agent',
};
const auth = (env: Record<string, string>) => new Map(bannerLines(testConfig(env), facts)).get('Auth');

describe('what the start-up banner and warnings say about authentication', () => {
  it('names each way of authenticating, never a secret', () => {
    expect(auth({})).toBe('open (no API_KEYS)');
    expect(auth({ API_KEYS: 'key-aaaa-1111:a,key-bbbb-2222:b:service' })).toBe('API keys (2 keys)');
    expect(auth(JWT)).toBe('JWT HS256');
    expect(
      auth({ ...JWT, API_KEYS: 'key-aaaa-1111:a', AUTH_JWT_JWKS_URL: 'https://issuer.test/jwks.json' }),
    ).toBe('API keys (1 key) + JWT HS256 + JWT JWKS');
  });

  it('warns that /api/* is open only when neither keys nor tokens are configured', () => {
    expect(startupWarnings(testConfig({})).some((w) => w.includes('open to anyone'))).toBe(true);
    expect(startupWarnings(testConfig(JWT)).some((w) => w.includes('open to anyone'))).toBe(false);
  });
});
