import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { bannerLines } from '../../src/startup/banner.js';

const facts = {
  url: 'http://127.0.0.1:9080',
  model: { provider: 'offline', model: 'offline' },
  mcp: { state: 'connected' },
  warnings: [],
};

const lines = (env: Record<string, string>) => new Map(bannerLines(loadConfig(env), facts));

describe('the banner says what the instances share', () => {
  it('nothing without REDIS_URL', () => {
    expect(lines({}).get('Redis')).toBe('off (turn order and rate limits kept in this process)');
    expect(lines({ ENABLE_RATE_LIMITING: 'true' }).get('Rate limit')).toBe('100/min');
  });

  it('the Redis server without its password, and limits counted across instances', () => {
    const banner = lines({
      REDIS_URL: 'redis://:s3cret@cache.internal:6379/0',
      ENABLE_RATE_LIMITING: 'true',
    });
    expect(banner.get('Redis')).toBe(
      'redis://****@cache.internal:6379/0 (shared by every instance, keys under msev:)',
    );
    expect(banner.get('Rate limit')).toBe('100/min across instances');
    expect([...banner.values()].join('\n')).not.toContain('s3cret');
  });
});
