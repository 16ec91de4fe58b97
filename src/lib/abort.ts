/** What a cancelled operation rejects with: the reason given to `abort()`, else a standard AbortError. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/**
 * Settles like `promise`, or rejects as soon as `signal` aborts (with `toError(signal)`, by default the
 * abort reason) — so callers stop at once even when the work is slow to honour its signal. The work
 * itself carries on; its eventual rejection is swallowed.
 */
export function raceAbort<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  toError: (signal: AbortSignal) => unknown = abortReason,
): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(toError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(toError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export interface ChildAbort {
  /** Aborted with a parent's reason when a parent aborts, or by `abort`. */
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /**
   * `raceAbort(promise, signal)` without a listener of its own: settles like `promise`, or rejects
   * with the abort reason as soon as the child aborts.
   */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Removes the listeners from the parents; call it when the child's work is over. */
  dispose(): void;
}

/**
 * What `AbortSignal.any([...parents, own.signal])` gives, with one controller and one listener per
 * parent that `dispose` removes. A long-lived parent (a turn's signal, a lock's signal that never
 * aborts) thus collects nothing: `AbortSignal.any` leaves a weak reference in each parent's set of
 * dependants for every composite signal, which such a parent keeps for as long as it lives.
 */
export function childAbort(...parents: AbortSignal[]): ChildAbort {
  return new Child(parents);
}

const NO_PARENTS: AbortSignal[] = [];

/** One object listens to every parent (`handleEvent`): no closure or tuple per parent and child. */
class Child implements ChildAbort {
  private readonly controller = new AbortController();
  readonly signal: AbortSignal = this.controller.signal;
  /** The parents still listened to; emptied by `dispose`. */
  private parents: AbortSignal[];
  /** Rejects the pending `race` promises when the child aborts. */
  private stopRaces: (() => void) | undefined;

  constructor(parents: AbortSignal[]) {
    this.parents = parents;
    for (let i = 0; i < parents.length; i++) {
      const parent = parents[i] as AbortSignal;
      if (parent.aborted) {
        this.parents = parents.slice(0, i);
        this.controller.abort(parent.reason);
        this.dispose();
        return;
      }
      parent.addEventListener('abort', this, { once: true });
    }
  }

  handleEvent(event: Event): void {
    this.controller.abort((event.target as AbortSignal).reason);
    this.dispose();
    this.settleRaces();
  }

  /** Bound: callers pass it around on its own. */
  readonly abort = (reason?: unknown): void => {
    this.controller.abort(reason);
    this.settleRaces();
  };

  race<T>(promise: Promise<T>): Promise<T> {
    if (this.signal.aborted) return raceAbort(promise, this.signal);
    return new Promise<T>((resolve, reject) => {
      const stop = () => {
        promise.catch(() => undefined);
        reject(abortReason(this.signal));
      };
      const earlier = this.stopRaces;
      this.stopRaces = earlier
        ? () => {
            earlier();
            stop();
          }
        : stop;
      promise.then(resolve, reject);
    });
  }

  private settleRaces(): void {
    const stop = this.stopRaces;
    this.stopRaces = undefined;
    stop?.();
  }

  dispose(): void {
    const { parents } = this;
    if (parents.length === 0) return;
    this.parents = NO_PARENTS;
    for (const parent of parents) parent.removeEventListener('abort', this);
  }
}

/** Resolves after `ms`, or as soon as `signal` aborts (it never rejects): a wait that a cancel cuts short. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
