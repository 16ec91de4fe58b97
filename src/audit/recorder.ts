import type { Logger } from 'pino';
import type { AuditEntry, AuditStore } from './types.js';

export interface AuditRecorderOptions {
  store: AuditStore;
  logger: Logger;
  /** Entries waiting to be written; beyond it new entries are refused (and logged). */
  maxQueue?: number;
  /** Entries per write (one transaction); a full batch is written at once. */
  batchSize?: number;
  /**
   * How long the first queued entry waits for others to share its write (default 20 ms): one
   * transaction, and one WAL commit, for every entry recorded meanwhile instead of one each.
   */
  flushDelayMs?: number;
  /** AUDIT_RETENTION_DAYS: older entries are deleted by the sweeper. */
  retentionDays: number;
  /** How often the sweeper runs; it never keeps the process alive. */
  sweepIntervalMs?: number;
  now?: () => number;
}

/**
 * Writes audit entries off the hot path: `record` only queues (bounded), a background drain writes
 * batches — what was recorded within `flushDelayMs` of the first waiting entry, or a full batch at
 * once — and `flush`/`close` write everything queued without waiting for the delay. Nothing is lost
 * silently: an entry refused by a full queue and a batch the store could not write are logged at
 * error level with their count. A crash (no `close`) loses what was still queued: at most the
 * entries of the last `flushDelayMs` (and of a write under way).
 */
export function createAuditRecorder(options: AuditRecorderOptions) {
  const { store, logger } = options;
  const maxQueue = options.maxQueue ?? 10_000;
  const batchSize = options.batchSize ?? 200;
  const flushDelayMs = options.flushDelayMs ?? 20;
  const now = options.now ?? Date.now;
  const queue: AuditEntry[] = [];
  let draining: Promise<void> | undefined;
  /** While the next drain waits for its delay: starts it at once. */
  let hurry: (() => void) | undefined;
  let closed = false;
  let dropped = 0;
  let failed = 0;
  let written = 0;

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, batchSize);
      try {
        await store.insert(batch);
        written += batch.length;
      } catch (err) {
        failed += batch.length;
        logger.error(
          { err: err instanceof Error ? { message: err.message } : String(err), entries: batch.length },
          'audit entries could not be written',
        );
      }
    }
  }

  function schedule(): void {
    if (draining) return;
    draining = new Promise<void>((resolve) => {
      if (closed || queue.length >= batchSize) {
        setImmediate(resolve);
        return;
      }
      const timer = setTimeout(resolve, flushDelayMs);
      hurry = () => {
        clearTimeout(timer);
        resolve();
      };
    })
      .then(() => {
        hurry = undefined;
        return drain();
      })
      .finally(() => {
        draining = undefined;
        if (queue.length > 0) schedule();
      });
  }

  async function sweep(): Promise<number> {
    const cutoff = new Date(now() - options.retentionDays * 86_400_000);
    try {
      const deleted = await store.deleteOlderThan(cutoff);
      if (deleted > 0)
        logger.info({ deleted, retention_days: options.retentionDays }, 'old audit entries deleted');
      return deleted;
    } catch (err) {
      logger.warn(
        { err: err instanceof Error ? { message: err.message } : String(err) },
        'audit sweep failed',
      );
      return 0;
    }
  }

  const sweeper = setInterval(() => void sweep(), options.sweepIntervalMs ?? 3_600_000);
  sweeper.unref();

  async function flush(): Promise<void> {
    while (draining || queue.length > 0) {
      if (!draining) schedule();
      hurry?.();
      await draining;
    }
  }

  return {
    record(entry: AuditEntry): void {
      if (closed || queue.length >= maxQueue) {
        dropped++;
        logger.error(
          {
            tool: entry.tool,
            session_id: entry.session_id,
            dropped,
            reason: closed ? 'closed' : 'queue_full',
          },
          'audit entry dropped',
        );
        return;
      }
      queue.push(entry);
      schedule();
      if (queue.length >= batchSize) hurry?.();
    },
    /** Resolves once everything queued so far is written (or its failure logged). */
    flush,
    sweep,
    stats: () => ({ queued: queue.length, written, failed, dropped }),
    async close(): Promise<void> {
      clearInterval(sweeper);
      closed = true;
      await flush();
    },
  };
}

export type AuditRecorder = ReturnType<typeof createAuditRecorder>;
