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
  const controller = new AbortController();
  const listening: Array<[AbortSignal, () => void]> = [];
  const dispose = () => {
    for (const [parent, onAbort] of listening) parent.removeEventListener('abort', onAbort);
    listening.length = 0;
  };
  for (const parent of parents) {
    if (parent.aborted) {
      controller.abort(parent.reason);
      break;
    }
    const onAbort = () => {
      controller.abort(parent.reason);
      dispose();
    };
    parent.addEventListener('abort', onAbort, { once: true });
    listening.push([parent, onAbort]);
  }
  if (controller.signal.aborted) dispose();
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    dispose,
  };
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
