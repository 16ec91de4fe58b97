import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/server-process.js';

// `docker compose up` must work with whichever Compose a user has: Debian's docker-compose (v1) and
// the Compose v2 plugin. Both validate the file without a Docker engine (`config`); the structure
// is also checked here so that the rules hold where neither is installed.

const run = promisify(execFile);
const COMPOSE_FILE = path.join(REPO_ROOT, 'docker-compose.yml');

const works = (command: string, args: string[]) => {
  const probe = spawnSync(command, args, { stdio: 'ignore' });
  return probe.error === undefined && probe.status === 0;
};
const hasComposeV1 = works('docker-compose', ['version']);
const hasComposeV2 = works('docker', ['compose', 'version']);

interface Service {
  image?: string;
  build?: unknown;
  env_file?: string[];
  depends_on?: Record<string, unknown> | string[];
  networks?: string[] | Record<string, unknown>;
  profiles?: string[];
  volumes?: string[];
}
interface ComposeFile {
  name?: string;
  version?: string;
  services: Record<string, Service>;
  networks?: Record<string, unknown>;
}

const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as ComposeFile;
/** Profiles to validate: every one the file declares, so no optional service goes unchecked. */
const profiles = [...new Set(Object.values(compose.services).flatMap((s) => s.profiles ?? []))];
const profileArgs = profiles.flatMap((p) => ['--profile', p]);
const composeEnv = { ...process.env, COMPOSE_PROJECT_NAME: 'msev15e2e-config-check' };

describe('docker-compose.yml', () => {
  it('has no top-level name or version (Compose v1 rejects the one, v2 warns about the other)', () => {
    expect(compose.name).toBeUndefined();
    expect(compose.version).toBeUndefined();
  });

  it('is consistent: images, env files, dependencies and networks exist', () => {
    const names = Object.keys(compose.services);
    expect(names).toEqual(expect.arrayContaining(['api', 'complaints']));
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.image ?? service.build, name).toBeDefined();
      for (const file of service.env_file ?? [])
        expect(existsSync(path.join(REPO_ROOT, file)), file).toBe(true);
      const deps = Array.isArray(service.depends_on)
        ? service.depends_on
        : Object.keys(service.depends_on ?? {});
      for (const dep of deps) expect(names, `${name} depends on ${dep}`).toContain(dep);
      const nets = Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? {});
      for (const net of nets)
        expect(Object.keys(compose.networks ?? {}), `${name} uses ${net}`).toContain(net);
    }
    // The API keeps its data and logs on mounts: its root file system is read-only.
    expect(compose.services.api!.volumes).toEqual(
      expect.arrayContaining(['./data:/app/data', './logs:/app/logs']),
    );
  });

  it.skipIf(!hasComposeV1)('validates with Compose v1 (docker-compose config)', async () => {
    const { stderr } = await run('docker-compose', ['-f', COMPOSE_FILE, ...profileArgs, 'config', '-q'], {
      cwd: REPO_ROOT,
      env: composeEnv,
    });
    expect(stderr).not.toMatch(/invalid|error/i);
  });

  it.skipIf(!hasComposeV2)('validates with Compose v2 (docker compose config)', async () => {
    const { stderr } = await run('docker', ['compose', '-f', COMPOSE_FILE, ...profileArgs, 'config', '-q'], {
      cwd: REPO_ROOT,
      env: composeEnv,
    });
    expect(stderr).not.toMatch(/invalid|error|obsolete/i);
  });
});
