import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

interface Service {
  profiles?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, unknown> | string[];
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const scale = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('scale'));
const replicas = scale.filter(([name]) => /^api-\d+$/.test(name));

describe('compose scale profile', () => {
  it('runs Redis, Postgres, three API replicas and a proxy', () => {
    expect(scale.map(([name]) => name).sort()).toEqual([
      'api-1',
      'api-2',
      'api-3',
      'postgres',
      'proxy',
      'redis',
    ]);
  });

  it('points every replica at the shared Redis and Postgres, each with its own log file', () => {
    const logFiles = new Set<string>();
    for (const [, service] of replicas) {
      expect(service.environment).toMatchObject({
        REDIS_URL: 'redis://redis:6379/0',
        SESSION_STORE: 'redis',
        TRUST_PROXY: '1',
      });
      expect(service.environment?.ORDER_DB_URL).toMatch(/^postgres:\/\/msev:.*@postgres:5432\/msev$/);
      logFiles.add(String(service.environment?.LOG_FILE_PATH));
    }
    expect(logFiles.size).toBe(replicas.length);
  });

  it('proxies round-robin to exactly the replicas the compose file defines', () => {
    const nginx = read('deploy/nginx/nginx.conf');
    const upstream = /upstream msev_api \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
    const servers = [...upstream.matchAll(/server\s+([\w-]+):9080/g)].map((m) => m[1]);
    expect(servers).toEqual(replicas.map(([name]) => name));
    // No affinity directive: any request may land on any replica.
    expect(upstream).not.toMatch(/ip_hash|hash |sticky/);
    expect(compose.services.proxy?.volumes).toContain(
      './deploy/nginx/nginx.conf:/etc/nginx/conf.d/default.conf:ro',
    );
  });
});
