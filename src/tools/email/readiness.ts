import type { CheckOutcome, ReadinessCheck } from '../../health/readiness.js';
import { MailerError } from './mail-errors.js';
import type { Mailer } from './mailer.js';

export const SMTP_VERIFY_CACHE_MS = 60_000;

/**
 * Readiness check `email` (non-critical: the agent keeps chatting without mail). An SMTP verify()
 * opens a real connection, so its outcome is reused for a minute and concurrent probes share one
 * attempt; checking the outbox folder is cheap and runs every time.
 */
export function emailReadinessCheck(
  mailer: Pick<Mailer, 'transport' | 'verify'>,
  options: { cacheMs?: number; now?: () => number } = {},
): ReadinessCheck {
  const cacheMs = options.cacheMs ?? SMTP_VERIFY_CACHE_MS;
  const now = options.now ?? Date.now;
  const details = { transport: mailer.transport };
  let cached: { at: number; outcome: CheckOutcome } | undefined;
  let inFlight: Promise<CheckOutcome> | undefined;

  async function probe(signal?: AbortSignal): Promise<CheckOutcome> {
    try {
      await mailer.verify(signal);
      return { status: 'healthy', details };
    } catch (err) {
      const reason = err instanceof MailerError ? err.message : 'the check failed';
      const what = mailer.transport === 'smtp' ? 'Mail server' : 'E-mail outbox';
      return {
        status: 'unavailable',
        message: `${what}: ${reason} E-mail tools will fail until it recovers.`,
        details,
      };
    }
  }

  return {
    name: 'email',
    critical: false,
    async run(signal: AbortSignal): Promise<CheckOutcome> {
      if (mailer.transport !== 'smtp') return probe(signal);
      if (cached && now() - cached.at < cacheMs) return cached.outcome;
      // Not tied to this probe's signal: a slow server still fills the cache for the next probe.
      inFlight ??= probe().then((outcome) => {
        cached = { at: now(), outcome };
        inFlight = undefined;
        return outcome;
      });
      const attempt = inFlight;
      if (signal.aborted)
        return { status: 'unavailable', message: 'Mail server check was cancelled.', details };
      return new Promise<CheckOutcome>((resolve) => {
        const onAbort = () =>
          resolve({
            status: 'unavailable',
            message: 'Mail server did not answer the check in time.',
            details,
          });
        signal.addEventListener('abort', onAbort, { once: true });
        void attempt.then((outcome) => {
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        });
      });
    },
  };
}
