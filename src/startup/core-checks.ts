import type { ReadinessRegistry } from '../health/readiness.js';
import type { SessionStore } from '../sessions/types.js';

/** The checks of what the HTTP shell itself owns; subsystems register their own beside these. */
export function registerCoreChecks(readiness: ReadinessRegistry, sessions: SessionStore): void {
  readiness.register({ name: 'api', critical: true, run: () => ({ status: 'healthy' }) });
  readiness.register({
    name: 'sessions',
    critical: true,
    run: async () => ({
      status: 'healthy',
      details: { store: 'memory', active_sessions: await sessions.count() },
    }),
  });
}
