import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HandoffEvent } from './service.js';

export interface HandoffWebhookOptions {
  url: string;
  secret: string;
  logger: Logger;
  /** Deliveries tried per hand-off, the first included. */
  maxAttempts?: number;
  /** Wait before the first retry; doubled for each further one (with jitter), up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Hand-offs waiting for delivery; a new one beyond it is dropped (and logged). */
  maxQueue?: number;
  /** One delivery attempt's timeout. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The JSON body the receiver gets. Only ids, the reason and the time: no customer message text. */
export interface HandoffWebhookBody {
  type: 'session.handoff';
  delivery_id: string;
  tenant_id: string;
  session_id: string;
  reason: string;
  handed_off_at: string;
  /** API paths (relative to the service's base URL) an operator uses next. */
  links: { history: string; messages: string; release: string };
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`, the X-Signature-256 header's value. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export function webhookBody(event: HandoffEvent, deliveryId: string = randomUUID()): HandoffWebhookBody {
  const session = encodeURIComponent(event.sessionId);
  const tenant = `tenant_id=${encodeURIComponent(event.tenantId)}`;
  return {
    type: 'session.handoff',
    delivery_id: deliveryId,
    tenant_id: event.tenantId,
    session_id: event.sessionId,
    reason: event.reason,
    handed_off_at: event.at,
    links: {
      history: `/api/v1/sessions/${session}/history?${tenant}`,
      messages: `/api/v1/sessions/${session}/messages?${tenant}`,
      release: `/api/v1/sessions/${session}/handoff/release?${tenant}`,
    },
  };
}

interface Delivery {
  id: string;
  body: string;
  attempt: number;
  tenantId: string;
  sessionId: string;
}

/** 5xx, 429 and 408 are worth another try; any other answer is final. */
const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

/**
 * Delivers hand-offs to HANDOFF_WEBHOOK_URL off the request path: one delivery at a time from a
 * bounded queue, retried with exponential backoff on a network failure or a retryable status. Its
 * timers never keep the process alive; `close` waits briefly for the delivery in flight and
 * abandons (and logs) what is left.
 */
export function createHandoffWebhook(options: HandoffWebhookOptions) {
  const { url, secret, logger } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 60_000;
  const maxQueue = options.maxQueue ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const doFetch = options.fetch ?? fetch;
  const log = logger.child({ component: 'handoff-webhook' });

  const queue: Delivery[] = [];
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const stop = new AbortController();

  function backoff(attempt: number): number {
    const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  async function attempt(d: Delivery): Promise<'done' | 'retry'> {
    d.attempt++;
    const context = { delivery_id: d.id, tenant_id: d.tenantId, session_id: d.sessionId, attempt: d.attempt };
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'msev15e2e-ts-handoff-webhook',
          'x-signature-256': signBody(secret, d.body),
          'x-handoff-delivery': d.id,
        },
        body: d.body,
        signal: AbortSignal.any([stop.signal, AbortSignal.timeout(timeoutMs)]),
        redirect: 'manual',
      });
      await res.body?.cancel().catch(() => {});
      if (res.ok) {
        log.info({ ...context, status: res.status }, 'hand-off webhook delivered');
        return 'done';
      }
      if (!retryable(res.status)) {
        log.warn({ ...context, status: res.status }, 'hand-off webhook refused; not retried');
        return 'done';
      }
      log.warn({ ...context, status: res.status }, 'hand-off webhook failed');
    } catch (err) {
      if (stop.signal.aborted) return 'retry';
      log.warn({ ...context, reason: err instanceof Error ? err.name : 'error' }, 'hand-off webhook failed');
    }
    if (d.attempt >= maxAttempts) {
      log.error(context, 'hand-off webhook given up after the last attempt');
      return 'done';
    }
    return 'retry';
  }

  /** Delivers the queue's head; schedules itself again while work is left. */
  function pump(): void {
    if (closed || running || timer) return;
    const next = queue[0];
    if (!next) return;
    running = attempt(next).then((outcome) => {
      running = undefined;
      if (outcome === 'done') queue.shift();
      if (closed) return;
      if (outcome === 'done') {
        pump();
        return;
      }
      timer = setTimeout(() => {
        timer = undefined;
        pump();
      }, backoff(next.attempt));
      timer.unref();
    });
  }

  return {
    /** Queues a hand-off for delivery; never throws, never waits. */
    notify(event: HandoffEvent): void {
      if (closed) return;
      if (queue.length >= maxQueue) {
        log.error(
          { tenant_id: event.tenantId, session_id: event.sessionId, queued: queue.length },
          'hand-off webhook queue full; notification dropped',
        );
        return;
      }
      const id = randomUUID();
      queue.push({
        id,
        body: JSON.stringify(webhookBody(event, id)),
        attempt: 0,
        tenantId: event.tenantId,
        sessionId: event.sessionId,
      });
      pump();
    },
    /** Deliveries not yet done (tests, shutdown). */
    pending: (): number => queue.length,
    /**
     * Stops: the delivery in flight gets up to `graceMs` to finish, then is aborted; whatever is
     * still queued is abandoned and counted in the log.
     */
    async close(graceMs = 2_000): Promise<void> {
      if (closed) return;
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (running) {
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([
          running,
          new Promise<void>((resolve) => {
            grace = setTimeout(resolve, graceMs);
            grace.unref();
          }),
        ]);
        clearTimeout(grace);
        stop.abort();
        await running;
      }
      const left = queue.length;
      if (left > 0) log.warn({ abandoned: left }, 'hand-off webhook closed with undelivered hand-offs');
      queue.length = 0;
    },
  };
}

export type HandoffWebhook = ReturnType<typeof createHandoffWebhook>;
