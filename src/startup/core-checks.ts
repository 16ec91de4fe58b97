import type { ReadinessRegistry } from '../health/readiness.js';
import type { SessionStore } from '../sessions/types.js';

/** The checks of what the HTTP shell itself owns; subsystems register their own beside these. */
export function registerCoreChecks(readiness: ReadinessRegistry, sessions: SessionStore): void {
  readiness.register({ name: 'api', critical: true, run: () => ({ status: 'healthy' }) });
  readiness.register({
    name: 'sessions',
    critical: true,
    run: async () => {
      try {
        return {
          status: 'healthy',
          details: { store: sessions.kind, active_sessions: await sessions.count() },
        };
      } catch {
        return {
          status: 'unhealthy',
          message: `the ${sessions.kind} session store is not answering`,
          details: { store: sessions.kind },
        };
      }
    },
  });
}
