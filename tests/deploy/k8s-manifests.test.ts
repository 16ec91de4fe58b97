import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/index.js';
import { REPO_ROOT } from '../helpers/server-process.js';

// The manifests an operator applies: every one is valid against the Kubernetes schemas, and they
// agree with each other and with the service (probes, shutdown timing, configuration names).

const run = promisify(execFile);
const K8S_DIR = path.join(REPO_ROOT, 'deploy/k8s');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

const MODELS: Record<string, { validate(data: unknown): void }> = {
  'apps/v1/Deployment': { validate: (d) => new Deployment(d as Deployment).validate() },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    validate: (d) => new HorizontalPodAutoscaler(d as HorizontalPodAutoscaler).validate(),
  },
  'policy/v1/PodDisruptionBudget': {
    validate: (d) => new PodDisruptionBudget(d as PodDisruptionBudget).validate(),
  },
  'v1/ConfigMap': { validate: (d) => new ConfigMap(d as ConfigMap).validate() },
  'v1/Secret': { validate: (d) => new Secret(d as Secret).validate() },
  'v1/Service': { validate: (d) => new Service(d as Service).validate() },
};

const files = readdirSync(K8S_DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const manifests = new Map<string, { file: string; doc: Manifest }>();
for (const file of files) {
  for (const document of parseAllDocuments(readFileSync(path.join(K8S_DIR, file), 'utf8'))) {
    expect(document.errors, file).toEqual([]);
    const doc = document.toJS() as Manifest;
    manifests.set(doc.kind, { file, doc });
  }
}
const get = <T>(kind: string) => manifests.get(kind)!.doc as unknown as T;

const deployment = get<Deployment>('Deployment');
const pod = deployment.spec!.template.spec!;
const api = pod.containers[0]!;
const configMap = get<ConfigMap>('ConfigMap');
const secret = get<Secret>('Secret');

describe('deploy/k8s', () => {
  it('holds a Deployment, Service, HPA, PodDisruptionBudget, ConfigMap and Secret template', () => {
    expect([...manifests.keys()].sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Secret',
        'Service',
      ].sort(),
    );
  });

  it('validates every manifest against the Kubernetes schemas', () => {
    for (const { file, doc } of manifests.values()) {
      const model = MODELS[`${doc.apiVersion}/${doc.kind}`];
      expect(model, `${file}: ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => model!.validate(doc), file).not.toThrow();
    }
    // The validation is real: a wrong type is refused.
    const broken = structuredClone(deployment) as unknown as { spec: { replicas: unknown } };
    broken.spec.replicas = 'two';
    expect(() => MODELS['apps/v1/Deployment']!.validate(broken)).toThrow(/replicas/);
  });

  it('probes liveness and readiness on the health routes and drains before SIGTERM', () => {
    expect(api.livenessProbe?.httpGet?.path).toBe('/health/liveness');
    expect(api.readinessProbe?.httpGet?.path).toBe('/health/readiness');
    expect(api.startupProbe?.httpGet?.path).toBe('/health/liveness');
    const port = api.ports?.find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(Number(configMap.data!.SERVER_PORT));
    const preStop = api.lifecycle?.preStop?.exec?.command ?? [];
    expect(preStop[0]).toBe('sleep');
    const sleepSeconds = Number(preStop[1]);
    expect(sleepSeconds).toBeGreaterThan(0);
    // SIGKILL must not come before the preStop sleep, the drain (SHUTDOWN_GRACE_MS) and the
    // server's own forced exit 10 s after it.
    const graceMs = Number(configMap.data!.SHUTDOWN_GRACE_MS);
    expect(pod.terminationGracePeriodSeconds! * 1000).toBeGreaterThan(sleepSeconds * 1000 + graceMs + 10_000);
  });

  it('runs as non-root on a read-only root file system with writable data and logs volumes', () => {
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    expect(pod.securityContext?.runAsUser).toBe(1000);
    expect(api.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    const mounts = Object.fromEntries((api.volumeMounts ?? []).map((m) => [m.mountPath, m.name]));
    expect(mounts['/app/data']).toBeDefined();
    expect(mounts['/app/logs']).toBeDefined();
    const volumes = (pod.volumes ?? []).map((v) => v.name);
    for (const name of Object.values(mounts)) expect(volumes).toContain(name);
    expect(api.resources?.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(api.resources?.limits).toMatchObject({ memory: expect.any(String) });
  });

  it('ties the objects together: selectors, the scale target and the configuration sources', () => {
    const labels = deployment.spec!.template.metadata!.labels!;
    const matches = (selector: Record<string, string> | undefined) =>
      Object.entries(selector ?? {}).every(([k, v]) => labels[k] === v);
    expect(matches(deployment.spec!.selector.matchLabels)).toBe(true);
    expect(matches(get<Service>('Service').spec!.selector)).toBe(true);
    expect(matches(get<PodDisruptionBudget>('PodDisruptionBudget').spec!.selector!.matchLabels)).toBe(true);
    const hpa = get<HorizontalPodAutoscaler>('HorizontalPodAutoscaler');
    expect(hpa.spec!.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment.metadata!.name });
    expect(hpa.spec!.minReplicas).toBeGreaterThanOrEqual(2);
    expect(get<PodDisruptionBudget>('PodDisruptionBudget').spec!.minAvailable).toBe(1);
    const sources = (api.envFrom ?? []).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    expect(sources).toEqual([configMap.metadata!.name, secret.metadata!.name]);
  });

  it('configures Redis sessions and Postgres orders, with placeholders only in the Secret', () => {
    expect(configMap.data!.SESSION_STORE).toBe('redis');
    const values = secret.stringData!;
    expect(values.REDIS_URL).toMatch(/^redis:\/\//);
    expect(values.ORDER_DB_URL).toMatch(/^postgres:\/\//);
    for (const [key, value] of Object.entries(values)) {
      if (value !== '') expect(value, key).toContain('CHANGE_ME');
    }
    expect(secret.data).toBeUndefined();
    // No secret in the ConfigMap.
    for (const key of Object.keys(configMap.data!)) {
      expect(key).not.toMatch(/API_KEY|PASSWORD|SECRET|TOKEN/);
      expect(Object.keys(values)).not.toContain(key);
    }
    // Together they are a configuration the service accepts.
    expect(() => loadConfig({ ...configMap.data, ...values })).not.toThrow();
    expect(loadConfig({ ...configMap.data, ...values }).LOG_TO_FILE).toBe(false);
  });

  it('lists every manifest but the Secret template in kustomization.yaml', () => {
    const kustomization = parseAllDocuments(
      readFileSync(path.join(K8S_DIR, 'kustomization.yaml'), 'utf8'),
    )[0]!.toJS() as {
      resources: string[];
    };
    const expected = [...manifests.values()].map((m) => m.file).filter((f) => f !== 'secret.example.yaml');
    expect(kustomization.resources.sort()).toEqual(expected.sort());
  });

  const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!hasKubectl)('renders with kubectl kustomize', async () => {
    const { stdout } = await run('kubectl', ['kustomize', K8S_DIR], { maxBuffer: 10 * 1024 * 1024 });
    const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as Manifest).kind);
    expect(kinds.sort()).toEqual([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(stdout).toContain('image: registry.example.com/msev15e2e-ts:0.1.0');
  });
});
