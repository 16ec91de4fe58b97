import { ServiceError } from '../errors.js';

export const SHUTTING_DOWN_MESSAGE = 'The server is shutting down; retry shortly';

/**
 * Knows every chat turn that is running so that shutdown can refuse new ones, give the running ones
 * a grace period, and then abort what is left (streams get an `error` event rather than a cut).
 */
export function createInflightTurns() {
  const active = new Set<AbortController>();
  let closing = false;
  let idle: (() => void) | undefined;

  return {
    get closing(): boolean {
      return closing;
    },
    get size(): number {
      return active.size;
    },
    /** Registers a turn; the returned function must be called when it ends. */
    track(controller: AbortController): () => void {
      active.add(controller);
      return () => {
        active.delete(controller);
        if (active.size === 0) idle?.();
      };
    },
    /** Stops admitting turns and waits up to `graceMs` for running ones; then aborts the rest. */
    async drain(graceMs: number): Promise<{ finished: boolean; aborted: number }> {
      closing = true;
      if (active.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, graceMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const aborted = active.size;
      for (const controller of active) controller.abort(new ShutdownError());
      return { finished: aborted === 0, aborted };
    },
  };
}

/** A ServiceError, so that a turn stopped by shutdown tells its stream (and its replay) why. */
export class ShutdownError extends ServiceError {
  constructor() {
    super('AGENT_UNAVAILABLE', SHUTTING_DOWN_MESSAGE);
    this.name = 'ShutdownError';
  }
}

export type InflightTurns = ReturnType<typeof createInflightTurns>;
