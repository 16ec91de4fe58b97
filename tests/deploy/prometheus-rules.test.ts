import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from '../helpers/server-process.js';

// The alert rules an operator loads: valid for Prometheus, each one behaving as its unit tests say,
// and each one explained in the runbook.

const run = promisify(execFile);
const RULES = path.join(REPO_ROOT, 'deploy/prometheus/alerts.yml');
const RULE_TESTS = path.join(REPO_ROOT, 'deploy/prometheus/alerts.test.yml');
const hasPromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

interface RuleFile {
  groups: Array<{
    name: string;
    rules: Array<{ alert?: string; expr: string; annotations?: Record<string, string> }>;
  }>;
}
const alerts = (parse(readFileSync(RULES, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules);

describe('deploy/prometheus/alerts.yml', () => {
  it.skipIf(!hasPromtool)('passes promtool check rules', async () => {
    const { stdout } = await run('promtool', ['check', 'rules', RULES]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  it.skipIf(!hasPromtool)('passes its promtool unit tests', async () => {
    const { stdout } = await run('promtool', ['test', 'rules', RULE_TESTS], {
      cwd: path.dirname(RULE_TESTS),
    });
    expect(stdout).toContain('SUCCESS');
  });

  it('covers error rate, turn latency, model failures, the breaker, MCP and readiness', () => {
    const exprs = alerts.map((a) => a.expr).join('\n');
    for (const metric of [
      'http_requests_total',
      'chat_turn_duration_seconds_bucket',
      'llm_requests_total',
      'llm_breaker_open',
      'mcp_connected',
      'kube_pod_status_ready',
    ]) {
      expect(exprs, metric).toContain(metric);
    }
  });

  it('links every alert to its section of the runbook', () => {
    const runbook = readFileSync(path.join(REPO_ROOT, 'docs/runbook.md'), 'utf8');
    for (const rule of alerts) {
      const name = rule.alert!;
      expect(rule.annotations?.runbook_url, name).toBe(`docs/runbook.md#${name.toLowerCase()}`);
      expect(runbook, name).toMatch(new RegExp(`^## ${name}$`, 'm'));
    }
  });
});
