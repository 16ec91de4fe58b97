export type CheckStatus = 'healthy' | 'degraded' | 'unavailable' | 'unhealthy' | 'disabled';

export interface CheckOutcome {
  status: CheckStatus;
  /** Short human-readable line; becomes a warning when the status is not healthy/disabled. */
  message?: string;
  /** Safe, non-secret facts (provider, model, tool count…). */
  details?: Record<string, unknown>;
}

export interface ReadinessCheck {
  name: string;
  /** A failing critical check makes readiness answer 503 not_ready. */
  critical: boolean;
  run(signal: AbortSignal): Promise<CheckOutcome> | CheckOutcome;
}

export interface CheckReport extends CheckOutcome {
  critical: boolean;
  duration_ms: number;
}

export interface ReadinessReport {
  status: 'ready' | 'degraded' | 'not_ready';
  checks: Record<string, CheckReport>;
  warnings: string[];
}

const OK: ReadonlySet<CheckStatus> = new Set(['healthy', 'disabled']);

/**
 * Subsystems register named checks; a readiness probe runs them all in parallel, each under its own
 * short timeout, so one hung dependency cannot hang the probe.
 */
export function createReadinessRegistry(options: { timeoutMs?: number } = {}) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const checks = new Map<string, ReadinessCheck>();

  async function runOne(check: ReadinessCheck): Promise<CheckReport> {
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ status: 'unavailable', message: `${check.name} check timed out after ${timeoutMs} ms` });
      }, timeoutMs);
    });
    let outcome: CheckOutcome;
    try {
      outcome = await Promise.race([Promise.resolve().then(() => check.run(controller.signal)), timeout]);
    } catch (err) {
      outcome = {
        status: 'unavailable',
        message: `${check.name} check failed: ${err instanceof Error ? err.message : String(err)}`,
      };
    } finally {
      clearTimeout(timer);
    }
    return { ...outcome, critical: check.critical, duration_ms: Math.round(performance.now() - started) };
  }

  return {
    register(check: ReadinessCheck): void {
      checks.set(check.name, check);
    },
    async run(): Promise<ReadinessReport> {
      const list = [...checks.values()];
      const reports = await Promise.all(list.map(runOne));
      const result: Record<string, CheckReport> = {};
      const warnings: string[] = [];
      let criticalFailed = false;
      let anyFailed = false;
      list.forEach((check, i) => {
        const report = reports[i]!;
        result[check.name] = report;
        if (!OK.has(report.status)) {
          anyFailed = true;
          if (check.critical && report.status !== 'degraded') criticalFailed = true;
          warnings.push(report.message ?? `${check.name} is ${report.status}`);
        }
      });
      return {
        status: criticalFailed ? 'not_ready' : anyFailed ? 'degraded' : 'ready',
        checks: result,
        warnings,
      };
    },
  };
}

export type ReadinessRegistry = ReturnType<typeof createReadinessRegistry>;
