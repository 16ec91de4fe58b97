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
  /** Aborted with the parent's reason when the parent aborts, or by `abort`. */
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
  /** Removes the listener from the parent; call it when the child's work is over. */
  dispose(): void;
}

/**
 * What `AbortSignal.any([parent, own.signal])` gives, with one controller and one listener on the
 * parent that `dispose` removes, so that a turn-long signal does not collect a composite signal (and
 * its weak references) for every step and tool call.
 */
export function childAbort(parent: AbortSignal): ChildAbort {
  const controller = new AbortController();
  const onAbort = () => controller.abort(parent.reason);
  if (parent.aborted) controller.abort(parent.reason);
  else parent.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    abort: (reason?: unknown) => controller.abort(reason),
    dispose: () => parent.removeEventListener('abort', onAbort),
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
